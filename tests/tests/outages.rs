//! Outages under load: the database away, the broker down for 60 s, the broker hung for 30 s.
//! Registrations keep coming the whole time; relays and consumers resume by themselves (no
//! restart), every registration gets its case exactly once, and nothing is parked that a retry
//! could apply.
//!
//! The broker faults run against librdkafka's mock cluster (`broker_down` / `broker_up`, a round
//! trip of 30 s for the hang): tansu 0.6 does not resume a consumer group after a hang, with any
//! client (see `tests/probes/tansu_group_after_hang.py`).

use rdkafka::mocking::MockCluster;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use xinfang_events::parked;
use xinfang_proto::xinfang::intake::v1::RegisterPetitionRequest;
use xinfang_proto::xinfang::petition::v1 as pb;
use xinfang_testkit::broker::Broker;
use xinfang_testkit::database::TestDatabase;
use xinfang_testkit::kafka::publish;
use xinfang_testkit::proxy::Proxy;
use xinfang_testkit::services::{RunningService, settings_with, spawn_dispatch, spawn_intake};
use xinfang_testkit::{at, authed, eventually, registered_event, resident_id, token};

const INTAKE: &str = "xinfang.intake.events";
const DISPATCH: &str = "xinfang.dispatch.events";

fn registered(id: &str) -> xinfang_events::Envelope {
    registered_event(id, "east-t1", "340102001", at("2026-03-02T10:00:00+08:00"))
}

#[tokio::test]
async fn a_database_outage_parks_nothing_and_every_event_applies_after_it() {
    let db = TestDatabase::create().await;
    let broker = Broker::start().await;
    broker.create_topic(INTAKE, 3).await;
    broker.create_topic(DISPATCH, 3).await;
    let proxy = Proxy::start(db.server_address()).await;
    let dispatch = spawn_dispatch(settings_with(
        &db.url_through(proxy.port()),
        Some(&broker.address()),
        &[("database.max_connections", "2")],
    ))
    .await;
    let first: Vec<_> = (0..5).map(|n| registered(&format!("before-{n}"))).collect();
    publish(&broker.address(), INTAKE, &first).await;
    assert!(db.reaches("dispatch_case", 5, 60).await);

    // The database goes away; events keep coming, and dispatch keeps trying.
    proxy.cut();
    let during: Vec<_> = (0..10)
        .map(|n| registered(&format!("during-{n}")))
        .collect();
    publish(&broker.address(), INTAKE, &during).await;
    let tried = eventually(60, || async { (proxy.refused() >= 3).then_some(()) }).await;
    assert!(
        tried.is_some(),
        "dispatch tried the database during the outage"
    );
    proxy.restore();

    assert!(
        db.reaches("dispatch_case", 15, 60).await,
        "all applied after the outage"
    );
    assert_eq!(db.count("dispatch_step WHERE action = 'opened'").await, 15);
    assert!(
        parked::list(&db.db, "dispatch", true)
            .await
            .unwrap()
            .is_empty(),
        "a transient failure parks nothing"
    );
    dispatch.stop().await;
}

/// Registers petitions one after another until `stop`; returns how many were accepted.
async fn register_until(intake: &RunningService, stop: CancellationToken) -> usize {
    let mut client = intake.intake_client().await;
    let clerk = token("east-t1");
    let mut n = 0u32;
    while !stop.is_cancelled() {
        let request = RegisterPetitionRequest {
            idempotency_key: format!("load-{n}"),
            channel_code: "0300".into(),
            region_code: "340102001".into(),
            content_category: "020100".into(),
            content: "拖欠工资".into(),
            petitioners: vec![pb::Petitioner {
                name: "王五".into(),
                id_type: pb::IdType::ResidentId as i32,
                id_number: resident_id(n % 1000),
                ..Default::default()
            }],
            matter_key: format!("load-{n}"),
            ..Default::default()
        };
        client
            .register_petition(authed(request, &clerk))
            .await
            .expect("registration never waits for the broker");
        n += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    n as usize
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relays_and_consumers_resume_by_themselves_after_the_broker_was_down_and_hung() {
    let db = TestDatabase::create().await;
    let cluster = MockCluster::new(1).expect("librdkafka's mock cluster");
    for topic in [INTAKE, DISPATCH] {
        cluster
            .create_topic(topic, 3, 1)
            .expect("a topic on the mock cluster");
    }
    let brokers = cluster.bootstrap_servers();
    let settings = || settings_with(&db.url, Some(&brokers), &[]);
    let intake = spawn_intake(settings()).await;
    let dispatch = spawn_dispatch(settings()).await;

    let stop = CancellationToken::new();
    let load = {
        let stop = stop.clone();
        let intake = &intake;
        async move { register_until(intake, stop).await }
    };
    let faults = async {
        let flowing = eventually(60, || async {
            (db.count("dispatch_case").await >= 20).then_some(())
        })
        .await;
        assert!(flowing.is_some(), "cases open before the faults");
        cluster.broker_down(-1).unwrap();
        tokio::time::sleep(Duration::from_secs(60)).await;
        cluster.broker_up(-1).unwrap();
        let resumed = db.count("dispatch_case").await;
        let after_down = eventually(120, || async {
            (db.count("dispatch_case").await > resumed + 20).then_some(())
        })
        .await;
        assert!(
            after_down.is_some(),
            "cases open again after the broker came back"
        );
        cluster
            .broker_round_trip_time(-1, Duration::from_secs(30))
            .unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        cluster.broker_round_trip_time(-1, Duration::ZERO).unwrap();
        let resumed = db.count("dispatch_case").await;
        let after_hang = eventually(180, || async {
            (db.count("dispatch_case").await > resumed + 20).then_some(())
        })
        .await;
        assert!(after_hang.is_some(), "cases open again after the hang");
        stop.cancel();
    };
    let (registered, ()) = tokio::join!(load, faults);
    let registered = registered as i64;
    assert_eq!(db.count("intake_petition").await, registered);

    let all = eventually(240, || async {
        (db.count("dispatch_case").await == registered).then_some(())
    })
    .await;
    assert!(
        all.is_some(),
        "every registration has its case: {} of {registered}",
        db.count("dispatch_case").await
    );
    assert_eq!(
        db.count("dispatch_step WHERE action = 'opened'").await,
        registered,
        "each opened once"
    );
    assert_eq!(db.count("intake_outbox WHERE sent_at IS NULL").await, 0);
    assert!(
        parked::list(&db.db, "dispatch", true)
            .await
            .unwrap()
            .is_empty()
    );
    eprintln!("{registered} registrations through a 60 s outage and a 30 s hang");
    dispatch.stop().await;
    intake.stop().await;
}

/// A pod being stopped while its broker is gone stops (librdkafka's consumer close would wait
/// for the broker forever), and what it applied stays applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_stop_while_their_broker_is_gone() {
    let db = TestDatabase::create().await;
    let mut broker = Broker::with_service_topics().await;
    let settings = || settings_with(&db.url, Some(&broker.address()), &[]);
    let intake = spawn_intake(settings()).await;
    let dispatch = spawn_dispatch(settings()).await;
    intake.register_wage_claim("stop-while-gone", 77).await;
    assert!(db.reaches("dispatch_case", 1, 60).await, "the case opened");

    broker.stop();
    for service in [dispatch, intake] {
        tokio::time::timeout(Duration::from_secs(60), service.stop())
            .await
            .expect("a service stops within a minute of being told, broker or not");
    }
    assert_eq!(db.count("dispatch_case").await, 1);
}
