//! The embedded default's event log: consumers read the producers' outbox tables in id order,
//! keeping a cursor per source, and apply each event with its inbox row and the new cursor in one
//! transaction (rows already waiting together, up to `events.consumer_batch`: one commit, one
//! flush of SQLite's log for all) — parking what can never apply, as the Kafka consumer does. Safe where writes are
//! serialised (SQLite, one process): ids are then assigned in commit order, so a cursor never
//! passes a row that is not yet visible.

use crate::consumer::{Advance, Applier, EventHandler};
use crate::outbox;
use crate::parked::Delivery;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use std::future::Future;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

pub struct SqlLogConsumer<H> {
    db: DatabaseConnection,
    service: String,
    group: String,
    sources: Vec<String>,
    handler: H,
    interval: Duration,
    parked: AtomicU64,
    time_limit: Duration,
    /// At most how many rows are applied in one transaction.
    batch: usize,
}

impl<H: EventHandler> SqlLogConsumer<H> {
    pub fn new(
        db: DatabaseConnection,
        service: &str,
        group: &str,
        sources: &[&str],
        handler: H,
        interval: Duration,
    ) -> Self {
        Self {
            db,
            service: service.to_owned(),
            group: group.to_owned(),
            sources: sources.iter().map(|s| s.to_string()).collect(),
            handler,
            interval,
            parked: AtomicU64::new(0),
            time_limit: crate::consumer::HANDLER_TIME_LIMIT,
            batch: 1,
        }
    }

    /// Parks an event whose handler takes longer than `limit`.
    pub fn within(mut self, limit: Duration) -> Self {
        self.time_limit = limit;
        self
    }

    /// Applies up to `batch` waiting rows in one transaction (at least one).
    pub fn batch(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// Reads its sources until `shutdown`: at once when one of them commits in this process
    /// (the embedded node is one process), else every `interval`.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut commits: Vec<_> = self
            .sources
            .iter()
            .map(|s| crate::outbox::commits(s))
            .collect();
        loop {
            let mut applied = 0;
            for source in &self.sources {
                match self.drain(source, &mut shutdown).await {
                    Ok(Some(n)) => applied += n,
                    Ok(None) => return,
                    Err(err) => {
                        tracing::warn!(group = %self.group, %source, %err, "sql log: reading failed, retrying")
                    }
                }
            }
            let pause = if applied > 0 {
                Duration::ZERO
            } else {
                self.interval
            };
            let committed = async {
                if commits.is_empty() {
                    std::future::pending::<()>().await;
                }
                let _ =
                    futures::future::select_all(commits.iter_mut().map(|c| Box::pin(c.changed())))
                        .await;
            };
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(pause) => {}
                _ = committed => {}
            }
        }
    }

    /// Applies the next rows of `source`'s outbox; returns how many, None at shutdown.
    async fn drain<S: Future<Output = ()>>(
        &self,
        source: &str,
        shutdown: &mut std::pin::Pin<&mut S>,
    ) -> Result<Option<usize>, DbErr> {
        let cursor = self.cursor(source).await?;
        let rows = self
            .db
            .query_all(
                &Query::select()
                    .columns(["id", "topic", "payload"])
                    .from(outbox::table(source))
                    .and_where(Expr::col("id").gt(cursor))
                    .order_by("id", Order::Asc)
                    .limit(100)
                    .to_owned(),
            )
            .await?;
        let applier = Applier {
            db: &self.db,
            service: &self.service,
            group: &self.group,
            handler: &self.handler,
            parked: &self.parked,
            time_limit: self.time_limit,
        };
        let rows = rows
            .iter()
            .map(|row| {
                Ok::<_, DbErr>((
                    row.try_get::<i64>("", "id")?,
                    row.try_get::<String>("", "topic")?,
                    row.try_get::<Vec<u8>>("", "payload")?,
                ))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut applied = 0;
        for chunk in rows.chunks(self.batch) {
            let deliveries: Vec<_> = chunk
                .iter()
                .map(|(id, topic, payload)| {
                    let delivery = Delivery {
                        topic,
                        position: format!("outbox row {id}"),
                        payload,
                    };
                    (delivery, Advance::Cursor { source, id: *id })
                })
                .collect();
            let done = applier.deliver_all(&deliveries, shutdown).await;
            applied += done;
            if done < deliveries.len() {
                return Ok(None);
            }
        }
        Ok(Some(applied))
    }

    async fn cursor(&self, source: &str) -> Result<i64, DbErr> {
        let row = self
            .db
            .query_one(
                &Query::select()
                    .column("last_id")
                    .from(cursor_table(&self.service))
                    .and_where(Expr::col("consumer").eq(self.group.as_str()))
                    .and_where(Expr::col("source").eq(source))
                    .to_owned(),
            )
            .await?;
        row.map(|r| r.try_get("", "last_id"))
            .transpose()
            .map(|v| v.unwrap_or(0))
    }
}

fn cursor_table(service: &str) -> Alias {
    Alias::new(format!("{service}_log_cursor"))
}

/// Moves `group`'s cursor on `source` to `id`, in the transaction of the event's effect.
pub(crate) async fn set_cursor(
    txn: &impl ConnectionTrait,
    service: &str,
    group: &str,
    source: &str,
    id: i64,
) -> Result<(), DbErr> {
    let upsert = Query::insert()
        .into_table(cursor_table(service))
        .columns(["consumer", "source", "last_id"])
        .values_panic([group.into(), source.into(), id.into()])
        .on_conflict(
            OnConflict::columns(["consumer", "source"])
                .update_column("last_id")
                .to_owned(),
        )
        .to_owned();
    txn.execute(&upsert).await?;
    Ok(())
}
