//! Personal-data keys rotated while intake runs: before, during and after `xinfang pii rotate`
//! every query code tracks, every replay returns its code and a repeat petitioner is linked to
//! the first item; afterwards the old keys can be dropped. PostgreSQL, a Kafka-protocol broker,
//! gRPC over a socket and the `xinfang` binary as an operator runs it.

use std::process::Command;
use tonic::transport::Channel;
use xinfang_platform::keyring::generate as fresh;
use xinfang_proto::xinfang::intake::v1::intake_service_client::IntakeServiceClient;
use xinfang_proto::xinfang::intake::v1::*;
use xinfang_proto::xinfang::petition::v1::PetitionState;
use xinfang_testkit::broker::Broker;
use xinfang_testkit::database::TestDatabase;
use xinfang_testkit::identity::pii_keys;
use xinfang_testkit::services::{settings_with, spawn_intake};
use xinfang_testkit::{authed, resident_id, token, wage_claim};

struct Registered {
    petition: Petition,
    query_code: String,
    request: RegisterPetitionRequest,
}

async fn register(client: &mut IntakeServiceClient<Channel>, key: &str, n: u32) -> Registered {
    let request = wage_claim(key, &resident_id(n));
    let response = client
        .register_petition(authed(request.clone(), &token("east-t1")))
        .await
        .expect("registered")
        .into_inner();
    Registered {
        petition: response.petition.expect("the petition"),
        query_code: response.query_code,
        request,
    }
}

/// What a user notices of the stored personal data: each code tracks, each replay gives back its
/// code, and the same person again is a repeat linked to the first item.
async fn all_readable(client: &mut IntakeServiceClient<Channel>, items: &[Registered], tag: &str) {
    for item in items {
        let tracked = client
            .track_by_query_code(TrackByQueryCodeRequest {
                query_code: item.query_code.clone(),
            })
            .await
            .unwrap_or_else(|e| panic!("{tag}: {} tracks: {e}", item.query_code))
            .into_inner();
        assert!(!tracked.case_number.is_empty(), "{tag}");
        let replay = client
            .register_petition(authed(item.request.clone(), &token("east-t1")))
            .await
            .unwrap_or_else(|e| panic!("{tag}: replay: {e}"))
            .into_inner();
        assert!(replay.replayed, "{tag}");
        assert_eq!(
            replay.query_code, item.query_code,
            "{tag}: the replay opens the code"
        );
    }
}

async fn is_linked_to(
    client: &mut IntakeServiceClient<Channel>,
    first: &Registered,
    key: &str,
    n: u32,
) {
    let repeat = register(client, key, n).await.petition;
    assert_eq!(repeat.state, PetitionState::Linked as i32, "{key}");
    assert_eq!(repeat.linked_petition_id, first.petition.id, "{key}");
}

/// `xinfang pii …` on the test's database with these keys.
fn pii(db: &TestDatabase, broker: &Broker, keys: (&str, &str), args: &[&str]) -> (bool, String) {
    let (seal, hash) = keys;
    let out = Command::new(env!("CARGO_BIN_EXE_xinfang"))
        .arg("pii")
        .args(args)
        .env("XINFANG__DATABASE__URL", &db.url)
        .env("XINFANG__EVENTS__BACKEND", "kafka")
        .env("XINFANG__EVENTS__BROKERS", broker.address())
        .env("XINFANG__PII__SEAL_KEYS", seal)
        .env("XINFANG__PII__HASH_KEYS", hash)
        .env("XINFANG__TELEMETRY__LOG_FILTER", "error")
        .output()
        .expect("xinfang runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[tokio::test]
async fn keys_rotate_while_intake_runs_and_the_old_ones_can_then_be_dropped() {
    let db = TestDatabase::create().await;
    let broker = Broker::start().await;
    broker.create_topic("xinfang.intake.events", 1).await;
    broker.create_topic("xinfang.dispatch.events", 1).await;
    let brokers = broker.address();
    let kafka = Some(brokers.as_str());
    let (old_seal, old_hash) = pii_keys();
    let intake = spawn_intake(settings_with(&db.url, kafka, &[])).await;
    let mut client = intake.intake_client().await;
    let mut items = Vec::new();
    for n in 1..=3 {
        items.push(register(&mut client, &format!("k{n}"), n).await);
    }
    intake.stop().await;
    let on_old = "intake_petitioner WHERE id_number_sealed LIKE 't1:%' AND id_number_hash LIKE \
                  't1:%' AND phone_sealed LIKE 't1:%'";
    assert_eq!(db.count(on_old).await, 3);
    assert_eq!(
        db.count("intake_petitioner WHERE id_number_sealed LIKE '%1980%'")
            .await,
        0
    );

    // New keys first, old ones after: both kinds of value are read.
    let (new_seal, new_hash) = (fresh("r2"), fresh("r2"));
    let both_seal = format!("{new_seal},{old_seal}");
    let both_hash = format!("{new_hash},{old_hash}");
    let intake = spawn_intake(settings_with(
        &db.url,
        kafka,
        &[("pii.seal_keys", &both_seal), ("pii.hash_keys", &both_hash)],
    ))
    .await;
    let mut client = intake.intake_client().await;
    all_readable(&mut client, &items, "before the rotation").await;
    is_linked_to(&mut client, &items[0], "repeat-1", 1).await;
    let (ok, status) = pii(&db, &broker, (&both_seal, &both_hash), &["status"]);
    assert!(ok, "{status}");
    assert!(status.contains("3 petitions, 3 petitioners"), "{status}");

    // Dropping the old keys too early: the rotation stops, naming what it cannot open.
    let (ok, early) = pii(&db, &broker, (&new_seal, &new_hash), &["rotate"]);
    assert!(!ok);
    assert!(
        early.contains("query code") && early.contains("\"t1\" is not listed"),
        "{early}"
    );

    let (ok, rotated) = pii(
        &db,
        &broker,
        (&both_seal, &both_hash),
        &["rotate", "--batch", "2"],
    );
    assert!(ok, "{rotated}");
    all_readable(&mut client, &items, "after the rotation").await;
    let (_, status) = pii(&db, &broker, (&both_seal, &both_hash), &["status"]);
    assert!(status.contains("0 petitions, 0 petitioners"), "{status}");
    assert_eq!(
        db.count("intake_petitioner WHERE id_number_sealed LIKE 't1:%'")
            .await,
        0
    );
    assert_eq!(
        db.count("intake_petition WHERE query_code_hash LIKE 't1:%'")
            .await,
        0
    );
    intake.stop().await;

    // Only the new keys from now on.
    let intake = spawn_intake(settings_with(
        &db.url,
        kafka,
        &[("pii.seal_keys", &new_seal), ("pii.hash_keys", &new_hash)],
    ))
    .await;
    let mut client = intake.intake_client().await;
    all_readable(&mut client, &items, "with the old keys dropped").await;
    is_linked_to(&mut client, &items[1], "repeat-2", 2).await;
    intake.stop().await;
}
