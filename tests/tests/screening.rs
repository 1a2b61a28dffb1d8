//! Dispute screening (矛盾纠纷排查) and 漏排率 end to end: intake and supervision over a real
//! Kafka-protocol broker and a fresh PostgreSQL database. 长江街道 reports the wage dispute of its
//! building site; a group visit on that matter was screened, one from 淮河镇 was not.

use tonic::Code;
use xinfang_proto::xinfang::supervision::v1::*;
use xinfang_testkit::broker::Broker;
use xinfang_testkit::database::TestDatabase;
use xinfang_testkit::kafka::group_caught_up;
use xinfang_testkit::services::{settings_with, spawn_intake, spawn_supervision};
use xinfang_testkit::{authed, eventually, resident_id, token, wage_claim};

#[tokio::test]
async fn an_escalation_without_a_prior_screening_report_counts_as_missed() {
    let db = TestDatabase::create().await;
    let broker = Broker::start().await;
    for service in ["intake", "dispatch", "supervision", "evaluation"] {
        broker
            .create_topic(&format!("xinfang.{service}.events"), 1)
            .await;
    }
    let settings = || {
        settings_with(
            &db.url,
            Some(&broker.address()),
            &[("clock.start", "2026-03-10T09:00:00+08:00")],
        )
    };
    let intake = spawn_intake(settings()).await;
    let supervision = spawn_supervision(settings()).await;
    let mut client = supervision.supervision_client().await;

    let report = |region: &str| FileScreeningReportRequest {
        region_code: region.into(),
        matter_key: "020100:340102001".into(),
        summary: "某建筑工地拖欠农民工工资，工人酝酿集体上访".into(),
    };
    let outside = client
        .file_screening_report(authed(report("340103001"), &token("east-t1")))
        .await
        .expect_err("another district's village");
    assert_eq!(outside.code(), Code::PermissionDenied);
    let filed = client
        .file_screening_report(authed(report("340102001"), &token("east-t1")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(filed.matter_key, "020100:340102001");

    // Two group visits (6 people) and one letter.
    let mut intake_client = intake.intake_client().await;
    let mut register = async |key: &str, n: u32, region: &str, unit: &str, channel: &str| {
        let mut request = wage_claim(key, &resident_id(n));
        request.region_code = region.into();
        request.channel_code = channel.into();
        request.headcount = 6;
        intake_client
            .register_petition(authed(request, &token(unit)))
            .await
            .unwrap()
            .into_inner()
            .petition
            .unwrap()
            .id
    };
    let screened = register("screened", 401, "340102001", "east-t1", "0300").await;
    let missed = register("missed", 402, "340102002", "east-t2", "0300").await;
    let letter = register("letter", 403, "340102002", "east-t2", "0200").await;
    let settled = eventually(60, || async {
        let ready = db
            .count(&format!(
                "supervision_item WHERE petition_id IN ('{screened}', '{missed}', '{letter}')"
            ))
            .await
            == 3
            && group_caught_up(&broker.address(), "supervision", "xinfang.intake.events");
        ready.then_some(())
    })
    .await;
    assert!(settled.is_some(), "supervision followed the registrations");
    assert_eq!(
        db.count(&format!(
            "supervision_item WHERE escalated AND screened AND petition_id = '{screened}'"
        ))
        .await,
        1
    );

    let request = GetMetricsRequest {
        dimension: Dimension::Region as i32,
        basis: DateBasis::Registered as i32,
        from: "2026-03-01".into(),
        to: "2026-03-31".into(),
        metrics: vec![Metric::MissedScreening as i32],
        ..Default::default()
    };
    let values = client
        .get_metrics(authed(request.clone(), &token("city-xfj")))
        .await
        .unwrap()
        .into_inner()
        .values;
    let east = values
        .iter()
        .find(|v| v.group == "340102" && v.metric == Metric::MissedScreening as i32)
        .expect("漏排率 of the district");
    // Of two escalations, one had no report before it: 1 / 2.
    assert_eq!((east.numerator, east.denominator), (1, 2));

    let drill = client
        .drill_down_metric(authed(
            DrillDownMetricRequest {
                query: Some(request),
                metric: Metric::MissedScreening as i32,
                group: "340102".into(),
                numerator_only: true,
                ..Default::default()
            },
            &token("city-xfj"),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(drill.petition_ids, [missed]);
    supervision.stop().await;
    intake.stop().await;
}
