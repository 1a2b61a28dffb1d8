//! The audit log (审计日志) cannot be changed without trace: the platform's own connection cannot
//! update or delete a row, and when someone who owns the tables does, `xinfang audit verify`
//! names each aggregate whose log was changed, shortened, reordered or forged, and where.
//! PostgreSQL, a Kafka-protocol broker, intake and dispatch over gRPC, the `xinfang` binary.

use sea_orm::ConnectionTrait;
use std::process::Command;
use xinfang_platform::keyring;
use xinfang_proto::xinfang::dispatch::v1::*;
use xinfang_testkit::broker::Broker;
use xinfang_testkit::database::TestDatabase;
use xinfang_testkit::identity::overrides;
use xinfang_testkit::services::{RunningService, settings_with, spawn_dispatch, spawn_intake};
use xinfang_testkit::{authed, eventually, resident_id, token, wage_claim};

/// A registered item forwarded to the labour bureau and accepted there: its case's log holds
/// three rows (opened, forwarded, accepted).
async fn accepted_case(intake: &RunningService, dispatch: &RunningService, n: u32) -> String {
    let id = intake
        .intake_client()
        .await
        .register_petition(authed(
            wage_claim(&format!("audit-{n}"), &resident_id(n)),
            &token("east-t1"),
        ))
        .await
        .expect("registered")
        .into_inner()
        .petition
        .expect("the petition")
        .id;
    let client = dispatch.dispatch_client().await;
    let opened = eventually(60, || {
        let mut client = client.clone();
        let request = authed(
            GetCaseRequest {
                petition_id: id.clone(),
            },
            &token("east-t1"),
        );
        async move { client.get_case(request).await.ok() }
    })
    .await;
    assert!(opened.is_some(), "dispatch opened a case for {id}");
    let mut client = client.clone();
    let forward = ForwardRequest {
        petition_id: id.clone(),
        organ_code: "east-rsj".into(),
        note: String::new(),
    };
    client
        .forward(authed(forward, &token("east-t1")))
        .await
        .expect("forwarded");
    let accept = AcceptRequest {
        petition_id: id.clone(),
        notice_text: "您的信访事项已受理".into(),
    };
    client
        .accept(authed(accept, &token("east-rsj")))
        .await
        .expect("accepted");
    id
}

/// `xinfang audit verify` on the test's database with the services' keys: success and output.
fn verify(db: &TestDatabase) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xinfang"));
    command
        .args(["audit", "verify"])
        .env("XINFANG__DATABASE__URL", &db.url)
        .env("XINFANG__EVENTS__BACKEND", "kafka")
        .env("XINFANG__TELEMETRY__LOG_FILTER", "error");
    for (key, value) in overrides() {
        command.env(
            format!("XINFANG__{}", key.to_uppercase().replace('.', "__")),
            value,
        );
    }
    let out = command.output().expect("xinfang runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

async fn sql(db: &TestDatabase, statement: &str) {
    db.db
        .execute_unprepared(statement)
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

#[tokio::test]
async fn a_changed_shortened_reordered_or_forged_audit_log_is_found_and_named() {
    let db = TestDatabase::create().await;
    let broker = Broker::with_service_topics().await;
    let brokers = broker.address();
    let settings = || settings_with(&db.url, Some(&brokers), &[]);
    let intake = spawn_intake(settings()).await;
    let dispatch = spawn_dispatch(settings()).await;
    let mut cases = Vec::new();
    for n in 1..=6 {
        cases.push(accepted_case(&intake, &dispatch, n).await);
    }
    intake.stop().await;
    dispatch.stop().await;
    let [edited, cut, reordered, shortened, forged, untouched] = &cases[..] else {
        unreachable!()
    };
    assert_eq!(db.count("dispatch_audit WHERE hash IS NOT NULL").await, 18);

    let (ok, report) = verify(&db);
    assert!(ok, "{report}");
    assert!(
        report.contains("✓ dispatch: 18 rows of 6 aggregates checked, 0 broken"),
        "{report}"
    );
    assert!(report.contains("✓ intake:"), "{report}");

    // The platform's own connection cannot rewrite history.
    let refused = db
        .db
        .execute_unprepared("UPDATE dispatch_audit SET actor = 'nobody'")
        .await
        .expect_err("audit rows are append-only");
    assert!(refused.to_string().contains("append-only"), "{refused}");
    assert!(
        db.db
            .execute_unprepared("DELETE FROM dispatch_audit")
            .await
            .is_err()
    );

    // Someone who owns the tables switches that off and edits anyway.
    sql(&db, "ALTER TABLE dispatch_audit DISABLE TRIGGER USER").await;
    let row =
        |case: &str, version: i64| format!("aggregate = 'case/{case}' AND version = {version}");
    sql(
        &db,
        &format!(
            "UPDATE dispatch_audit SET actor = 'x' || actor WHERE {}",
            row(edited, 2)
        ),
    )
    .await;
    sql(
        &db,
        &format!("DELETE FROM dispatch_audit WHERE {}", row(cut, 2)),
    )
    .await;
    sql(
        &db,
        &format!(
            "UPDATE dispatch_audit SET version = 5 - version WHERE aggregate = 'case/{reordered}' \
             AND version IN (2, 3)"
        ),
    )
    .await;
    sql(
        &db,
        &format!("DELETE FROM dispatch_audit WHERE {}", row(shortened, 3)),
    )
    .await;
    // A row made up with a key of the forger's own, linked after the real last row.
    let forged_hash = format!("t1:{}", keyring::hmac_hex(&[7; 32], b"made up"));
    sql(
        &db,
        &format!(
            "INSERT INTO dispatch_audit (occurred_at, actor, org_unit, action, aggregate, \
             version, detail, prev_hash, hash) SELECT occurred_at, actor, org_unit, 'answered', \
             aggregate, 4, '{{}}', hash, '{forged_hash}' FROM dispatch_audit WHERE {}",
            row(forged, 3)
        ),
    )
    .await;

    let (ok, report) = verify(&db);
    assert!(!ok, "{report}");
    assert!(report.contains("✗ dispatch:"), "{report}");
    assert!(report.contains("5 broken"), "{report}");
    for (case, version, what) in [
        (edited, 2, "does not match its hash (it was changed)"),
        (cut, 3, "does not follow the row before it"),
        (reordered, 2, "does not follow the row before it"),
        (
            shortened,
            3,
            "its log ends at version 2 (its last rows were deleted)",
        ),
        (forged, 4, "does not match its hash"),
    ] {
        let line = format!("case/{case} version {version}: ");
        let found = report
            .lines()
            .find(|l| l.contains(&line))
            .unwrap_or_else(|| panic!("{line} is reported:\n{report}"));
        assert!(found.contains(what), "{found}");
    }
    assert!(!report.contains(untouched.as_str()), "{report}");
    assert!(
        report.contains("✓ intake:"),
        "intake's log is whole: {report}"
    );
    assert!(report.contains("someone changed them"), "{report}");

    // The edit undone, the log of that case is whole again: the hash is over the contents.
    sql(
        &db,
        &format!(
            "UPDATE dispatch_audit SET actor = substr(actor, 2) WHERE {}",
            row(edited, 2)
        ),
    )
    .await;
    let (_, report) = verify(&db);
    assert!(report.contains("4 broken"), "{report}");
    assert!(!report.contains(&format!("case/{edited}")), "{report}");
}
