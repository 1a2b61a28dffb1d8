//! Supervision end to end: clocks watched across restarts, metrics counted from events over a
//! real Kafka-protocol broker and PostgreSQL, exact under redelivery, scoped by unit.

use prost::Message;
use rdkafka::ClientConfig;
use rdkafka::producer::{FutureProducer, FutureRecord};
use std::time::Duration;
use tonic::Code;
use xinfang_events::{Envelope, Payload};
use xinfang_proto::xinfang::events::v1 as ev;
use xinfang_proto::xinfang::intake::v1::RegisterPetitionRequest;
use xinfang_proto::xinfang::petition::v1 as pb;
use xinfang_proto::xinfang::supervision::v1::*;
use xinfang_testkit::broker::Broker;
use xinfang_testkit::database::TestDatabase;
use xinfang_testkit::kafka::group_caught_up;
use xinfang_testkit::services::{settings_with, spawn_dispatch, spawn_intake, spawn_supervision};
use xinfang_testkit::{authed, eventually, resident_id, token};

const TOPICS: [&str; 2] = ["xinfang.intake.events", "xinfang.dispatch.events"];

async fn broker() -> Broker {
    let broker = Broker::start().await;
    for topic in TOPICS.iter().chain(&["xinfang.supervision.events"]) {
        broker.create_topic(topic, 3).await;
    }
    broker
}

async fn events_of(db: &TestDatabase, petition: &str, event_type: &str) -> i64 {
    db.count(&format!(
        "supervision_outbox WHERE message_key = '{petition}' AND event_type = '{event_type}'"
    ))
    .await
}

/// Runs supervision with its clock at `day` (09:00 Beijing) until `done`, then stops it.
async fn supervise_on(db: &TestDatabase, broker: &Broker, day: &str, done: impl AsyncFn() -> bool) {
    let start = format!("{day}T09:00:00+08:00");
    let supervision = spawn_supervision(settings_with(
        &db.url,
        Some(&broker.address()),
        &[
            ("clock.start", &start),
            ("supervision.sweep_interval_ms", "100"),
        ],
    ))
    .await;
    let reached = eventually(60, || async { done().await.then_some(()) }).await;
    // A few more sweeps on the same day must add nothing.
    tokio::time::sleep(Duration::from_millis(600)).await;
    supervision.stop().await;
    assert!(reached.is_some(), "supervision on {day} did what was due");
}

#[tokio::test]
async fn an_untouched_item_gets_one_warning_one_overdue_mark_and_one_order_across_restarts() {
    let db = TestDatabase::create().await;
    let broker = broker().await;
    let settings = || {
        settings_with(
            &db.url,
            Some(&broker.address()),
            &[("clock.start", "2026-02-03T09:00:00+08:00")],
        )
    };
    let intake = spawn_intake(settings()).await;
    let dispatch = spawn_dispatch(settings()).await;
    let request = RegisterPetitionRequest {
        idempotency_key: "untouched".into(),
        channel_code: "0200".into(),
        region_code: "340102001".into(),
        content_category: "020100".into(),
        content: "拖欠工资".into(),
        petitioners: vec![pb::Petitioner {
            name: "赵六".into(),
            id_type: pb::IdType::ResidentId as i32,
            id_number: resident_id(60),
            ..Default::default()
        }],
        ..Default::default()
    };
    let mut client = intake.intake_client().await;
    let id = client
        .register_petition(authed(request, &token("east-t1")))
        .await
        .unwrap()
        .into_inner()
        .petition
        .unwrap()
        .id;
    let due = format!("supervision_item WHERE petition_id = '{id}' AND due_date = '2026-02-24'");

    // 02-03: the triage limit (15 days, moved past 春节) is watched; nothing is due yet.
    supervise_on(&db, &broker, "2026-02-03", async || {
        db.count(&due).await == 1
    })
    .await;
    assert_eq!(
        db.count(&format!("{due} AND next_check = '2026-02-21'"))
            .await,
        1
    );
    assert_eq!(db.count("supervision_outbox").await, 0);

    // 02-21, three days before: one warning, however often supervision restarts that day.
    for _ in 0..2 {
        supervise_on(&db, &broker, "2026-02-21", async || {
            events_of(&db, &id, "DeadlineWarned").await == 1
        })
        .await;
    }
    assert_eq!(events_of(&db, &id, "DeadlineWarned").await, 1);
    assert_eq!(events_of(&db, &id, "DeadlineOverdue").await, 0);

    // 02-24 is the last day: not overdue yet.
    supervise_on(&db, &broker, "2026-02-24", async || true).await;
    assert_eq!(events_of(&db, &id, "DeadlineOverdue").await, 0);

    // 02-25: overdue, and a supervision order to the unit that must triage it.
    for _ in 0..2 {
        supervise_on(&db, &broker, "2026-02-25", async || {
            events_of(&db, &id, "SupervisionOrderIssued").await == 1
        })
        .await;
    }
    assert_eq!(events_of(&db, &id, "DeadlineWarned").await, 1);
    assert_eq!(events_of(&db, &id, "DeadlineOverdue").await, 1);
    assert_eq!(events_of(&db, &id, "SupervisionOrderIssued").await, 1);
    // Five working days to reply: 02-26, 02-27, 02-28 (调休 Saturday), 03-02, 03-03.
    let order = format!(
        "supervision_order WHERE petition_id = '{id}' AND organ_code = 'east-t1' AND issued_on = '2026-02-25' AND reply_due = '2026-03-03'"
    );
    assert_eq!(db.count(&order).await, 1);

    // No reply by 03-03: on 03-04 the order goes one level up, once.
    for _ in 0..2 {
        supervise_on(&db, &broker, "2026-03-04", async || {
            events_of(&db, &id, "SupervisionOrderEscalated").await == 1
        })
        .await;
    }
    assert_eq!(
        db.count(&format!("{order} AND escalated_to = 'east-xfj'"))
            .await,
        1
    );
    assert_eq!(events_of(&db, &id, "SupervisionOrderEscalated").await, 1);
    dispatch.stop().await;
    intake.stop().await;
}

/// An event as intake or dispatch would publish it, at a Beijing time.
fn event(petition: &str, at: &str, payload: Payload) -> Envelope {
    let t = chrono::DateTime::parse_from_rfc3339(at).unwrap();
    let n = t.timestamp_nanos_opt().unwrap();
    // The same event always gets the same id, so publishing the set again is a redelivery.
    let name = format!(
        "{petition}-{n}-{}",
        xinfang_events::envelope::event_type(&payload)
    );
    let hash = |salt: u8| {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (salt, &name).hash(&mut h);
        h.finish()
    };
    Envelope {
        event_id: uuid::Uuid::from_u64_pair(hash(1), hash(2)).to_string(),
        event_type: xinfang_events::envelope::event_type(&payload).into(),
        petition_id: petition.into(),
        occurred_at: Some(prost_types::Timestamp {
            seconds: t.timestamp(),
            nanos: 0,
        }),
        node: "340100".into(),
        payload: Some(payload),
        ..Default::default()
    }
}

fn ts(at: &str) -> Option<prost_types::Timestamp> {
    let t = chrono::DateTime::parse_from_rfc3339(at).unwrap();
    Some(prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    })
}

struct Registration<'a> {
    id: &'a str,
    region: &'a str,
    channel: &'a str,
    online: bool,
    visit: bool,
    flags: &'a [pb::FlagKind],
    first_time: bool,
    linked_to: &'a str,
    petitioned: &'a str,
    registered: &'a str,
}

fn registered(r: Registration<'_>) -> Envelope {
    let state = if r.linked_to.is_empty() {
        pb::PetitionState::Registered
    } else {
        pb::PetitionState::Linked
    };
    event(
        r.id,
        r.registered,
        Payload::PetitionRegistered(ev::PetitionRegistered {
            case_number: format!("340100-2026-{}", r.id),
            state: state as i32,
            channel_code: r.channel.into(),
            online: r.online,
            visit: r.visit,
            registering_unit: if r.region.starts_with("340102") {
                "east-t1"
            } else {
                "west-t1"
            }
            .into(),
            region_code: r.region.into(),
            flags: r
                .flags
                .iter()
                .map(|k| pb::ScreeningFlag {
                    kind: *k as i32,
                    ..Default::default()
                })
                .collect(),
            linked_petition_id: r.linked_to.into(),
            first_time_here: r.first_time,
            petitioned_at: ts(r.petitioned),
            registered_at: ts(r.registered),
            ..Default::default()
        }),
    )
}

fn deadline(name: &str, due: &str) -> Option<pb::Deadline> {
    Some(pb::Deadline {
        limit_name: name.into(),
        due_date: due.into(),
        ..Default::default()
    })
}

fn forwarded(id: &str, at: &str, organ: &str) -> Envelope {
    event(
        id,
        at,
        Payload::CaseTriaged(ev::CaseTriaged {
            state: pb::PetitionState::Forwarded as i32,
            organ_code: organ.into(),
            acceptance_deadline: deadline("acceptance", "2026-02-24"),
            ..Default::default()
        }),
    )
}

fn accepted(id: &str, at: &str, organ: &str, within_limit: bool) -> Envelope {
    event(
        id,
        at,
        Payload::CaseAccepted(ev::CaseAccepted {
            organ_code: organ.into(),
            handling_deadline: deadline("handling", "2026-04-07"),
            within_limit,
            ..Default::default()
        }),
    )
}

fn answered(id: &str, day: &str, on_time: bool) -> Envelope {
    event(
        id,
        &format!("{day}T10:00:00+08:00"),
        Payload::CaseAnswered(ev::CaseAnswered {
            answered_date: day.into(),
            on_time,
            opinion: pb::HandlingOpinion::Support as i32,
            ..Default::default()
        }),
    )
}

/// The hand-built set. East district (340102): A, B, C; west district (340103): D, E, F.
fn hand_built() -> Vec<(&'static str, Envelope)> {
    use pb::FlagKind::{BypassVisit, Repeat};
    let intake = "xinfang.intake.events";
    let dispatch = "xinfang.dispatch.events";
    #[allow(clippy::too_many_arguments)]
    fn reg(
        id: &'static str,
        region: &'static str,
        channel: &'static str,
        online: bool,
        visit: bool,
        flags: &'static [pb::FlagKind],
        first_time: bool,
        linked_to: &'static str,
        petitioned: &'static str,
        on: &'static str,
    ) -> Envelope {
        registered(Registration {
            id,
            region,
            channel,
            online,
            visit,
            flags,
            first_time,
            linked_to,
            petitioned,
            registered: on,
        })
    }
    vec![
        // A: online, first time, petitioned in January, accepted in time, answered on time.
        (
            intake,
            reg(
                "A",
                "340102001",
                "0100",
                true,
                false,
                &[],
                true,
                "",
                "2026-01-30T10:00:00+08:00",
                "2026-02-02T10:00:00+08:00",
            ),
        ),
        (
            dispatch,
            forwarded("A", "2026-02-03T10:00:00+08:00", "east-rsj"),
        ),
        (
            dispatch,
            accepted("A", "2026-02-10T10:00:00+08:00", "east-rsj", true),
        ),
        (dispatch, answered("A", "2026-03-20", true)),
        // B: a bypass visit, forwarded, never accepted (overdue not accepted).
        (
            intake,
            reg(
                "B",
                "340102001",
                "0300",
                false,
                true,
                &[BypassVisit],
                true,
                "",
                "2026-02-05T10:00:00+08:00",
                "2026-02-05T10:00:00+08:00",
            ),
        ),
        (
            dispatch,
            forwarded("B", "2026-02-06T10:00:00+08:00", "east-rsj"),
        ),
        // C: a visit, not first time, accepted late, answered late.
        (
            intake,
            reg(
                "C",
                "340102002",
                "0300",
                false,
                true,
                &[],
                false,
                "",
                "2026-02-06T10:00:00+08:00",
                "2026-02-06T10:00:00+08:00",
            ),
        ),
        (
            dispatch,
            forwarded("C", "2026-02-06T11:00:00+08:00", "east-rsj"),
        ),
        (
            dispatch,
            accepted("C", "2026-02-26T10:00:00+08:00", "east-rsj", false),
        ),
        (dispatch, answered("C", "2026-04-10", false)),
        // D: a repeat letter (linked to an earlier item outside this set).
        (
            intake,
            reg(
                "D",
                "340103001",
                "0200",
                false,
                false,
                &[Repeat],
                false,
                "Z",
                "2026-02-07T10:00:00+08:00",
                "2026-02-07T10:00:00+08:00",
            ),
        ),
        // E: online, first time, accepted in time, answered on time; repeated by F.
        (
            intake,
            reg(
                "E",
                "340103001",
                "0100",
                true,
                false,
                &[],
                true,
                "",
                "2026-02-08T10:00:00+08:00",
                "2026-02-08T10:00:00+08:00",
            ),
        ),
        (
            dispatch,
            forwarded("E", "2026-02-09T10:00:00+08:00", "west-zjj"),
        ),
        (
            dispatch,
            accepted("E", "2026-02-10T10:00:00+08:00", "west-zjj", true),
        ),
        (dispatch, answered("E", "2026-03-01", true)),
        // F: a repeat visit of E's matter.
        (
            intake,
            reg(
                "F",
                "340103002",
                "0300",
                false,
                true,
                &[Repeat],
                false,
                "E",
                "2026-03-10T10:00:00+08:00",
                "2026-03-10T10:00:00+08:00",
            ),
        ),
    ]
}

async fn publish(broker: &Broker, events: &[(&str, Envelope)]) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", broker.address())
        .set("enable.idempotence", "true")
        .create()
        .unwrap();
    for (topic, envelope) in events {
        producer
            .send(
                FutureRecord::to(topic)
                    .key(&envelope.petition_id)
                    .payload(&envelope.encode_to_vec()),
                Duration::from_secs(10),
            )
            .await
            .expect("published");
    }
}

fn metrics_request(basis: DateBasis, region: &str) -> GetMetricsRequest {
    GetMetricsRequest {
        dimension: Dimension::Region as i32,
        basis: basis as i32,
        from: "2026-02-01".into(),
        to: "2026-04-30".into(),
        region_code: region.into(),
        ..Default::default()
    }
}

/// (group, metric) → (numerator, denominator, ratio).
fn figures(
    values: &[MetricValue],
) -> std::collections::BTreeMap<(String, i32), (i64, i64, Option<f64>)> {
    values
        .iter()
        .map(|v| {
            (
                (v.group.clone(), v.metric),
                (v.numerator, v.denominator, v.ratio),
            )
        })
        .collect()
}

#[tokio::test]
async fn metrics_equal_hand_computed_values_and_redelivery_changes_no_figure() {
    let db = TestDatabase::create().await;
    let broker = broker().await;
    // Today is 2026-04-25: every acceptance limit has passed, and the evaluation windows of A
    // (answered 03-20, window to 04-20) and E (03-01, to 03-31); C's (04-10) is still open.
    let supervision = spawn_supervision(settings_with(
        &db.url,
        Some(&broker.address()),
        &[
            ("clock.start", "2026-04-25T09:00:00+08:00"),
            ("supervision.sweep_interval_ms", "100"),
        ],
    ))
    .await;
    publish(&broker, &hand_built()).await;
    let settled = eventually(60, || async {
        let ready = db
            .count("supervision_item WHERE acceptance_overdue AND petition_id = 'B'")
            .await
            == 1
            && db
                .count("supervision_item WHERE evaluation_missed AND petition_id IN ('A', 'E')")
                .await
                == 2
            && db
                .count("supervision_item WHERE repeated_later AND petition_id = 'E'")
                .await
                == 1
            // Every event applied: lanes apply other petitions' events meanwhile.
            && TOPICS
                .iter()
                .all(|t| group_caught_up(&broker.address(), "supervision", t));
        ready.then_some(())
    })
    .await;
    assert!(
        settled.is_some(),
        "the events were applied and the watcher ran"
    );

    let mut client = supervision.supervision_client().await;
    let city = token("city-xfj");
    let get = |basis, region: &str| authed(metrics_request(basis, region), &city);
    let registered = client
        .get_metrics(get(DateBasis::Registered, ""))
        .await
        .unwrap()
        .into_inner();
    let f = figures(&registered.values);
    let m = |metric: Metric| metric as i32;
    let east = |metric| f[&("340102".to_owned(), m(metric))];
    let west = |metric| f[&("340103".to_owned(), m(metric))];
    // 及时受理率: A in time; C late; B overdue, never accepted. West: E in time.
    assert_eq!(east(Metric::TimelyAcceptance), (1, 3, Some(1.0 / 3.0)));
    assert_eq!(west(Metric::TimelyAcceptance), (1, 1, Some(1.0)));
    // 按期办结率: answers due 04-07 — A on time, C late; E on time.
    assert_eq!(east(Metric::OnTimeConclusion), (1, 2, Some(0.5)));
    assert_eq!(west(Metric::OnTimeConclusion), (1, 1, Some(1.0)));
    // 参评率 and 满意率 (no evaluation service yet): A's and E's windows passed unevaluated; C's
    // is open and does not count.
    assert_eq!(east(Metric::EvaluationParticipation), (0, 1, Some(0.0)));
    assert_eq!(west(Metric::EvaluationParticipation), (0, 1, Some(0.0)));
    assert_eq!(
        east(Metric::Satisfaction),
        (0, 0, None),
        "nothing evaluated: no data, not 0%"
    );
    assert_eq!(west(Metric::Satisfaction), (0, 0, None));
    // 重复信访率, 网信占比, 越级上访率.
    assert_eq!(east(Metric::RepeatRate), (0, 3, Some(0.0)));
    assert_eq!(west(Metric::RepeatRate), (2, 3, Some(2.0 / 3.0)));
    assert_eq!(east(Metric::OnlineShare), (1, 3, Some(1.0 / 3.0)));
    assert_eq!(west(Metric::OnlineShare), (1, 3, Some(1.0 / 3.0)));
    assert_eq!(east(Metric::BypassRate), (1, 2, Some(0.5)));
    assert_eq!(west(Metric::BypassRate), (0, 1, Some(0.0)));
    // 初信初访一次性办结率: A settled in one pass; E was petitioned again (F).
    assert_eq!(east(Metric::FirstTimeOnePass), (1, 1, Some(1.0)));
    assert_eq!(west(Metric::FirstTimeOnePass), (0, 1, Some(0.0)));

    // 信访指数 with the default weights, hand-computed from the figures above: west
    // (0.2·1 + 0.2·1 + 0.1·0 + 0.1·⅓ + 0.1·0 + 0.05·1 + 0.05·⅓) / 0.8 = 62.5, east 51.04.
    let index = client
        .get_petition_index(authed(
            GetPetitionIndexRequest {
                from: "2026-02-01".into(),
                to: "2026-04-30".into(),
                region_code: String::new(),
            },
            &city,
        ))
        .await
        .unwrap()
        .into_inner();
    let ranked: Vec<(String, f64)> = index
        .regions
        .iter()
        .map(|r| {
            (
                r.region_code.clone(),
                (r.index.unwrap() * 100.0).round() / 100.0,
            )
        })
        .collect();
    assert_eq!(
        ranked,
        [("340103".to_owned(), 62.5), ("340102".to_owned(), 51.04)]
    );

    // On the petitioned basis A (petitioned 01-30) falls out of the period.
    let petitioned = client
        .get_metrics(get(DateBasis::Petitioned, ""))
        .await
        .unwrap()
        .into_inner();
    let p = figures(&petitioned.values);
    assert_eq!(
        p[&("340102".to_owned(), m(Metric::TimelyAcceptance))],
        (0, 2, Some(0.0))
    );
    assert_eq!(
        p[&("340102".to_owned(), m(Metric::OnlineShare))],
        (0, 2, Some(0.0))
    );
    assert_eq!(
        p[&("340102".to_owned(), m(Metric::OnTimeConclusion))],
        (1, 2, Some(0.5)),
        "dated by the due date"
    );

    // Every figure drills down to its items.
    let drill = DrillDownMetricRequest {
        query: Some(metrics_request(DateBasis::Registered, "")),
        metric: m(Metric::TimelyAcceptance),
        group: "340102".into(),
        numerator_only: false,
        ..Default::default()
    };
    let ids = client
        .drill_down_metric(authed(drill, &city))
        .await
        .unwrap()
        .into_inner()
        .petition_ids;
    assert_eq!(ids, ["A", "B", "C"]);

    // Every event again, as after a lost offset commit: no figure moves.
    publish(&broker, &hand_built()).await;
    let caught_up = eventually(60, || async {
        TOPICS
            .iter()
            .all(|t| group_caught_up(&broker.address(), "supervision", t))
            .then_some(())
    })
    .await;
    assert!(
        caught_up.is_some(),
        "supervision read the redelivered events"
    );
    let again = client
        .get_metrics(get(DateBasis::Registered, ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(figures(&again.values), f);

    // The kept counts equal a count made afresh from the items.
    xinfang_supervision::counts::rebuild(&db.db, &Default::default())
        .await
        .unwrap();
    let rebuilt = client
        .get_metrics(get(DateBasis::Registered, ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(figures(&rebuilt.values), f);
    let check = xinfang_supervision::counts::verify(&db.db, &Default::default())
        .await
        .unwrap();
    assert!(
        check.is_sound(),
        "the rebuilt counts equal a recount: {check:?}"
    );
    assert!(check.checked > 0);

    // A county supervisor reads its own county only.
    let county = token("east-xfj");
    let own = client
        .get_metrics(authed(metrics_request(DateBasis::Registered, ""), &county))
        .await
        .unwrap()
        .into_inner();
    assert!(
        own.values.iter().all(|v| v.group.starts_with("340102")),
        "{:?}",
        own.values
    );
    assert!(!own.values.is_empty());
    let other = client
        .get_metrics(authed(
            metrics_request(DateBasis::Registered, "340103"),
            &county,
        ))
        .await
        .unwrap_err();
    assert_eq!(other.code(), Code::PermissionDenied);
    let other_items = ListDueItemsRequest {
        region_code: "340103".into(),
        ..Default::default()
    };
    assert_eq!(
        client
            .list_due_items(authed(other_items, &county))
            .await
            .unwrap_err()
            .code(),
        Code::PermissionDenied
    );
    let west_drill = DrillDownMetricRequest {
        query: Some(metrics_request(DateBasis::Registered, "")),
        metric: m(Metric::RepeatRate),
        group: "340103".into(),
        ..Default::default()
    };
    let seen = client
        .drill_down_metric(authed(west_drill, &county))
        .await
        .unwrap()
        .into_inner();
    assert!(
        seen.petition_ids.is_empty(),
        "no west item through an east token"
    );
    // The monthly bulletin opens in a spreadsheet reader, Chinese headers and all.
    let export = |format: ExportFormat| {
        authed(
            ExportMonthlyBulletinRequest {
                month: "2026-02".into(),
                format: format as i32,
            },
            &city,
        )
    };
    let xlsx = client
        .export_monthly_bulletin(export(ExportFormat::Xlsx))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(xlsx.file_name, "月度通报-2026-02.xlsx");
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.content)).unwrap();
    use calamine::Reader;
    assert_eq!(book.sheet_names(), ["地区排名", "部门排名"]);
    let regions = book.worksheet_range("地区排名").unwrap();
    let cell = |row: u32, col: u32| {
        regions
            .get_value((row, col))
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    assert_eq!(cell(1, 4), "信访指数");
    assert_eq!(cell(1, 5), "及时受理率");
    let ranked: Vec<(String, String)> = (2..4).map(|r| (cell(r, 1), cell(r, 3))).collect();
    assert!(
        ranked.iter().any(|(_, name)| name == "东城区信访局"),
        "{ranked:?}"
    );
    assert!(
        ranked.iter().any(|(_, name)| name == "西城区信访局"),
        "{ranked:?}"
    );
    let csv = client
        .export_monthly_bulletin(export(ExportFormat::Csv))
        .await
        .unwrap()
        .into_inner();
    let text = String::from_utf8(csv.content).unwrap();
    assert!(text.starts_with("\u{feff}类别,排名,代码,名称,信访指数,及时受理率,按期办结率"));
    assert!(text.contains("部门,"), "organs are ranked too");
    supervision.stop().await;
}

#[tokio::test]
async fn a_backlog_list_counts_closing_and_certified_resolution_apart() {
    let db = TestDatabase::create().await;
    let broker = broker().await;
    let settings = || {
        settings_with(
            &db.url,
            Some(&broker.address()),
            &[("clock.start", "2026-03-02T09:00:00+08:00")],
        )
    };
    let intake = spawn_intake(settings()).await;
    let supervision = spawn_supervision(settings()).await;
    let mut client = intake.intake_client().await;
    let mut ids = Vec::new();
    for n in 0..2 {
        let request = RegisterPetitionRequest {
            idempotency_key: format!("backlog-{n}"),
            channel_code: "0200".into(),
            region_code: "340103001".into(),
            content_category: "010200".into(),
            content: "征收补偿多年未落实".into(),
            petitioners: vec![pb::Petitioner {
                name: "钱七".into(),
                id_type: pb::IdType::ResidentId as i32,
                id_number: resident_id(70 + n),
                ..Default::default()
            }],
            ..Default::default()
        };
        let r = client
            .register_petition(authed(request, &token("west-t1")))
            .await
            .unwrap();
        ids.push(r.into_inner().petition.unwrap().id);
    }
    let known = eventually(30, || async {
        (db.count("supervision_item").await == 2).then_some(())
    })
    .await;
    assert!(known.is_some(), "supervision follows intake's events");

    let mut sup = supervision.supervision_client().await;
    // The city office's leader runs the campaign; a supervisor certifies.
    let city = xinfang_testkit::token_as("city-xfj", &["leader"]);
    let list = sup
        .create_backlog_list(authed(
            CreateBacklogListRequest {
                campaign: "信访积案攻坚化解专项行动".into(),
                rule: String::new(),
            },
            &city,
        ))
        .await
        .unwrap()
        .into_inner();
    let add = AddBacklogItemsRequest {
        list_id: list.id.clone(),
        petition_ids: ids.clone(),
    };
    assert_eq!(
        sup.add_backlog_items(authed(add, &city))
            .await
            .unwrap()
            .into_inner()
            .items
            .len(),
        2
    );
    let package = AssignLeaderPackageRequest {
        list_id: list.id.clone(),
        petition_id: ids[0].clone(),
        leader_name: "李副市长".into(),
        leader_post: "副市长".into(),
        target_date: "2026-06-30".into(),
    };
    assert_eq!(
        sup.assign_leader_package(authed(package, &city))
            .await
            .unwrap()
            .into_inner()
            .leader_name,
        "李副市长"
    );

    let certify = |id: &str| CertifyResolutionRequest {
        list_id: list.id.clone(),
        petition_id: id.into(),
        evidence: "补偿款已到位，信访人签字息诉".into(),
    };
    let supervisor = xinfang_testkit::token_as("city-xfj", &["supervisor"]);
    // 化解 is certified by a supervisor, and only after 办结.
    let self_declared = sup
        .certify_resolution(authed(certify(&ids[0]), &city))
        .await
        .unwrap_err();
    assert_eq!(self_declared.code(), Code::PermissionDenied);
    let too_early = sup
        .certify_resolution(authed(certify(&ids[0]), &supervisor))
        .await
        .unwrap_err();
    assert_eq!(too_early.code(), Code::FailedPrecondition);
    let close = CloseBacklogItemRequest {
        list_id: list.id.clone(),
        petition_id: ids[0].clone(),
    };
    assert!(
        sup.close_backlog_item(authed(close, &city))
            .await
            .unwrap()
            .into_inner()
            .closed
    );
    let certified = sup
        .certify_resolution(authed(certify(&ids[0]), &supervisor))
        .await
        .unwrap()
        .into_inner();
    assert!(certified.resolved && certified.certified_by == "user-of-city-xfj@city-xfj");

    let figures = sup
        .get_metrics(authed(
            GetMetricsRequest {
                metrics: vec![Metric::ResolutionRate as i32, Metric::ClosureRate as i32],
                list_id: list.id.clone(),
                from: "2026-01-01".into(),
                to: "2026-12-31".into(),
                ..Default::default()
            },
            &city,
        ))
        .await
        .unwrap()
        .into_inner()
        .values;
    let of = |m: Metric| {
        figures
            .iter()
            .find(|v| v.metric == m as i32 && v.group == list.id)
            .map(|v| (v.numerator, v.denominator))
    };
    assert_eq!(of(Metric::ResolutionRate), Some((1, 2)));
    assert_eq!(of(Metric::ClosureRate), Some((1, 2)));
    // Another county's supervisor does not see the city's list.
    let other = GetMetricsRequest {
        list_id: list.id.clone(),
        from: "2026-01-01".into(),
        to: "2026-12-31".into(),
        ..Default::default()
    };
    assert_eq!(
        sup.get_metrics(authed(other, &token("east-xfj")))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    supervision.stop().await;
    intake.stop().await;
}

#[tokio::test]
async fn a_registered_item_whose_case_never_came_is_reported() {
    use xinfang_events::consumer::{Outcome, deliver_one};
    let db = TestDatabase::create().await;
    // An hour after registration: the case is half an hour late.
    let settings = settings_with(
        &db.url,
        Some("127.0.0.1:9"),
        &[("clock.start", "2026-02-02T11:00:00+08:00")],
    );
    let facts = xinfang_supervision::run::follower(
        &settings,
        db.db.clone(),
        xinfang_platform::reference::ReferenceStore::open(None).unwrap(),
    )
    .unwrap();
    let watcher = xinfang_supervision::watch::Watcher {
        oversight: facts.oversight.clone(),
    };
    let registration = |id: &'static str| {
        registered(Registration {
            id,
            region: "340102001",
            channel: "0200",
            online: false,
            visit: false,
            flags: &[],
            first_time: true,
            linked_to: "",
            petitioned: "2026-02-02T10:00:00+08:00",
            registered: "2026-02-02T10:00:00+08:00",
        })
    };
    let opened = event(
        "with-case",
        "2026-02-02T10:00:01+08:00",
        Payload::CaseOpened(ev::CaseOpened {
            organ_code: "east-t1".into(),
            triage_deadline: deadline("triage", "2026-02-24"),
        }),
    );
    let deliveries = [
        ("xinfang.intake.events", registration("with-case")),
        ("xinfang.intake.events", registration("lost-case")),
        ("xinfang.dispatch.events", opened),
    ];
    for (topic, envelope) in &deliveries {
        let outcome = deliver_one(
            &db.db,
            "supervision",
            "supervision",
            &facts,
            topic,
            envelope,
        )
        .await;
        assert_eq!(outcome, Outcome::Applied);
    }
    assert_eq!(watcher.cases_missing().await.unwrap(), ["lost-case"]);
}
