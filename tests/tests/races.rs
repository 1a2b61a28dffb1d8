//! Races on the write path, each tried 200 times against PostgreSQL: the watcher and a consumer
//! on the same item, two supervision processes on one database, two replies to one supervision
//! order, two writers of one case. Every writer goes through the unit of work, so each race has
//! one outcome a person would accept: no change lost, no mark or event repeated, no INTERNAL,
//! and the kept metric counts equal a full recount afterwards.

use tonic::Code;
use tonic_types::StatusExt;
use xinfang_events::Payload;
use xinfang_events::consumer::{Outcome, deliver_one};
use xinfang_platform::config::Settings;
use xinfang_platform::reference::ReferenceStore;
use xinfang_proto::xinfang::dispatch::v1::{AcceptRequest, AddProgressNoteRequest, ForwardRequest};
use xinfang_proto::xinfang::events::v1 as ev;
use xinfang_proto::xinfang::petition::v1 as pb;
use xinfang_proto::xinfang::supervision::v1::{
    ListSupervisionOrdersRequest, ReplyToSupervisionOrderRequest,
};
use xinfang_supervision::watch::Watcher;
use xinfang_testkit::broker::Broker;
use xinfang_testkit::database::TestDatabase;
use xinfang_testkit::services::{settings_with, spawn_dispatch, spawn_supervision};
use xinfang_testkit::{at, authed, envelope, registered_event, token};

const TRIES: usize = 200;
const INTAKE: &str = "xinfang.intake.events";
const DISPATCH: &str = "xinfang.dispatch.events";

/// 2026-03-10: the triage limits of the items below ended on 03-09.
const TODAY: &str = "2026-03-10T09:00:00+08:00";

fn node_settings(db: &TestDatabase, brokers: &str) -> Settings {
    settings_with(
        &db.url,
        Some(brokers),
        &[
            ("clock.start", TODAY),
            ("supervision.sweep_interval_ms", "50"),
        ],
    )
}

/// Supervision's event handler on `db`, as its consumer runs it.
fn facts(db: &TestDatabase) -> xinfang_supervision::facts::Facts {
    // Nothing connects to this broker: only the handler is used.
    let settings = node_settings(db, "127.0.0.1:9");
    xinfang_supervision::run::follower(
        &settings,
        db.db.clone(),
        ReferenceStore::open(None).unwrap(),
    )
    .unwrap()
}

fn registered(id: &str) -> xinfang_events::Envelope {
    registered_event(id, "east-t1", "340102001", at("2026-02-20T10:00:00+08:00"))
}

fn deadline(limit: &str, due: &str) -> Option<pb::Deadline> {
    Some(pb::Deadline {
        limit_name: limit.into(),
        due_date: due.into(),
        explanation: format!("{limit} {due}"),
        ..Default::default()
    })
}

/// Opened for triage by 长江街道 with a limit that ended yesterday.
fn opened(id: &str) -> xinfang_events::Envelope {
    envelope(
        id,
        at("2026-02-20T10:00:01+08:00"),
        Payload::CaseOpened(ev::CaseOpened {
            organ_code: "east-t1".into(),
            triage_deadline: deadline("triage", "2026-03-09"),
        }),
    )
}

fn forwarded(id: &str) -> xinfang_events::Envelope {
    envelope(
        id,
        at(TODAY),
        Payload::CaseTriaged(ev::CaseTriaged {
            state: pb::PetitionState::Forwarded as i32,
            organ_code: "east-rsj".into(),
            acceptance_deadline: deadline("acceptance", "2026-03-25"),
            ..Default::default()
        }),
    )
}

/// Items whose triage limit has passed, as supervision's consumer applies them.
async fn overdue_items(db: &TestDatabase, n: usize) -> Vec<String> {
    let handler = facts(db);
    let mut ids = Vec::new();
    for _ in 0..n {
        let id = uuid::Uuid::now_v7().to_string();
        for (topic, event) in [(INTAKE, registered(&id)), (DISPATCH, opened(&id))] {
            let outcome = deliver_one(
                &db.db,
                "supervision",
                "supervision",
                &handler,
                topic,
                &event,
            )
            .await;
            assert_eq!(outcome, Outcome::Applied);
        }
        ids.push(id);
    }
    ids
}

/// How many events of `event_type` supervision announced for `petition`.
async fn announced(db: &TestDatabase, petition: &str, event_type: &str) -> i64 {
    db.count(&format!(
        "supervision_outbox WHERE message_key = '{petition}' AND event_type = '{event_type}'"
    ))
    .await
}

async fn counts_equal_a_recount(db: &TestDatabase) {
    let check = xinfang_supervision::counts::verify(&db.db, &Default::default())
        .await
        .unwrap();
    assert!(check.checked > 0);
    assert!(
        check.is_sound(),
        "kept counts differ from a recount: {check:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watcher_and_a_consumer_on_one_item_lose_no_change_and_repeat_no_mark() {
    let db = TestDatabase::create().await;
    let handler = facts(&db);
    let watcher = Watcher {
        oversight: handler.oversight.clone(),
    };
    let mut watcher_first = 0;
    for _ in 0..TRIES {
        let id = overdue_items(&db, 1).await.remove(0);
        // The watcher marks the item overdue while dispatch's forwarding arrives.
        let forwarding = forwarded(&id);
        let (swept, outcome) = tokio::join!(
            watcher.sweep(),
            deliver_one(
                &db.db,
                "supervision",
                "supervision",
                &handler,
                DISPATCH,
                &forwarding
            )
        );
        swept.expect("the sweep never fails on a conflict");
        assert_eq!(outcome, Outcome::Applied);
        let item = format!(
            "supervision_item WHERE petition_id = '{id}' AND organ_code = 'east-rsj' \
             AND region_code = '340102001' AND state = 'forwarded' AND due_date = '2026-03-25'"
        );
        assert_eq!(db.count(&item).await, 1, "the consumer's change is kept");
        let overdue = announced(&db, &id, "DeadlineOverdue").await;
        let orders = announced(&db, &id, "SupervisionOrderIssued").await;
        assert!(overdue <= 1, "one overdue mark at most, {overdue} seen");
        assert_eq!(orders, overdue, "one order per overdue mark");
        watcher_first += overdue;
    }
    // Both orders of events happen; each is handled whole.
    eprintln!("the watcher came first in {watcher_first} of {TRIES} races");
    // Nothing is left for a later sweep to repeat.
    watcher.sweep().await.unwrap();
    assert!(
        db.count("supervision_outbox WHERE event_type = 'DeadlineOverdue'")
            .await
            <= TRIES as i64
    );
    counts_equal_a_recount(&db).await;
}

/// Two supervision services on one database, each with its own watcher, clock at 03-10.
async fn two_supervisions(
    db: &TestDatabase,
    broker: &Broker,
) -> [xinfang_testkit::services::RunningService; 2] {
    [
        spawn_supervision(node_settings(db, &broker.address())).await,
        spawn_supervision(node_settings(db, &broker.address())).await,
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_supervision_processes_mark_and_order_each_item_once_and_one_reply_wins() {
    let db = TestDatabase::create().await;
    let broker = Broker::start().await;
    let ids = overdue_items(&db, TRIES).await;
    let services = two_supervisions(&db, &broker).await;
    let all_ordered = xinfang_testkit::eventually(120, || async {
        (db.count("supervision_order").await >= TRIES as i64).then_some(())
    })
    .await;
    assert!(all_ordered.is_some(), "both watchers swept every item");
    for id in &ids {
        assert_eq!(announced(&db, id, "DeadlineOverdue").await, 1, "{id}");
        assert_eq!(
            announced(&db, id, "SupervisionOrderIssued").await,
            1,
            "{id}"
        );
        assert_eq!(
            db.count(&format!("supervision_order WHERE petition_id = '{id}'"))
                .await,
            1
        );
    }

    // The township replies to each order twice at once, once through each process.
    let township = token("east-t1");
    let mut clients = [
        services[0].supervision_client().await,
        services[1].supervision_client().await,
    ];
    let mut orders = Vec::new();
    let mut page = String::new();
    loop {
        let list = clients[0]
            .list_supervision_orders(authed(
                ListSupervisionOrdersRequest {
                    page_size: 100,
                    page_token: page.clone(),
                    ..Default::default()
                },
                &token("east-xfj"),
            ))
            .await
            .unwrap()
            .into_inner();
        orders.extend(list.orders.into_iter().map(|o| o.id));
        if list.next_page_token.is_empty() {
            break;
        }
        page = list.next_page_token;
    }
    assert_eq!(orders.len(), TRIES);
    let reply = |order: &str, n: u32| {
        authed(
            ReplyToSupervisionOrderRequest {
                order_id: order.into(),
                complied: true,
                text: format!("已完成分流（第{n}份回复）"),
            },
            &township,
        )
    };
    let [a, b] = &mut clients;
    for order in &orders {
        let (first, second) = tokio::join!(
            a.reply_to_supervision_order(reply(order, 1)),
            b.reply_to_supervision_order(reply(order, 2))
        );
        let outcomes = [first, second];
        let won = outcomes.iter().filter(|r| r.is_ok()).count();
        assert_eq!(won, 1, "exactly one reply wins: {outcomes:?}");
        let lost = outcomes.into_iter().find_map(Result::err).unwrap();
        assert_eq!(lost.code(), Code::FailedPrecondition, "{lost:?}");
        assert_eq!(
            lost.get_error_details().error_info().unwrap().reason,
            "XF_ORDER_ALREADY_REPLIED"
        );
        assert_eq!(
            db.count(&format!(
                "supervision_outbox WHERE event_type = 'SupervisionOrderReplied' \
                 AND stream = 'order/{order}'"
            ))
            .await,
            1,
            "one reply event"
        );
    }
    for service in services {
        service.stop().await;
    }
    counts_equal_a_recount(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_writers_of_one_case_both_succeed_in_turn() {
    let db = TestDatabase::create().await;
    let broker = Broker::start().await;
    let settings = node_settings(&db, &broker.address());
    let opener = xinfang_dispatch::run::follower(
        &settings,
        db.db.clone(),
        ReferenceStore::open(None).unwrap(),
    )
    .unwrap();
    let mut ids = Vec::new();
    for _ in 0..TRIES {
        let id = uuid::Uuid::now_v7().to_string();
        let outcome = deliver_one(
            &db.db,
            "dispatch",
            "dispatch",
            &opener,
            INTAKE,
            &registered(&id),
        )
        .await;
        assert_eq!(outcome, Outcome::Applied);
        ids.push(id);
    }
    let dispatch = spawn_dispatch(settings).await;
    let (clerk, organ) = (token("east-t1"), token("east-rsj"));
    let mut a = dispatch.dispatch_client().await;
    let mut b = dispatch.dispatch_client().await;
    for id in &ids {
        a.forward(authed(
            ForwardRequest {
                petition_id: id.clone(),
                organ_code: "east-rsj".into(),
                note: String::new(),
            },
            &clerk,
        ))
        .await
        .unwrap();
        a.accept(authed(
            AcceptRequest {
                petition_id: id.clone(),
                notice_text: "已受理".into(),
            },
            &organ,
        ))
        .await
        .unwrap();
    }
    let note = |id: &str, text: &str| {
        authed(
            AddProgressNoteRequest {
                petition_id: id.into(),
                text: text.into(),
            },
            &organ,
        )
    };
    for id in &ids {
        // Two handlers note progress on the same case at the same moment: both are kept.
        let (first, second) = tokio::join!(
            a.add_progress_note(note(id, "电话联系信访人")),
            b.add_progress_note(note(id, "调取工资台账"))
        );
        first.expect("the first writer succeeds");
        second.expect("the second writer succeeds");
        assert_eq!(
            db.count(&format!(
                "dispatch_step WHERE petition_id = '{id}' AND action = 'progress'"
            ))
            .await,
            2
        );
        assert_eq!(
            db.count(&format!(
                "dispatch_outbox WHERE message_key = '{id}' AND event_type = 'ProgressNoted'"
            ))
            .await,
            2
        );
    }
    dispatch.stop().await;
    // Each case's events are numbered by its versions, without a gap or a collision.
    assert_eq!(
        db.count(
            "(SELECT stream FROM dispatch_outbox GROUP BY stream \
             HAVING COUNT(*) <> MAX(sequence) OR COUNT(DISTINCT sequence) <> COUNT(*)) AS d"
        )
        .await,
        0
    );
}

/// Two intake processes on one database register at once, then one restarts: every case number
/// is distinct, and a restarted process goes on above what any process reserved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_numbers_stay_unique_across_intake_processes_and_restarts() {
    use xinfang_testkit::services::{settings, spawn_intake};
    let db = TestDatabase::create().await;
    let broker = Broker::with_service_topics().await;
    let settings = || settings(&db.url, Some(&broker.address()));
    let first = spawn_intake(settings()).await;
    let second = spawn_intake(settings()).await;
    let (first_ref, second_ref) = (&first, &second);
    let calls = (0..40).map(|n| async move {
        let intake = if n % 2 == 0 { first_ref } else { second_ref };
        intake
            .register_wage_claim(&format!("numbers-{n}"), n)
            .await
            .case_number
    });
    let mut numbers = futures::future::join_all(calls).await;
    first.stop().await;
    let restarted = spawn_intake(settings()).await;
    let after = restarted
        .register_wage_claim("numbers-40", 40)
        .await
        .case_number;
    numbers.sort();
    let before = numbers.len();
    numbers.dedup();
    assert_eq!(numbers.len(), before, "no number twice: {numbers:?}");
    assert!(
        numbers.iter().all(|n| n.starts_with("340100-")),
        "{numbers:?}"
    );
    assert!(
        after > *numbers.last().unwrap(),
        "{after} comes after {numbers:?}"
    );
    second.stop().await;
    restarted.stop().await;
}

/// A registration does not wait for a block of case numbers: the next block is reserved while
/// half of the current one is left, and used after it, so numbers drawn one after another
/// follow each other across blocks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_block_of_case_numbers_is_reserved_before_the_current_one_runs_out() {
    use xinfang_testkit::services::{settings, spawn_intake};
    let db = TestDatabase::create().await;
    let broker = Broker::with_service_topics().await;
    let intake = spawn_intake(settings(&db.url, Some(&broker.address()))).await;
    let mut numbers = Vec::new();
    for n in 0..17 {
        let petition = intake.register_wage_claim(&format!("block-{n}"), n).await;
        numbers.push(petition.case_number);
    }
    // 17 of the first block's 32 numbers are used: the second block is reserved without a
    // registration asking for it.
    assert!(
        db.reaches("intake_case_sequence WHERE last_number = 64", 1, 10)
            .await,
        "{}",
        db.dump("intake_case_sequence").await
    );
    for n in 17..48 {
        let petition = intake.register_wage_claim(&format!("block-{n}"), n).await;
        numbers.push(petition.case_number);
    }
    let serials: Vec<u32> = numbers
        .iter()
        .map(|n| n.rsplit('-').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(serials, (1..=48).collect::<Vec<_>>(), "{numbers:?}");
    intake.stop().await;
}
