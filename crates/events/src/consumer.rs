//! A Kafka consumer that applies each event exactly once in effect: the handler's changes and the
//! inbox row commit together, and the offset is stored only after that commit. A redelivered
//! event finds its inbox row and changes nothing; a handler failure retries the same event, so a
//! petition's events are never applied out of order.

use crate::inbox;
use prost::Message as _;
use rdkafka::Message;
use rdkafka::consumer::{Consumer, StreamConsumer};
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};
use std::future::Future;
use std::time::Duration;
use tracing::Instrument;
use xinfang_proto::xinfang::events::v1::Envelope;

/// What a consuming service does with one event, inside the transaction that records it.
pub trait EventHandler: Send + Sync {
    fn apply(
        &self,
        txn: &DatabaseTransaction,
        envelope: &Envelope,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

pub struct EventConsumer<H> {
    db: DatabaseConnection,
    /// The consuming service, whose `<service>_inbox` table records applied events.
    service: String,
    /// The consumer group, also the inbox's consumer name.
    group: String,
    consumer: StreamConsumer,
    handler: H,
}

impl<H: EventHandler> EventConsumer<H> {
    pub fn new(
        db: DatabaseConnection,
        service: &str,
        group: &str,
        brokers: &str,
        topics: &[&str],
        handler: H,
    ) -> anyhow::Result<Self> {
        let consumer: StreamConsumer = crate::kafka::consumer_config(brokers, group).create()?;
        consumer.subscribe(topics)?;
        Ok(Self {
            db,
            service: service.to_owned(),
            group: group.to_owned(),
            consumer,
            handler,
        })
    }

    /// Consumes until `shutdown` completes.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let message = tokio::select! {
                _ = &mut shutdown => break,
                m = self.consumer.recv() => m,
            };
            let message = match message {
                Ok(m) => m,
                Err(err) => {
                    tracing::warn!(group = %self.group, %err, "consumer: receive failed");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            };
            let topic = message.topic().to_owned();
            match Envelope::decode(message.payload().unwrap_or_default()) {
                Ok(envelope) => {
                    let span = tracing::info_span!("consume", group = %self.group, event = %envelope.event_type, petition = %envelope.petition_id);
                    let trace = [
                        ("traceparent".to_owned(), envelope.traceparent.clone()),
                        ("tracestate".to_owned(), envelope.tracestate.clone()),
                    ]
                    .into_iter()
                    .collect();
                    xinfang_platform::telemetry::continue_trace(&span, &trace);
                    // Retry the same event until it applies: skipping would break the order.
                    let applied = self
                        .apply_until_done(&topic, &envelope, &mut shutdown)
                        .instrument(span)
                        .await;
                    if !applied {
                        return;
                    }
                }
                Err(err) => {
                    tracing::error!(group = %self.group, %topic, offset = message.offset(), %err, "consumer: undecodable event skipped");
                }
            }
            if let Err(err) = self.consumer.store_offset_from_message(&message) {
                tracing::warn!(%err, "consumer: storing the offset failed; the event may be redelivered");
            }
        }
        // Leaving: closing the consumer commits the stored offsets (auto-commit). Never
        // commit_consumer_state here: it commits the consumed position, which may be ahead of what
        // was applied, and an unapplied event would be lost.
    }

    /// Applies the event, retrying with backoff; false when shutdown came first.
    async fn apply_until_done(
        &self,
        topic: &str,
        envelope: &Envelope,
        shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
    ) -> bool {
        let mut backoff = Duration::from_millis(200);
        while let Err(err) = self.apply_once(topic, envelope).await {
            tracing::warn!(%err, "consumer: applying failed, retrying");
            tokio::select! {
                _ = shutdown.as_mut() => return false,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(10));
        }
        true
    }

    /// Applies one event with its inbox row in one transaction. Returns whether it was new.
    pub async fn apply_once(&self, topic: &str, envelope: &Envelope) -> anyhow::Result<bool> {
        let txn = self.db.begin().await?;
        if !inbox::record(&txn, &self.service, &self.group, &envelope.event_id, topic).await? {
            txn.rollback().await?;
            tracing::debug!(event = %envelope.event_id, "consumer: already applied");
            return Ok(false);
        }
        self.handler.apply(&txn, envelope).await?;
        txn.commit().await?;
        Ok(true)
    }
}
