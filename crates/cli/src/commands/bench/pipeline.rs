//! Registered → case opened: how long an item takes from intake's commit to dispatch's, through
//! the outbox, the relay, the broker and dispatch's consumer — read from the two events'
//! outbox timestamps once every registered item has its case.

use super::report::Report;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
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
            report.record(Duration::from_micros(u64::try_from(*micros).unwrap_or(0)));
        }
        for _ in rows.len()..chunk.len() {
            report.error("without a case after the wait".into());
        }
    }
    Ok(report)
}

/// Microseconds from registration to case for those of `ids` whose case opened.
async fn opened(db: &DatabaseConnection, ids: &[String]) -> anyhow::Result<Vec<i64>> {
    let (registered, opened) = (Alias::new("i"), Alias::new("d"));
    let select = Query::select()
        .expr_as(
            Expr::cust(
                "CAST(EXTRACT(EPOCH FROM (d.created_at - i.created_at)) * 1000000 AS BIGINT)",
            ),
            "micros",
        )
        .from_as("intake_outbox", registered.clone())
        .join_as(
            JoinType::InnerJoin,
            "dispatch_outbox",
            opened.clone(),
            Expr::col((opened.clone(), "message_key")).equals((registered.clone(), "message_key")),
        )
        .and_where(Expr::col((registered.clone(), "event_type")).eq("PetitionRegistered"))
        .and_where(Expr::col((opened, "event_type")).eq("CaseOpened"))
        .and_where(Expr::col((registered, "message_key")).is_in(ids.iter().cloned()))
        .to_owned();
    db.query_all(&select)
        .await?
        .iter()
        .map(|row| Ok(row.try_get("", "micros")?))
        .collect()
}
