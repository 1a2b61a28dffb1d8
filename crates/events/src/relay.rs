//! The outbox relay: publishes a service's committed events to Kafka in outbox order, then marks
//! them sent, all inside one transaction that also renews the relay's lease. Only the holder of
//! the lease relays (one active relay per service), and a stopping relay gives it up; a batch
//! stops at the first failed delivery instead of skipping ahead; a relay that dies before
//! marking leaves its rows unsent (and its lease to run out), so they are published again and
//! consumers' inboxes drop the duplicates. After a failed batch the relay
//! starts from a fresh producer (one that outlived a broker outage may never recover). A row the
//! broker can never take (too large, malformed) is parked with its reason, logged at ERROR and
//! listed by `xinfang events parked`, so that it cannot block every row behind it. The relay
//! works on connections of its own whose commits do not wait for the disk: a mark lost in a
//! crash of the database publishes its row again, which consumers drop.

use crate::envelope::topic_of;
use crate::outbox;
use chrono::{DateTime, Duration, Utc};
use prost::Message;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Func, OnConflict, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, TransactionTrait};
use std::future::Future;
use std::time::Duration as StdDuration;
use xinfang_platform::config::{DatabaseSettings, EventBackend, EventSettings};
use xinfang_platform::database;
use xinfang_proto::xinfang::events::v1::Envelope;

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("database: {0}")]
    Database(#[from] DbErr),
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
}

/// How long a stopping relay lets the batch in flight finish, and then waits for the database to
/// take its lease back.
const FINISH_WAIT: StdDuration = StdDuration::from_secs(3);

pub struct Relay {
    db: DatabaseConnection,
    service: String,
    brokers: String,
    producer: FutureProducer,
    holder: String,
    batch: u64,
    lease: Duration,
}

struct Row {
    id: i64,
    message_key: String,
    event_id: String,
    event_type: String,
    payload: Vec<u8>,
}

/// Rows claimed for publishing; dropping it without [`ClaimedBatch::commit`] rolls back, as a
/// crash would.
pub struct ClaimedBatch<'r> {
    relay: &'r Relay,
    txn: DatabaseTransaction,
    rows: Vec<Row>,
    /// Rows delivered, by index.
    delivered: Vec<usize>,
    /// Rows the broker can never take, by index, with the reason.
    unpublishable: Vec<(usize, String)>,
}

/// Starts `service`'s relay, on connections of its own ([`database::connect_relay`]), when the
/// node's events go to Kafka; with the SQL log there is nothing to relay (the outbox is the log).
pub async fn spawn(
    settings: &EventSettings,
    database: &DatabaseSettings,
    service: &str,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Option<tokio::task::JoinHandle<()>>, RelayError> {
    match settings.backend {
        EventBackend::Kafka if settings.relay_enabled => {
            let db = database::connect_relay(database).await?;
            let relay = Relay::new(db, service, &settings.brokers, settings.relay_batch)?;
            let interval = StdDuration::from_millis(settings.relay_interval_ms);
            Ok(Some(tokio::spawn(relay.run(interval, shutdown))))
        }
        EventBackend::Kafka | EventBackend::Sql => Ok(None),
    }
}

impl Relay {
    pub fn new(
        db: DatabaseConnection,
        service: &str,
        brokers: &str,
        batch: u64,
    ) -> Result<Self, RelayError> {
        Ok(Self {
            db,
            service: service.to_owned(),
            brokers: brokers.to_owned(),
            producer: crate::kafka::producer_config(brokers).create()?,
            holder: uuid::Uuid::new_v4().to_string(),
            batch,
            lease: Duration::seconds(30),
        })
    }

    /// Relays until `shutdown` completes: at once when a transaction of its service commits in
    /// this process ([`crate::outbox::committed`]), else polling every `interval`.
    pub async fn run(mut self, interval: StdDuration, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut commits = crate::outbox::commits(&self.service);
        loop {
            let relayed = {
                let batch = self.relay_once();
                tokio::pin!(batch);
                tokio::select! {
                    relayed = &mut batch => relayed,
                    _ = &mut shutdown => {
                        // A stop waits a little for the batch in flight, not for the message
                        // timeout of a broker that is gone: a batch cut short is dropped as a
                        // crash would drop it, and published again later.
                        let _ = tokio::time::timeout(FINISH_WAIT, batch).await;
                        break;
                    }
                }
            };
            // After a failure the pause holds even if commits come: the broker gets its second.
            let failed = relayed.is_err();
            let pause = match relayed {
                Ok(n) if n as u64 == self.batch => StdDuration::ZERO,
                Ok(_) => interval,
                Err(err) => {
                    tracing::warn!(service = %self.service, %err, "outbox relay: batch stopped, will retry with a fresh producer");
                    self.renew_producer();
                    interval.max(StdDuration::from_secs(1))
                }
            };
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(pause) => {}
                _ = commits.changed(), if !failed => {}
            }
        }
        self.release_lease().await;
    }

    /// A producer that failed a batch starts afresh: one that lived through a broker outage
    /// longer than its message timeout, or a broker hang, may keep failing (`MessageTimedOut`,
    /// `ProducerFenced`) for ever, while a new one works at once. The outbox still holds every
    /// unsent row.
    fn renew_producer(&mut self) {
        match crate::kafka::producer_config(&self.brokers).create() {
            Ok(producer) => self.producer = producer,
            Err(err) => tracing::error!(%err, "outbox relay: cannot create a producer"),
        }
    }

    /// One batch: claim, publish, mark. Returns how many rows were marked sent.
    pub async fn relay_once(&self) -> Result<usize, RelayError> {
        match self.claim().await? {
            Some(mut batch) => {
                let outcome = batch.publish().await;
                let sent = batch.commit().await?;
                outcome.map(|_| sent)
            }
            None => Ok(0),
        }
    }

    /// Takes the lease and the oldest unsent rows, in a transaction held until commit. With
    /// nothing to send it writes nothing: an idle relay only reads.
    pub async fn claim(&self) -> Result<Option<ClaimedBatch<'_>>, RelayError> {
        if !self.anything_unsent().await? {
            return Ok(None);
        }
        let txn = self.db.begin().await?;
        if !self.take_lease(&txn).await? {
            txn.rollback().await?;
            return Ok(None);
        }
        let select = Query::select()
            .columns(["id", "message_key", "event_id", "event_type", "payload"])
            .from(outbox::table(&self.service))
            .cond_where(unsent())
            .order_by("id", Order::Asc)
            .limit(self.batch)
            .to_owned();
        let rows = txn
            .query_all(&select)
            .await?
            .into_iter()
            .map(|r| {
                Ok(Row {
                    id: r.try_get("", "id")?,
                    message_key: r.try_get("", "message_key")?,
                    event_id: r.try_get("", "event_id")?,
                    event_type: r.try_get("", "event_type")?,
                    payload: r.try_get("", "payload")?,
                })
            })
            .collect::<Result<Vec<_>, DbErr>>()?;
        Ok(Some(ClaimedBatch {
            relay: self,
            txn,
            rows,
            delivered: Vec::new(),
            unpublishable: Vec::new(),
        }))
    }

    async fn anything_unsent(&self) -> Result<bool, DbErr> {
        let peek = Query::select()
            .expr(Expr::val(1))
            .from(outbox::table(&self.service))
            .cond_where(unsent())
            .limit(1)
            .to_owned();
        Ok(self.db.query_one(&peek).await?.is_some())
    }

    /// Gives the lease up on a stop, so that the relay started in this one's place (a rolling
    /// update) sends at once, not after the lease ran out.
    async fn release_lease(&self) {
        let release = Query::delete()
            .from_table(lease_table(&self.service))
            .and_where(Expr::col("holder").eq(self.holder.as_str()))
            .to_owned();
        match tokio::time::timeout(FINISH_WAIT, self.db.execute(&release)).await {
            Ok(Ok(_)) => {}
            Ok(Err(err)) => {
                tracing::warn!(service = %self.service, %err, "outbox relay: could not give the lease up; it runs out")
            }
            Err(_) => {
                tracing::warn!(service = %self.service, "outbox relay: the database did not answer; the lease runs out")
            }
        }
    }

    /// Takes the lease, or renews it, in one statement: inserted when nobody held it, taken
    /// over when its holder's time ran out, renewed when it is this relay's; false otherwise.
    async fn take_lease(&self, txn: &DatabaseTransaction) -> Result<bool, DbErr> {
        let table = lease_table(&self.service);
        let now = Utc::now();
        let take = Query::insert()
            .into_table(table.clone())
            .columns(["name", "holder", "expires_at"])
            .values_panic([
                "relay".into(),
                self.holder.clone().into(),
                (now + self.lease).into(),
            ])
            .on_conflict(
                OnConflict::column("name")
                    .update_columns(["holder", "expires_at"])
                    .action_and_where(
                        Expr::col((table.clone(), "holder"))
                            .eq(self.holder.as_str())
                            .or(Expr::col((table, "expires_at")).lt(now)),
                    )
                    .to_owned(),
            )
            .to_owned();
        Ok(txn.execute(&take).await?.rows_affected() == 1)
    }
}

fn lease_table(service: &str) -> Alias {
    Alias::new(format!("{service}_relay_lease"))
}

impl ClaimedBatch<'_> {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Sends every row in order and waits for the broker's acknowledgements; stops at the first
    /// failure the broker may get over, remembering what was delivered before it. A row the
    /// broker can never take is set aside to be parked.
    pub async fn publish(&mut self) -> Result<(), RelayError> {
        let topic = topic_of(&self.relay.service);
        let mut deliveries = Vec::with_capacity(self.rows.len());
        for (index, row) in self.rows.iter().enumerate() {
            // The envelope carries the trace context; the headers repeat it for tools that
            // read headers only.
            let trace = Envelope::decode(row.payload.as_slice()).unwrap_or_default();
            let headers = [
                ("event_id", row.event_id.as_str()),
                ("event_type", row.event_type.as_str()),
                ("traceparent", trace.traceparent.as_str()),
                ("tracestate", trace.tracestate.as_str()),
            ]
            .into_iter()
            .filter(|(_, value)| !value.is_empty())
            .fold(OwnedHeaders::new(), |headers, (key, value)| {
                headers.insert(Header {
                    key,
                    value: Some(value),
                })
            });
            let record = FutureRecord::to(&topic)
                .key(&row.message_key)
                .payload(&row.payload)
                .headers(headers);
            match self.relay.producer.send_result(record) {
                Ok(delivery) => deliveries.push((index, delivery)),
                Err((err, _)) if never_deliverable(&err) => {
                    self.unpublishable.push((index, err.to_string()))
                }
                Err((err, _)) => {
                    // Rows already handed to the producer may still be delivered: wait for them.
                    self.await_deliveries(deliveries).await?;
                    return self.stop_at(index, err);
                }
            }
        }
        self.await_deliveries(deliveries).await
    }

    async fn await_deliveries(
        &mut self,
        deliveries: Vec<(usize, rdkafka::producer::DeliveryFuture)>,
    ) -> Result<(), RelayError> {
        for (index, delivery) in deliveries {
            match delivery.await {
                Ok(Ok(_)) => self.delivered.push(index),
                Ok(Err((err, _))) if never_deliverable(&err) => {
                    self.unpublishable.push((index, err.to_string()))
                }
                Ok(Err((err, _))) => return self.stop_at(index, err),
                Err(_canceled) => return self.stop_at(index, rdkafka::error::KafkaError::Canceled),
            }
        }
        Ok(())
    }

    fn stop_at(&self, index: usize, err: rdkafka::error::KafkaError) -> Result<(), RelayError> {
        tracing::warn!(
            service = %self.relay.service,
            delivered = self.delivered.len(),
            stopped_at = index,
            of = self.rows.len(),
            %err,
            "outbox relay: delivery failed, stopping the batch here"
        );
        Err(err.into())
    }

    /// Marks the delivered rows sent and the undeliverable ones parked, and commits. Returns how
    /// many rows were marked sent.
    pub async fn commit(self) -> Result<usize, RelayError> {
        let ids: Vec<i64> = self.delivered.iter().map(|i| self.rows[*i].id).collect();
        if !ids.is_empty() {
            // By id, never by range: a row with a lower id may commit after the claim.
            let mark = Query::update()
                .table(outbox::table(&self.relay.service))
                .value("sent_at", Utc::now())
                .and_where(Expr::col("id").is_in(ids.clone()))
                .to_owned();
            self.txn.execute(&mark).await?;
        }
        for (index, reason) in &self.unpublishable {
            let row = &self.rows[*index];
            tracing::error!(
                service = %self.relay.service,
                event = %row.event_id,
                event_type = %row.event_type,
                petition = %row.message_key,
                bytes = row.payload.len(),
                %reason,
                "outbox relay: the broker can never take this event; parked (xinfang events parked)"
            );
            let park = Query::update()
                .table(outbox::table(&self.relay.service))
                .value("parked_reason", reason.as_str())
                .and_where(Expr::col("id").eq(row.id))
                .to_owned();
            self.txn.execute(&park).await?;
        }
        self.txn.commit().await?;
        Ok(ids.len())
    }
}

/// Errors of one message that no retry can mend: it is too large or malformed for the broker.
fn never_deliverable(err: &rdkafka::error::KafkaError) -> bool {
    use rdkafka::error::RDKafkaErrorCode as Code;
    matches!(
        err.rdkafka_error_code(),
        Some(
            Code::MessageSizeTooLarge
                | Code::InvalidMessageSize
                | Code::InvalidMessage
                | Code::InvalidRecord
                | Code::BadMessage
        )
    )
}

/// An outbox row the relay parked: the broker can never take it.
#[derive(Debug, Clone)]
pub struct Unpublishable {
    pub id: i64,
    pub event_type: String,
    pub message_key: String,
    pub reason: String,
}

/// The rows of `service`'s outbox the relay parked, oldest first.
pub async fn unpublishable(
    db: &impl ConnectionTrait,
    service: &str,
) -> Result<Vec<Unpublishable>, DbErr> {
    let select = Query::select()
        .columns(["id", "event_type", "message_key", "parked_reason"])
        .from(outbox::table(service))
        .and_where(Expr::col("parked_reason").is_not_null())
        .order_by("id", Order::Asc)
        .to_owned();
    db.query_all(&select)
        .await?
        .into_iter()
        .map(|r| {
            Ok(Unpublishable {
                id: r.try_get("", "id")?,
                event_type: r.try_get("", "event_type")?,
                message_key: r.try_get("", "message_key")?,
                reason: r.try_get("", "parked_reason")?,
            })
        })
        .collect()
}

/// How many rows of `service`'s outbox wait for the broker (not sent, not parked), and when the
/// oldest of them was written.
pub async fn backlog(
    db: &impl ConnectionTrait,
    service: &str,
) -> Result<(i64, Option<DateTime<Utc>>), DbErr> {
    let select = Query::select()
        .expr_as(Func::count(Expr::col("id")), Alias::new("n"))
        .expr_as(Func::min(Expr::col("created_at")), Alias::new("oldest"))
        .from(crate::outbox::table(service))
        .cond_where(unsent())
        .to_owned();
    let row = db
        .query_one(&select)
        .await?
        .ok_or_else(|| DbErr::Custom("no count row".into()))?;
    Ok((row.try_get("", "n")?, row.try_get("", "oldest")?))
}

/// Outbox rows still owed to the log: not sent, not parked.
fn unsent() -> Condition {
    Condition::all()
        .add(Expr::col("sent_at").is_null())
        .add(Expr::col("parked_reason").is_null())
}
