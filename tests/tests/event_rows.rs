//! What the event plumbing leaves behind: on the topic each outbox row once and in its
//! petition's order; in the database nothing from an idle relay, and after retention no old sent
//! outbox rows or old inbox rows but everything still owed to the log.

use chrono::{Duration, Utc};
use sea_orm::ConnectionTrait;
use std::collections::{HashMap, HashSet};
use tokio_util::sync::CancellationToken;
use xinfang_events::Payload;
use xinfang_events::envelope::EventDraft;
use xinfang_events::outbox::{self, Position};
use xinfang_events::relay::Relay;
use xinfang_events::retention::{Swept, sweep};
use xinfang_testkit::broker::Broker;
use xinfang_testkit::database::TestDatabase;
use xinfang_testkit::kafka::read_until;
use xinfang_testkit::services::{settings, spawn_intake};

/// The relay sends batch after batch while rows keep committing: each reaches the topic once, in
/// its petition's order, and is marked sent.
#[tokio::test]
async fn a_relay_sending_batch_after_batch_delivers_each_row_once_in_order() {
    let db = TestDatabase::create().await;
    let broker = Broker::with_service_topics().await;
    let append = |n: u64| {
        let db = db.db.clone();
        async move {
            let petition = format!("p{}", n % 10);
            let draft = EventDraft::new(
                petition.clone(),
                Payload::PetitionRegistered(Default::default()),
                Utc::now(),
            );
            let position = Position {
                stream: format!("petition/{petition}"),
                sequence: n / 10 + 1,
            };
            outbox::append(&db, "intake", "340100", position, draft)
                .await
                .unwrap();
            outbox::committed("intake");
        }
    };
    for n in 0..150 {
        append(n).await;
    }
    let relay = Relay::new(db.db.clone(), "intake", &broker.address(), 7).unwrap();
    let stop = CancellationToken::new();
    let running = tokio::spawn(relay.run(
        std::time::Duration::from_millis(50),
        stop.clone().cancelled_owned(),
    ));
    for n in 150..300 {
        append(n).await;
        if n % 10 == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
    assert!(
        db.reaches("intake_outbox WHERE sent_at IS NOT NULL", 300, 60)
            .await,
        "every row marked sent"
    );
    stop.cancel();
    running.await.unwrap();

    // (The broker's high watermark may trail its acknowledgements for a moment: read to a count.)
    let records = read_until(&broker.address(), "xinfang.intake.events", 30, |r| {
        r.len() >= 300
    })
    .await;
    let ids: HashSet<_> = records.iter().map(|r| &r.envelope.event_id).collect();
    assert_eq!(
        (records.len(), ids.len()),
        (300, 300),
        "each row on the topic once"
    );
    let mut last: HashMap<&str, u64> = HashMap::new();
    for record in &records {
        let before = last.insert(&record.key, record.envelope.sequence);
        assert!(
            before < Some(record.envelope.sequence),
            "{}: {} after {before:?}",
            record.key,
            record.envelope.sequence
        );
    }
    assert_eq!(last.len(), 10);
}

#[tokio::test]
async fn an_idle_relay_does_not_renew_its_lease_and_a_stopped_one_gives_it_up() {
    let db = TestDatabase::create().await;
    let broker = Broker::with_service_topics().await;
    let intake = spawn_intake(settings(&db.url, Some(&broker.address()))).await;
    intake.register_wage_claim("idle", 5).await;
    assert!(
        db.reaches("intake_outbox WHERE sent_at IS NOT NULL", 1, 60)
            .await,
        "the event was relayed"
    );
    let before = lease_expiry(&db).await;
    // The relay looks every 50 ms in tests: twenty looks with nothing to send.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(
        lease_expiry(&db).await,
        before,
        "an idle relay writes nothing"
    );
    intake.stop().await;
    assert_eq!(
        db.count("intake_relay_lease").await,
        0,
        "a stopped relay gives its lease up: the one started in its place sends at once"
    );
}

async fn lease_expiry(db: &TestDatabase) -> String {
    lease(db, "CAST(expires_at AS TEXT)").await
}

/// `value` (an SQL expression over its columns) of the relay's lease of intake.
async fn lease(db: &TestDatabase, value: &str) -> String {
    let row = db
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            db.db.get_database_backend(),
            format!("SELECT {value} AS value FROM intake_relay_lease"),
        ))
        .await
        .unwrap()
        .expect("the lease row");
    row.try_get("", "value").unwrap()
}

#[tokio::test]
async fn retention_deletes_old_sent_and_applied_rows_only() {
    let db = TestDatabase::create().await;
    let old = Utc::now() - Duration::days(20);
    let new = Utc::now() - Duration::days(1);
    let outbox = |event: &str, sent: Option<chrono::DateTime<Utc>>, parked: bool| {
        format!(
            "INSERT INTO intake_outbox (event_id, topic, message_key, sequence, event_type, payload, \
             created_at, sent_at, stream, parked_reason) VALUES ('{event}', 't', 'p-{event}', 1, 'X', \
             '\\x00', '{old}', {}, 's-{event}', {})",
            sent.map_or("NULL".into(), |t| format!("'{t}'")),
            if parked { "'too large'" } else { "NULL" },
        )
    };
    let inbox = |event: &str, at: chrono::DateTime<Utc>| {
        format!(
            "INSERT INTO intake_inbox (consumer, event_id, topic, applied_at) \
             VALUES ('intake', '{event}', 't', '{at}')"
        )
    };
    for statement in [
        outbox("sent-long-ago", Some(old), false),
        outbox("sent-yesterday", Some(new), false),
        outbox("never-sent", None, false),
        outbox("parked", None, true),
        inbox("applied-long-ago", old),
        inbox("applied-yesterday", new),
    ] {
        db.db.execute_unprepared(&statement).await.unwrap();
    }

    let swept = sweep(&db.db, "intake", Utc::now() - Duration::days(14))
        .await
        .unwrap();
    assert_eq!(
        swept,
        Swept {
            outbox: 1,
            inbox: 1
        }
    );
    assert_eq!(db.count("intake_outbox").await, 3);
    assert_eq!(
        db.count("intake_outbox WHERE event_id = 'sent-long-ago'")
            .await,
        0
    );
    assert_eq!(
        db.count("intake_inbox WHERE event_id = 'applied-yesterday'")
            .await,
        1
    );
    assert_eq!(db.count("intake_inbox").await, 1);
}

/// One relay per service sends: another process's relay may take the lease only once its holder
/// stopped renewing it; a relay that holds it renews it.
#[tokio::test]
async fn a_relay_takes_the_lease_only_when_its_holder_let_it_run_out() {
    let db = TestDatabase::create().await;
    let broker = Broker::with_service_topics().await;
    let outbox = "INSERT INTO intake_outbox (event_id, topic, message_key, sequence, event_type, \
                  payload, created_at, stream) VALUES ('e1', 't', 'p1', 1, 'X', '\\x00', now(), 's1')";
    db.db.execute_unprepared(outbox).await.unwrap();
    db.db
        .execute_unprepared(
            "INSERT INTO intake_relay_lease (name, holder, expires_at) \
             VALUES ('relay', 'another process', now() + interval '1 minute')",
        )
        .await
        .unwrap();
    let relay = Relay::new(db.db.clone(), "intake", &broker.address(), 100).unwrap();
    assert!(
        relay.claim().await.unwrap().is_none(),
        "the other process still holds the lease"
    );

    db.db
        .execute_unprepared(
            "UPDATE intake_relay_lease SET expires_at = now() - interval '1 second'",
        )
        .await
        .unwrap();
    let batch = relay
        .claim()
        .await
        .unwrap()
        .expect("the lease ran out: taken over");
    assert_eq!(batch.len(), 1);
    drop(batch); // rolled back: the lease stays the other process's, expired
    assert_eq!(relay.relay_once().await.unwrap(), 1);
    // NULL, and a failed read, unless a lease is in force.
    let holder = lease(&db, "CASE WHEN expires_at > now() THEN holder END").await;
    assert_ne!(holder, "another process", "this relay holds it now");
    db.db
        .execute_unprepared(
            outbox
                .replace("'e1'", "'e2'")
                .replace("'s1'", "'s2'")
                .as_str(),
        )
        .await
        .unwrap();
    assert_eq!(
        relay.relay_once().await.unwrap(),
        1,
        "its own lease, renewed"
    );
}
