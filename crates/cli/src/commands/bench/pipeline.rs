//! Registered → case opened: how long an item takes from intake's commit to dispatch's, through
//! the outbox, the relay, the broker and dispatch's consumer — read from the two events'
//! outbox timestamps (a case's: its transaction's last) once every registered item has its case.

use super::report::Report;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query, SelectStatement};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use std::collections::HashMap;
use std::time::Duration;

/// The latency of every petition in `ids` from `PetitionRegistered` to `CaseOpened`, waiting up to
/// `patience` for the last cases.
pub async fn latencies(
    database_url: &str,
    ids: &[String],
    patience: Duration,
) -> anyhow::Result<Report> {
    let db = Database::connect(database_url).await?;
    // Statistics of the tables just filled: without them (autovacuum may not have come by) the
    // planner takes them for nearly empty and joins them in nested loops, for minutes.
    db.execute_unprepared("ANALYZE intake_outbox, dispatch_inbox, dispatch_outbox")
        .await?;
    let deadline = tokio::time::Instant::now() + patience;
    let opened = loop {
        let opened = opened(&db).await?;
        let all = ids.iter().all(|id| opened.contains_key(id));
        if all || tokio::time::Instant::now() >= deadline {
            break opened;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let mut report = Report::new();
    for id in ids {
        match opened.get(id) {
            Some(micros) => {
                report.record(Duration::from_micros(u64::try_from(*micros).unwrap_or(0)))
            }
            None => report.error("without a case after the wait".into()),
        }
    }
    Ok(report)
}

/// Microseconds from registration to case, by petition, for every case opened. A case counts
/// as opened when its transaction ends: dispatch applies the events waiting together in one
/// transaction, so the time is that of the transaction's last `CaseOpened` row, not the row's
/// own, which may be written well before the commit. The transaction is told by the `xmin` of
/// its inbox rows (never updated; the outbox's are, when the relay marks them sent).
async fn opened(db: &DatabaseConnection) -> anyhow::Result<HashMap<String, i64>> {
    let transactions = registered_and_opened()
        .expr_as(Expr::cust("di.xmin::text"), "tx")
        .expr_as(Expr::cust("max(d.created_at)"), "done")
        .add_group_by([Expr::cust("di.xmin::text")])
        .to_owned();
    let select = registered_and_opened()
        .column((Alias::new("i"), "message_key"))
        .expr_as(
            Expr::cust("CAST(EXTRACT(EPOCH FROM (t.done - i.created_at)) * 1000000 AS BIGINT)"),
            "micros",
        )
        .join_subquery(
            JoinType::InnerJoin,
            transactions,
            Alias::new("t"),
            Expr::cust("t.tx = di.xmin::text"),
        )
        .to_owned();
    db.query_all(&select)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("", "message_key")?, row.try_get("", "micros")?)))
        .collect()
}

/// Every registration whose case opened: intake's `PetitionRegistered` row (`i`), dispatch's
/// inbox row of that event (`di`) and the `CaseOpened` row (`d`).
fn registered_and_opened() -> SelectStatement {
    let (registered, inbox, opened) = (Alias::new("i"), Alias::new("di"), Alias::new("d"));
    Query::select()
        .from_as("intake_outbox", registered.clone())
        .join_as(
            JoinType::InnerJoin,
            "dispatch_inbox",
            inbox.clone(),
            Expr::col((inbox.clone(), "event_id"))
                .equals((registered.clone(), "event_id"))
                .and(Expr::col((inbox, "consumer")).eq("dispatch")),
        )
        .join_as(
            JoinType::InnerJoin,
            "dispatch_outbox",
            opened.clone(),
            Expr::col((opened.clone(), "message_key"))
                .equals((registered.clone(), "message_key"))
                .and(Expr::col((opened, "event_type")).eq("CaseOpened")),
        )
        .and_where(Expr::col((registered, "event_type")).eq("PetitionRegistered"))
        .to_owned()
}
