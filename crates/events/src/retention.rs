//! Retention: a service's sent outbox rows and its inbox rows older than `events.retention_days`
//! are deleted, a bounded batch at a time, once an hour. Unsent and parked outbox rows stay
//! whatever their age (they are still owed to the log); so does the embedded node's outbox, which
//! is its log (its rows are never marked sent).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use std::future::Future;
use std::time::Duration;

const EVERY: Duration = Duration::from_secs(3600);
/// Rows per DELETE: short transactions beside the service's own.
const BATCH: u64 = 5000;

/// Rows deleted by one sweep.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub outbox: u64,
    pub inbox: u64,
}

/// Sweeps `service`'s tables every hour until `shutdown`; `days` = 0 keeps everything.
pub async fn run(
    db: DatabaseConnection,
    service: &'static str,
    days: u32,
    shutdown: impl Future<Output = ()>,
) {
    if days == 0 {
        return;
    }
    tokio::pin!(shutdown);
    loop {
        let cutoff = Utc::now() - chrono::Duration::days(days.into());
        match sweep(&db, service, cutoff).await {
            Ok(swept) if swept != Swept::default() => {
                tracing::info!(%service, outbox = swept.outbox, inbox = swept.inbox, days, "retention: old event rows deleted")
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(%service, %err, "retention: sweep failed; next hour again"),
        }
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep(EVERY) => {}
        }
    }
}

/// Deletes `service`'s outbox rows sent before `cutoff` and its inbox rows applied before it.
pub async fn sweep(
    db: &DatabaseConnection,
    service: &str,
    cutoff: DateTime<Utc>,
) -> Result<Swept, DbErr> {
    Ok(Swept {
        outbox: delete_before(db, &format!("{service}_outbox"), "id", "sent_at", cutoff).await?,
        inbox: delete_before(
            db,
            &format!("{service}_inbox"),
            "event_id",
            "applied_at",
            cutoff,
        )
        .await?,
    })
}

/// Deletes the rows of `table` whose `stamp` is before `cutoff`, [`BATCH`] rows (picked by
/// `key`) per statement; answers how many.
async fn delete_before(
    db: &DatabaseConnection,
    table: &str,
    key: &str,
    stamp: &str,
    cutoff: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let table = Alias::new(table);
    let mut deleted = 0;
    loop {
        let old = Query::select()
            .column(Alias::new(key))
            .from(table.clone())
            .and_where(Expr::col(Alias::new(stamp)).lt(cutoff))
            .limit(BATCH)
            .to_owned();
        let delete = Query::delete()
            .from_table(table.clone())
            .and_where(Expr::col(Alias::new(stamp)).lt(cutoff))
            .and_where(Expr::col(Alias::new(key)).in_subquery(old))
            .to_owned();
        let n = db.execute(&delete).await?.rows_affected();
        deleted += n;
        if n < BATCH {
            return Ok(deleted);
        }
    }
}
