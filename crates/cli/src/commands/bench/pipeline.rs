//! Registered → case opened: how long an item takes from intake's commit to dispatch's, through
//! the outbox, the relay, the broker and dispatch's consumer — read from the two events'
//! outbox timestamps once every registered item has its case.

use super::report::Report;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use std::time::Duration;

/// The latency of every petition in `ids` from `PetitionRegistered` to `CaseOpened`, waiting up to
/// `patience` for the last cases.
pub async fn latencies(
    database_url: &str,
    ids: &[String],
    patience: Duration,
) -> anyhow::Result<Report> {
    let db = Database::connect(database_url).await?;
    let deadline = tokio::time::Instant::now() + patience;
    let mut report = Report::new();
    for chunk in ids.chunks(1000) {
        let rows = loop {
            let rows = opened(&db, chunk).await?;
            if rows.len() == chunk.len() || tokio::time::Instant::now() >= deadline {
                break rows;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        for micros in &rows {
            report.record(Duration::from_micros((*micros).max(0) as u64));
        }
        for _ in rows.len()..chunk.len() {
            report.error("without a case after the wait".into());
        }
    }
    Ok(report)
}

/// Microseconds from registration to case for those of `ids` whose case opened.
async fn opened(db: &DatabaseConnection, ids: &[String]) -> anyhow::Result<Vec<i64>> {
    let backend = db.get_database_backend();
    let list = ids
        .iter()
        .map(|id| format!("'{}'", id.replace('\'', "")))
        .collect::<Vec<_>>()
        .join(",");
    let sql = format!(
        "SELECT CAST(EXTRACT(EPOCH FROM (d.created_at - i.created_at)) * 1000000 AS BIGINT) AS micros \
         FROM intake_outbox i JOIN dispatch_outbox d ON d.message_key = i.message_key \
         WHERE i.event_type = 'PetitionRegistered' AND d.event_type = 'CaseOpened' \
         AND i.message_key IN ({list})"
    );
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await?;
    rows.iter()
        .map(|row| Ok(row.try_get("", "micros")?))
        .collect()
}
