//! The load generator as an operator runs it: `xinfang bench` against a running intake on
//! PostgreSQL and the broker, its raw ceiling through pgbench on the same database, and the way
//! from registration to case through a running dispatch.

use std::process::Output;
use xinfang_testkit::broker::Broker;
use xinfang_testkit::database::TestDatabase;
use xinfang_testkit::services::{settings, spawn_dispatch, spawn_intake};
use xinfang_testkit::token;

async fn bench(args: &[&str], endpoint: &str) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_xinfang"))
        .arg("bench")
        .args(args)
        .args(["--endpoint", endpoint])
        .env("XINFANG_TOKEN", token("east-t1"))
        .output()
        .await
        .expect("xinfang bench runs")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_registers_reads_and_measures_the_ceiling_on_a_real_node() {
    let db = TestDatabase::create().await;
    let broker = Broker::with_service_topics().await;
    let intake = spawn_intake(settings(&db.url, Some(&broker.address()))).await;
    let endpoint = format!("http://{}", intake.addr);

    let registered = stdout(
        &bench(
            &[
                "register",
                "-c",
                "4",
                "--count",
                "30",
                "--warmup",
                "0",
                "--ceiling",
                "--duration",
                "1",
                "--database-url",
                &db.url,
            ],
            &endpoint,
        )
        .await,
    );
    assert!(registered.contains("30 calls in"), "{registered}");
    assert!(registered.contains(": 30 ok"), "{registered}");
    assert!(registered.contains("latency ms: p50 "), "{registered}");
    assert!(registered.contains("raw ceiling (pgbench"), "{registered}");
    assert!(registered.contains("intake reaches "), "{registered}");
    assert_eq!(db.count("intake_petition").await, 30, "each call one item");
    assert_eq!(
        db.count("pg_tables WHERE tablename LIKE 'bench_ceiling_%'")
            .await,
        0,
        "the ceiling's tables are gone"
    );

    let read = stdout(
        &bench(
            &[
                "get", "-c", "2", "--count", "20", "--warmup", "0", "--seed", "5",
            ],
            &endpoint,
        )
        .await,
    );
    assert!(read.contains(": 20 ok"), "{read}");
    assert_eq!(db.count("intake_petition").await, 35, "the five read");

    let dispatch = spawn_dispatch(settings(&db.url, Some(&broker.address()))).await;
    let piped = stdout(
        &bench(
            &[
                "pipeline",
                "-c",
                "4",
                "--count",
                "20",
                "--warmup",
                "0",
                "--database-url",
                &db.url,
            ],
            &endpoint,
        )
        .await,
    );
    assert!(piped.contains(": 20 ok"), "{piped}");
    assert!(
        piped.contains("registered → case opened, 20 of 20 items:\nlatency ms: p50 "),
        "every item's case found and timed: {piped}"
    );
    dispatch.stop().await;
    intake.stop().await;
}
