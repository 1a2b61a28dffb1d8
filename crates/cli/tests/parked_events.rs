//! A poisoned event is parked and the log goes on; once its cause is fixed, `xinfang events
//! replay` applies it exactly once — against PostgreSQL, a real Kafka-protocol broker and the
//! `xinfang` binary as an operator runs it.

use std::path::Path;
use std::process::Command;
use xinfang_events::parked;
use xinfang_testkit::broker::Broker;
use xinfang_testkit::database::TestDatabase;
use xinfang_testkit::kafka::publish;
use xinfang_testkit::services::{settings_with, spawn_dispatch};
use xinfang_testkit::{at, eventually, registered_event};

const INTAKE: &str = "xinfang.intake.events";
const REFERENCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/reference");

/// The demo reference data, with 淮河镇 (east-t2) left out of the organisation tree: this
/// process has not loaded the file that adds it yet.
fn reference_without_east_t2(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for file in ["channels.toml", "categories.toml", "calendar.toml"] {
        std::fs::copy(Path::new(REFERENCE).join(file), dir.join(file)).unwrap();
    }
    let org = std::fs::read_to_string(Path::new(REFERENCE).join("org.toml")).unwrap();
    let blocks: Vec<&str> = org.split("[[unit]]").collect();
    let kept: Vec<&str> = blocks
        .iter()
        .copied()
        .filter(|b| !b.contains("code = \"east-t2\""))
        .collect();
    assert_eq!(kept.len() + 1, blocks.len(), "east-t2 left out");
    std::fs::write(dir.join("org.toml"), kept.join("[[unit]]")).unwrap();
}

fn registered(id: &str, unit: &str, region: &str) -> xinfang_events::Envelope {
    registered_event(id, unit, region, at("2026-03-02T10:00:00+08:00"))
}

/// `xinfang events …` against the test's database and reference data.
fn xinfang(db: &TestDatabase, broker: &Broker, dir: &Path, args: &[&str]) -> (bool, String) {
    let mut all = vec!["events"];
    all.extend_from_slice(args);
    run(db, broker, dir, &all)
}

/// `xinfang …` against the test's database and reference data, on 2026-03-02.
fn run(db: &TestDatabase, broker: &Broker, dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xinfang"))
        .args(args)
        .env("XINFANG__CLOCK__START", "2026-03-02T12:00:00+08:00")
        .env("XINFANG__DATABASE__URL", &db.url)
        .env("XINFANG__EVENTS__BACKEND", "kafka")
        .env("XINFANG__EVENTS__BROKERS", broker.address())
        .env("XINFANG__REFERENCE__DIR", dir)
        .env("XINFANG__TELEMETRY__LOG_FILTER", "error")
        .output()
        .expect("xinfang runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn a_poisoned_event_is_parked_the_next_applied_and_a_replay_applies_it_once() {
    let db = TestDatabase::create().await;
    let broker = Broker::start().await;
    // One partition: the poisoned event and the next one are in the same log, in order.
    broker.create_topic(INTAKE, 1).await;
    broker.create_topic("xinfang.dispatch.events", 1).await;
    let dir = std::env::temp_dir().join(format!("xinfang-reference-{}", uuid::Uuid::new_v4()));
    reference_without_east_t2(&dir);
    let dir_text = dir.display().to_string();
    let dispatch = spawn_dispatch(settings_with(
        &db.url,
        Some(&broker.address()),
        &[
            ("reference.dir", &dir_text),
            ("clock.start", "2026-03-02T11:00:00+08:00"),
        ],
    ))
    .await;

    let (poisoned, next) = ("p-east-t2", "p-east-t1");
    publish(
        &broker.address(),
        INTAKE,
        &[
            registered(poisoned, "east-t2", "340102002"),
            registered(next, "east-t1", "340102001"),
        ],
    )
    .await;
    // The two petitions may go to different lanes: the next one's case can open before the
    // poisoned one is parked, so both are waited for.
    let applied = eventually(60, || async {
        let opened = db
            .count(&format!("dispatch_case WHERE petition_id = '{next}'"))
            .await
            == 1;
        let parked = db.count("dispatch_parked").await == 1;
        (opened && parked).then_some(())
    })
    .await;
    assert!(
        applied.is_some(),
        "the event after the poisoned one is applied, and the poisoned one parked"
    );
    let parked = parked::list(&db.db, "dispatch", false).await.unwrap();
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].message_key, poisoned);
    assert_eq!(parked[0].event_type, "PetitionRegistered");
    assert!(
        parked[0].reason.contains("XF_UNKNOWN_UNIT"),
        "{}",
        parked[0].reason
    );
    assert!(parked[0].position.starts_with("partition 0 offset 0"));
    assert_eq!(
        db.count(&format!("dispatch_case WHERE petition_id = '{poisoned}'"))
            .await,
        0
    );

    // What an operator sees; replaying before the cause is fixed changes nothing.
    let (ok, listed) = xinfang(&db, &broker, &dir, &["parked"]);
    assert!(ok);
    let id = format!("dispatch/{}", parked[0].id);
    assert!(
        listed.contains(&id) && listed.contains("XF_UNKNOWN_UNIT"),
        "{listed}"
    );
    let (ok, checked) = run(&db, &broker, &dir, &["check"]);
    assert!(!ok, "{checked}");
    assert!(
        checked.contains("✗ dispatch: 1 parked event(s)"),
        "{checked}"
    );
    let (ok, replayed) = xinfang(&db, &broker, &dir, &["replay", &id]);
    assert!(!ok, "still refused: {replayed}");
    assert!(replayed.contains("still parked"), "{replayed}");

    // The bureau's new organisation tree reaches this node; the replay applies it, once.
    std::fs::copy(Path::new(REFERENCE).join("org.toml"), dir.join("org.toml")).unwrap();
    dispatch.reference.reload().unwrap();
    let (ok, replayed) = xinfang(&db, &broker, &dir, &["replay", "--all"]);
    assert!(ok, "{replayed}");
    assert!(replayed.contains(&format!("{id}  applied")), "{replayed}");
    let (ok, again) = xinfang(&db, &broker, &dir, &["replay", &id]);
    assert!(ok && again.contains("nothing to do"), "{again}");
    assert_eq!(
        db.count(&format!("dispatch_case WHERE petition_id = '{poisoned}'"))
            .await,
        1
    );
    assert_eq!(
        db.count(&format!(
            "dispatch_step WHERE petition_id = '{poisoned}' AND action = 'opened'"
        ))
        .await,
        1
    );
    assert_eq!(
        xinfang(&db, &broker, &dir, &["parked"]).1.trim(),
        "no parked events"
    );
    let (ok, checked) = run(&db, &broker, &dir, &["check"]);
    assert!(ok, "{checked}");
    dispatch.stop().await;
    std::fs::remove_dir_all(dir).ok();
}
