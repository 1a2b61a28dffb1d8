//! The embedded default's event log: consumers read the producers' outbox tables in id order,
//! keeping a cursor per source, and apply each event with its inbox row and the new cursor in one
//! transaction. Safe where writes are serialised (SQLite, one process): ids are then assigned in
//! commit order, so a cursor never passes a row that is not yet visible.

use crate::consumer::EventHandler;
use crate::{inbox, outbox};
use prost::Message as _;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};
use std::future::Future;
use std::time::Duration;
use xinfang_proto::xinfang::events::v1::Envelope;

pub struct SqlLogConsumer<H> {
    db: DatabaseConnection,
    service: String,
    group: String,
    sources: Vec<String>,
    handler: H,
    interval: Duration,
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
        }
    }

    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let mut applied = 0;
            for source in &self.sources {
                match self.drain(source).await {
                    Ok(n) => applied += n,
                    Err(err) => {
                        tracing::warn!(group = %self.group, %source, %err, "sql log: applying failed, retrying")
                    }
                }
            }
            let pause = if applied > 0 {
                Duration::ZERO
            } else {
                self.interval
            };
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    fn cursor_table(&self) -> Alias {
        Alias::new(format!("{}_log_cursor", self.service))
    }

    /// Applies the next rows of `source`'s outbox; returns how many.
    async fn drain(&self, source: &str) -> anyhow::Result<usize> {
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
        let mut applied = 0;
        for row in rows {
            let id: i64 = row.try_get("", "id")?;
            let topic: String = row.try_get("", "topic")?;
            let payload: Vec<u8> = row.try_get("", "payload")?;
            let envelope = Envelope::decode(payload.as_slice())?;
            let txn = self.db.begin().await?;
            if inbox::record(&txn, &self.service, &self.group, &envelope.event_id, &topic).await? {
                self.handler.apply(&txn, &envelope).await?;
            }
            self.set_cursor(&txn, source, id).await?;
            txn.commit().await?;
            applied += 1;
        }
        Ok(applied)
    }

    async fn cursor(&self, source: &str) -> Result<i64, DbErr> {
        let row = self
            .db
            .query_one(
                &Query::select()
                    .column("last_id")
                    .from(self.cursor_table())
                    .and_where(Expr::col("consumer").eq(self.group.as_str()))
                    .and_where(Expr::col("source").eq(source))
                    .to_owned(),
            )
            .await?;
        row.map(|r| r.try_get("", "last_id"))
            .transpose()
            .map(|v| v.unwrap_or(0))
    }

    async fn set_cursor(
        &self,
        txn: &impl ConnectionTrait,
        source: &str,
        id: i64,
    ) -> Result<(), DbErr> {
        let upsert = Query::insert()
            .into_table(self.cursor_table())
            .columns(["consumer", "source", "last_id"])
            .values_panic([self.group.clone().into(), source.into(), id.into()])
            .on_conflict(
                OnConflict::columns(["consumer", "source"])
                    .update_column("last_id")
                    .to_owned(),
            )
            .to_owned();
        txn.execute(&upsert).await?;
        Ok(())
    }
}
