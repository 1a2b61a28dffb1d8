//! Supervision at scale (P3 of the performance targets): 5,000,000 synthetic items in PostgreSQL,
//! then the due/overdue worklist of one county and one city's year of metrics, each timed over
//! repeated runs through the same code the gRPC API uses, and the full recount of the kept
//! metric counts that `xinfang recount` runs.
//!
//!     cargo bench -p xinfang-supervision --bench supervision            # 5,000,000 items
//!     XINFANG_BENCH_ITEMS=100000 cargo bench -p xinfang-supervision --bench supervision
//!
//! `XINFANG_TEST_PG` names the server (default postgres://postgres@127.0.0.1:5432); the data goes
//! into a database `xinfang_bench_<items>`, created once and reused by later runs.

use chrono::NaiveDate;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use std::time::{Duration, Instant};
use xinfang_domain::metrics::ITEM_METRICS;
use xinfang_domain::metrics::{DateBasis, Definitions};
use xinfang_platform::policy::Scope;
use xinfang_supervision::metrics::{Dimension, MetricQuery};
use xinfang_supervision::worklist::Worklist;

const RUNS: usize = 30;
/// The recount takes most of a minute: timed a few times only.
const RECOUNTS: usize = 3;

async fn connect(url: &str) -> DatabaseConnection {
    let mut options = ConnectOptions::new(url.to_owned());
    options.sqlx_logging(false).max_connections(4);
    Database::connect(options).await.expect("PostgreSQL")
}

/// The synthetic items: six regions of the demo city, four channels, two years of registrations;
/// 30% still open with a due date, the rest answered, some evaluated.
const LOAD: &str = r#"
INSERT INTO supervision_item (
  petition_id, case_number, region_code, registering_unit, channel_code, organ_code, state,
  online, visit, repeat, bypass, first_time, petitioned_on, registered_on,
  limit_name, due_date, next_check, acceptance_due, accepted_on, accepted_in_time, acceptance_overdue,
  answer_due, answered_on, answered_on_time, answer_overdue, evaluation_due, evaluated, satisfied, evaluation_missed, repeated_later)
SELECT
  lpad(i::text, 36, '0'),
  '340100-' || i,
  (ARRAY['340102001','340102002','340103001','340103002','340102','340103'])[1 + i % 6],
  (ARRAY['east-t1','east-t2','west-t1','west-t2','east-xfj','west-xfj'])[1 + i % 6],
  (ARRAY['0100','0200','0300','0400'])[1 + i % 4],
  (ARRAY['east-rsj','city-rsj','west-zjj','city-zjj'])[1 + i % 4],
  CASE WHEN i % 10 < 3 THEN 'accepted' ELSE 'answered' END,
  i % 4 = 0, i % 4 = 2, i % 10 = 9, i % 4 = 2 AND i % 7 = 0, i % 10 <> 9,
  to_char(d - (i % 3), 'YYYY-MM-DD'), to_char(d, 'YYYY-MM-DD'),
  CASE WHEN i % 10 < 3 THEN 'handling' END,
  CASE WHEN i % 10 < 3 THEN to_char(d + 65, 'YYYY-MM-DD') END,
  CASE WHEN i % 10 < 3 THEN to_char(d + 62, 'YYYY-MM-DD') END,
  to_char(d + 15, 'YYYY-MM-DD'),
  CASE WHEN i % 10 <> 0 THEN to_char(d + 5 + i % 14, 'YYYY-MM-DD') END,
  i % 10 <> 0 AND i % 13 <> 0, i % 10 = 0,
  to_char(d + 65, 'YYYY-MM-DD'),
  CASE WHEN i % 10 >= 3 THEN to_char(d + 30 + i % 45, 'YYYY-MM-DD') END,
  i % 10 >= 3 AND i % 45 < 35, i % 10 < 3 AND d + 65 < DATE '2026-11-27',
  CASE WHEN i % 10 >= 3 THEN to_char(d + 60 + i % 45, 'YYYY-MM-DD') END,
  i % 10 >= 3 AND i % 3 = 0, i % 10 >= 3 AND i % 3 = 0 AND i % 4 <> 0, i % 10 >= 3 AND i % 3 = 1,
  i % 17 = 0
FROM (SELECT i, DATE '2025-01-01' + (i % 730) AS d FROM generate_series(1, $1::int) AS i) AS g
"#;

async fn prepare(server: &str, items: i64) -> DatabaseConnection {
    let name = format!("xinfang_bench_{items}");
    let admin = connect(&format!("{server}/postgres")).await;
    let exists = admin
        .query_one_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            format!("SELECT 1 AS one FROM pg_database WHERE datname = '{name}'"),
        ))
        .await
        .unwrap()
        .is_some();
    if !exists {
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
    }
    let db = connect(&format!("{server}/{name}")).await;
    xinfang_migrations::migrate_all(&db).await.unwrap();
    let count: i64 = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM supervision_item".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap();
    if count != items {
        println!("loading {items} synthetic items…");
        let started = Instant::now();
        db.execute_unprepared("TRUNCATE supervision_item")
            .await
            .unwrap();
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
            db.get_database_backend(),
            LOAD,
            [items.into()],
        ))
        .await
        .unwrap();
        println!("loaded in {:.1} s", started.elapsed().as_secs_f64());
        db.execute_unprepared("DELETE FROM supervision_metric_count")
            .await
            .unwrap();
    }
    let counted = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT 1 AS one FROM supervision_metric_count LIMIT 1".to_owned(),
        ))
        .await
        .unwrap();
    if counted.is_none() {
        // The counts the events would have kept, computed once from the items.
        let started = Instant::now();
        xinfang_supervision::counts::rebuild(&db, &Definitions::default())
            .await
            .unwrap();
        println!("counts rebuilt in {:.1} s", started.elapsed().as_secs_f64());
    }
    db.execute_unprepared("VACUUM ANALYZE").await.unwrap();
    db
}

fn report(name: &str, mut times: Vec<Duration>, target_ms: f64) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = ms(times[times.len() / 2]);
    let p95 = ms(times[times.len() * 95 / 100]);
    println!("{name:<40} median {median:>8.2} ms   p95 {p95:>8.2} ms   (target ≤ {target_ms} ms)");
}

#[tokio::main]
async fn main() {
    let items: i64 = std::env::var("XINFANG_BENCH_ITEMS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5_000_000);
    let server = std::env::var("XINFANG_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let db = prepare(&server, items).await;
    println!("{items} items in PostgreSQL; {RUNS} runs each after a warm-up");

    let worklist = Worklist {
        scope: Scope::Region("340102".into()),
        today: "2026-11-27".into(),
        overdue_only: true,
        due_before: None,
        after: None,
        limit: 50,
    };
    let mut times = Vec::new();
    for run in 0..RUNS + 3 {
        let started = Instant::now();
        let (page, _) = worklist.fetch(&db).await.unwrap();
        assert_eq!(page.len(), 50);
        if run >= 3 {
            times.push(started.elapsed());
        }
    }
    report("overdue worklist of county 340102 (50)", times, 20.0);

    let metrics = MetricQuery {
        region_prefix: "3401".into(),
        organ: None,
        dimension: Dimension::Region,
        basis: DateBasis::Registered,
        from: NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date"),
        to: NaiveDate::from_ymd_opt(2026, 12, 31).expect("a date"),
        definitions: Definitions::default(),
    };
    let mut times = Vec::new();
    for run in 0..RUNS + 3 {
        let started = Instant::now();
        let figures = metrics.count(&db, &ITEM_METRICS).await.unwrap();
        assert!(!figures.is_empty());
        if run >= 3 {
            times.push(started.elapsed());
        }
    }
    report("city 3401, year 2026, 8 metrics by region", times, 100.0);

    let mut times = Vec::new();
    for _ in 0..RECOUNTS {
        let started = Instant::now();
        xinfang_supervision::counts::rebuild(&db, &Definitions::default())
            .await
            .unwrap();
        times.push(started.elapsed());
    }
    report(&format!("full recount of {items} items"), times, 60_000.0);
}
