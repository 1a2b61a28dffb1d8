//! The embedded default's event log: consumers read the producers' outbox tables in id order,
//! keeping a cursor per source, and apply each event with its inbox row and the new cursor in one
//! transaction (rows already waiting together, up to `events.consumer_batch`: one commit, one
//! flush of SQLite's log for all) — parking what can never apply, as the Kafka consumer does.
//! Safe where writes are serialised (SQLite, one process): ids are then assigned in commit
//! order, so a cursor never passes a row that is not yet visible.

use crate::consumer::{Advance, Applier, EventHandler};
use crate::outbox;
use crate::parked::Delivery;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, InsertStatement, OnConflict, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use std::future::Future;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

/// Rows read at a time.
const PAGE: u64 = 100;

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

    /// Reads its sources until `shutdown`: a source at once when it commits in this process (the
    /// embedded node is one process), again while it has a full page waiting, and every source
    /// every `interval` (what other processes commit). Its cursors are read once and then kept:
    /// it alone moves them.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut commits: Vec<_> = self
            .sources
            .iter()
            .map(|s| crate::outbox::commits(s))
            .collect();
        let mut cursors: Vec<Option<i64>> = vec![None; self.sources.len()];
        let mut due = vec![true; self.sources.len()];
        loop {
            let mut more = false;
            for (i, source) in self.sources.iter().enumerate() {
                if !due[i] {
                    continue;
                }
                // Seen before reading: a commit after this read wakes the loop again.
                commits[i].borrow_and_update();
                match self.drain(source, &mut cursors[i], &mut shutdown).await {
                    Ok(Some(full)) => {
                        due[i] = full;
                        more |= full;
                    }
                    Ok(None) => return,
                    Err(err) => {
                        cursors[i] = None;
                        tracing::warn!(group = %self.group, %source, %err, "sql log: reading failed, retrying")
                    }
                }
            }
            if more {
                continue;
            }
            let committed = async {
                if commits.is_empty() {
                    std::future::pending::<()>().await;
                }
                let changed = commits.iter_mut().map(|c| Box::pin(c.changed()));
                futures::future::select_all(changed).await.1
            };
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(self.interval) => due.fill(true),
                source = committed => due[source] = true,
            }
            // Others that committed meanwhile.
            for (due, commits) in due.iter_mut().zip(&commits) {
                *due |= commits.has_changed().unwrap_or(false);
            }
        }
    }

    /// Applies the next rows of `source`'s outbox after `cursor` (read first if unknown) and
    /// moves it; whether a full page was read (more may wait), None at shutdown.
    async fn drain<S: Future<Output = ()>>(
        &self,
        source: &str,
        cursor: &mut Option<i64>,
        shutdown: &mut std::pin::Pin<&mut S>,
    ) -> Result<Option<bool>, DbErr> {
        let after = match *cursor {
            Some(id) => id,
            None => *cursor.insert(self.cursor(source).await?),
        };
        let rows = self
            .db
            .query_all(
                &Query::select()
                    .columns(["id", "topic", "payload"])
                    .from(outbox::table(source))
                    .and_where(Expr::col("id").gt(after))
                    .order_by("id", Order::Asc)
                    .limit(PAGE)
                    .to_owned(),
            )
            .await?;
        let full = rows.len() as u64 == PAGE;
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
            if let Some((id, _, _)) = done.checked_sub(1).map(|last| &chunk[last]) {
                *cursor = Some(*id);
            }
            if done < deliveries.len() {
                return Ok(None);
            }
        }
        Ok(Some(full))
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
    txn.execute(&cursor_move(service, group, source, id))
        .await?;
    Ok(())
}

/// The statement [`set_cursor`] runs.
pub(crate) fn cursor_move(service: &str, group: &str, source: &str, id: i64) -> InsertStatement {
    Query::insert()
        .into_table(cursor_table(service))
        .columns(["consumer", "source", "last_id"])
        .values_panic([group.into(), source.into(), id.into()])
        .on_conflict(
            OnConflict::columns(["consumer", "source"])
                .update_column("last_id")
                .to_owned(),
        )
        .to_owned()
}
