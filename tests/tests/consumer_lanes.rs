//! A consumer applying several petitions' events at once, against the real broker and
//! PostgreSQL: each petition's events still apply in their order, and a consumer stopped with
//! events received but not applied loses none and applies none twice after its restart. Events
//! waiting together are applied in one transaction, and one of them that can never apply is
//! parked alone while the others apply once.

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction, Statement};
use std::time::Duration;
use xinfang_events::Envelope;
use xinfang_events::consumer::{EventConsumer, EventHandler, HandlerError, Outcome, deliver_one};
use xinfang_platform::config::{EventSettings, Settings};
use xinfang_testkit::broker::Broker;
use xinfang_testkit::database::TestDatabase;
use xinfang_testkit::kafka::{group_caught_up, publish};
use xinfang_testkit::{at, eventually, registered_event};

const TOPIC: &str = "xinfang.intake.events";
const PETITIONS: usize = 40;
const STEPS: usize = 10;

/// Records each event's step (its id is `petition/step`) and, in the same transaction, whether
/// the petition's previous step was already there: a step out of order is a row in `probe_disorder`.
/// Takes 3 to 7 ms per event, so that lanes finish out of their partition's order and a stop
/// finds events received and not applied.
struct Steps;

impl EventHandler for Steps {
    async fn apply(
        &self,
        txn: &DatabaseTransaction,
        envelope: &Envelope,
    ) -> Result<(), HandlerError> {
        let (petition, step) = envelope
            .event_id
            .split_once('/')
            .ok_or_else(|| HandlerError::Permanent("an id without its step".into()))?;
        let step: i64 = step
            .parse()
            .map_err(|_| HandlerError::Permanent("step".into()))?;
        let pause = 3 + (step as u64 * 7 + petition.len() as u64) % 5;
        tokio::time::sleep(Duration::from_millis(pause)).await;
        txn.execute_unprepared(&format!(
            "INSERT INTO probe_disorder (petition_id, step)
               SELECT '{petition}', {step}
               WHERE {step} > 0 AND NOT EXISTS (
                 SELECT 1 FROM probe_effect WHERE petition_id = '{petition}' AND step = {step} - 1);
             INSERT INTO probe_effect (petition_id, step) VALUES ('{petition}', {step});"
        ))
        .await
        .map_err(|e| HandlerError::Transient(e.into()))?;
        Ok(())
    }
}

/// A consumer of `TOPIC` with the default settings (four lanes, batches of 16), recording in
/// `service`'s inbox.
fn consumer<H: EventHandler>(
    db: &TestDatabase,
    broker: &Broker,
    service: &str,
    group: &str,
    handler: H,
) -> EventConsumer<H> {
    EventConsumer::new(
        db.db.clone(),
        service,
        group,
        &EventSettings {
            brokers: broker.address(),
            ..Settings::default().events
        },
        &[TOPIC],
        handler,
    )
    .unwrap()
}

#[tokio::test]
async fn lanes_keep_each_petitions_order_and_a_restart_loses_and_repeats_nothing() {
    let db = TestDatabase::create().await;
    let broker = Broker::start().await;
    broker.create_topic(TOPIC, 3).await;
    db.db
        .execute_unprepared(
            "CREATE TABLE probe_inbox (consumer TEXT, event_id TEXT, topic TEXT, applied_at TIMESTAMPTZ, PRIMARY KEY (consumer, event_id));
             CREATE TABLE probe_effect (id SERIAL PRIMARY KEY, petition_id TEXT, step BIGINT);
             CREATE TABLE probe_disorder (petition_id TEXT, step BIGINT);",
        )
        .await
        .unwrap();
    let when = at("2026-02-03T09:00:00+08:00");
    let mut events = Vec::new();
    for step in 0..STEPS {
        for p in 0..PETITIONS {
            let petition = format!("p{p}");
            let mut event = registered_event(&petition, "east-t1", "340102001", when);
            event.event_id = format!("{petition}/{step}");
            events.push(event);
        }
    }
    publish(&broker.address(), TOPIC, &events).await;
    let total = (PETITIONS * STEPS) as i64;

    // Stopped about a third of the way, with events received on every lane and not applied.
    let group = "lanes-test";
    let stop = tokio_util::sync::CancellationToken::new();
    let running = tokio::spawn(
        consumer(&db, &broker, "probe", group, Steps).run(stop.clone().cancelled_owned()),
    );
    let partway = eventually(60, || async {
        (db.count("probe_effect").await >= total / 3).then_some(())
    })
    .await;
    assert!(partway.is_some(), "the first consumer applies events");
    stop.cancel();
    running.await.unwrap();
    let before_restart = db.count("probe_effect").await;
    assert!(before_restart < total, "stopped before the end");

    let stop = tokio_util::sync::CancellationToken::new();
    let running = tokio::spawn(
        consumer(&db, &broker, "probe", group, Steps).run(stop.clone().cancelled_owned()),
    );
    assert!(
        db.reaches("probe_effect", total, 90).await,
        "the restarted consumer applies the rest: {} of {total}",
        db.count("probe_effect").await
    );
    let caught_up = eventually(60, || async {
        group_caught_up(&broker.address(), group, TOPIC).then_some(())
    })
    .await;
    assert!(caught_up.is_some(), "the group's offsets reach the end");
    stop.cancel();
    running.await.unwrap();

    assert_eq!(
        db.count("(SELECT DISTINCT petition_id, step FROM probe_effect) d")
            .await,
        total,
        "every event applied exactly once"
    );
    assert_eq!(db.count("probe_effect").await, total, "none applied twice");
    assert_eq!(
        db.count("probe_disorder").await,
        0,
        "no petition's step applied before the one before it: {}",
        db.dump("probe_disorder").await
    );
}

/// Records each event and the transaction that applied it; refuses, for ever, the event `refused`.
struct Refusing;

impl EventHandler for Refusing {
    async fn apply(
        &self,
        txn: &DatabaseTransaction,
        envelope: &Envelope,
    ) -> Result<(), HandlerError> {
        tokio::time::sleep(Duration::from_millis(2)).await;
        txn.execute_unprepared(&format!(
            "INSERT INTO probe_effect (event_id, txid) VALUES ('{}', txid_current())",
            envelope.event_id
        ))
        .await
        .map_err(|e| HandlerError::Transient(e.into()))?;
        if envelope.event_id == "refused" {
            return Err(HandlerError::Permanent("this one never applies".into()));
        }
        Ok(())
    }
}

/// A database with `Refusing`'s table, and a broker with `TOPIC` in one partition.
async fn one_partition_and_probe() -> (TestDatabase, Broker) {
    let db = TestDatabase::create().await;
    let broker = Broker::start().await;
    broker.create_topic(TOPIC, 1).await;
    db.db
        .execute_unprepared(
            "CREATE TABLE probe_effect (id SERIAL PRIMARY KEY, event_id TEXT, txid BIGINT)",
        )
        .await
        .unwrap();
    (db, broker)
}

/// The events `Refusing` applied, in the order it applied them.
async fn applied_in_order(db: &TestDatabase) -> Vec<String> {
    db.db
        .query_all_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT event_id FROM probe_effect ORDER BY id",
        ))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get("", "event_id").unwrap())
        .collect()
}

#[tokio::test]
async fn waiting_events_apply_together_and_one_that_never_applies_is_parked_alone() {
    let (db, broker) = one_partition_and_probe().await;
    let when = at("2026-02-03T09:00:00+08:00");
    let ids: Vec<String> = (0..60)
        .map(|n| {
            if n == 30 {
                "refused".into()
            } else {
                format!("e{n}")
            }
        })
        .collect();
    let events: Vec<_> = ids
        .iter()
        .map(|id| {
            let mut event = registered_event("one-petition", "east-t1", "340102001", when);
            event.event_id = id.clone();
            event
        })
        .collect();
    publish(&broker.address(), TOPIC, &events).await;

    let stop = tokio_util::sync::CancellationToken::new();
    let consumer = consumer(&db, &broker, "dispatch", "batch-test", Refusing);
    let running = tokio::spawn(consumer.run(stop.clone().cancelled_owned()));
    assert!(
        db.reaches("dispatch_inbox", 60, 60).await,
        "every event recorded, the refused one as parked"
    );
    stop.cancel();
    running.await.unwrap();

    let applied = applied_in_order(&db).await;
    let expected: Vec<String> = ids.iter().filter(|id| *id != "refused").cloned().collect();
    assert_eq!(
        applied, expected,
        "each applied once, in their order; the refused one left nothing"
    );
    assert_eq!(
        db.count(
            "dispatch_parked WHERE event_id = 'refused' AND reason = 'this one never applies'"
        )
        .await,
        1
    );
    let transactions = db.count("(SELECT DISTINCT txid FROM probe_effect) t").await;
    assert!(
        transactions < 59,
        "59 waiting events took {transactions} transactions: not applied together"
    );
}

#[tokio::test]
async fn events_applied_together_skip_those_applied_before_and_a_second_copy_in_the_batch() {
    let (db, broker) = one_partition_and_probe().await;
    let when = at("2026-02-03T09:00:00+08:00");
    let event = |id: &str| {
        let mut event = registered_event("one-petition", "east-t1", "340102001", when);
        event.event_id = id.to_owned();
        event
    };
    // e3 and e7 were applied before (as by a consumer that stopped before its commit reached
    // the broker); e10 comes twice in a row (a producer's retry).
    for early in ["e3", "e7"] {
        let outcome = deliver_one(
            &db.db,
            "dispatch",
            "redelivery-test",
            &Refusing,
            TOPIC,
            &event(early),
        )
        .await;
        assert_eq!(outcome, Outcome::Applied);
    }
    let mut published: Vec<_> = (0..20).map(|n| event(&format!("e{n}"))).collect();
    published.insert(11, event("e10"));
    publish(&broker.address(), TOPIC, &published).await;

    let stop = tokio_util::sync::CancellationToken::new();
    let consumer = consumer(&db, &broker, "dispatch", "redelivery-test", Refusing);
    let running = tokio::spawn(consumer.run(stop.clone().cancelled_owned()));
    assert!(
        db.reaches("probe_effect", 20, 60).await,
        "every event applied"
    );
    let caught_up = eventually(60, || async {
        group_caught_up(&broker.address(), "redelivery-test", TOPIC).then_some(())
    })
    .await;
    assert!(caught_up.is_some(), "the group's offsets reach the end");
    stop.cancel();
    running.await.unwrap();

    let applied = applied_in_order(&db).await;
    let expected: Vec<String> = ["e3", "e7"]
        .into_iter()
        .map(String::from)
        .chain(
            (0..20)
                .filter(|n| ![3, 7].contains(n))
                .map(|n| format!("e{n}")),
        )
        .collect();
    assert_eq!(applied, expected, "each applied once, in the log's order");
    assert_eq!(db.count("dispatch_inbox").await, 20);
    let transactions = db.count("(SELECT DISTINCT txid FROM probe_effect) t").await;
    assert!(
        transactions < 20,
        "the waiting events took {transactions} transactions: not applied together"
    );
}
