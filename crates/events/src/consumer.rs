//! Applying events exactly once in effect, whichever log they come from (Kafka or the embedded
//! SQL log): the handler's changes and the inbox row commit together, and the position (offset,
//! cursor) moves only after that commit. A redelivered event finds its inbox row and changes
//! nothing. A failure is either transient — the same event is tried again with backoff, so a
//! petition's events never apply out of order — or permanent: the event is parked with its
//! reason (`parked`), logged at ERROR and counted, and the partition goes on.
//!
//! A Kafka consumer applies several events at once on lanes, each petition's on one lane in
//! order, and stores a partition's offset only as far as every event before it is applied
//! ([`crate::progress`]).
//!
//! Events that are already waiting when a consumer turns to them (a busy intake, a log caught up
//! after a stop) are applied together in one transaction, each with its inbox row — one commit
//! instead of one per event — and apart again should any of them fail
//! ([`Applier::deliver_all`]). A consumer that keeps up applies each event as it comes.

use crate::group_consumer::GroupConsumer;
use crate::inbox;
use crate::lag::LagContext;
use crate::parked::{self, Delivery};
use crate::progress::Progress;
use prost::Message as _;
use rdkafka::Message;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::OwnedMessage;
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr, RuntimeErr, TransactionTrait};
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use xinfang_platform::config::EventSettings;
use xinfang_platform::database::WriteTurn;
use xinfang_proto::xinfang::events::v1::Envelope;

/// Why an event did not apply.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The event can never apply as it is (a reference that does not exist, a date the calendar
    /// cannot answer, data the database refuses): park it with this reason.
    #[error("{0}")]
    Permanent(String),
    /// Worth trying again: the database is away, a concurrent change won.
    #[error(transparent)]
    Transient(anyhow::Error),
}

impl From<DbErr> for HandlerError {
    fn from(err: DbErr) -> Self {
        if refused_by_the_database(&err) {
            HandlerError::Permanent(format!("the database refuses the change: {err}"))
        } else {
            HandlerError::Transient(err.into())
        }
    }
}

/// Errors that say the data itself is wrong, not that the database is away: PostgreSQL's data
/// exceptions (22…) and integrity violations (23…), SQLite's constraint, too-big and mismatch
/// errors, and rows that do not decode.
fn refused_by_the_database(err: &DbErr) -> bool {
    match err {
        DbErr::Type(_) | DbErr::Json(_) | DbErr::AttrNotSet(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e
            .as_database_error()
            .and_then(|d| d.code())
            .is_some_and(|code| {
                code.starts_with("22")
                    || code.starts_with("23")
                    || matches!(
                        code.as_ref(),
                        "18" | "19" | "20" | "275" | "531" | "787" | "1555" | "2067"
                    )
            }),
        _ => false,
    }
}

/// What a consuming service does with one event, inside the transaction that records it.
pub trait EventHandler: Send + Sync {
    fn apply(
        &self,
        txn: &DatabaseTransaction,
        envelope: &Envelope,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send;

    /// Whether a Kafka consumer's lanes may apply several of its events in one transaction.
    /// Not for a handler whose events update rows that many petitions share, each event in an
    /// order of its own: two lanes' transactions would then lock them in opposite orders and
    /// deadlock. (The embedded log applies events together regardless: its writes take turns.)
    fn applies_together(&self) -> bool {
        true
    }
}

/// What became of one delivered event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// Applied before (a redelivery): nothing changed.
    Duplicate,
    Parked,
    /// Shutdown came first; the event was not applied and will be delivered again.
    Interrupted,
}

/// One consumer's side of the log: its service (whose inbox and parked tables it writes), its
/// name, the handler, and how many events it parked since it started.
pub(crate) struct Applier<'h, H> {
    pub db: &'h DatabaseConnection,
    pub service: &'h str,
    pub group: &'h str,
    pub handler: &'h H,
    pub parked: &'h AtomicU64,
    /// How long applying one event may take; longer, it is parked (its transaction rolled back).
    pub time_limit: Duration,
}

/// The handler's time on one event unless the settings say otherwise.
pub const HANDLER_TIME_LIMIT: Duration = Duration::from_secs(60);

/// How the log's position moves past an event: Kafka stores the offset itself after the
/// commit; the SQL log's cursor row moves in the event's transaction.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Advance<'a> {
    Offset,
    Cursor { source: &'a str, id: i64 },
}

impl<H: EventHandler> Applier<'_, H> {
    /// Applies one delivered event (or parks it), moving the log's position in the same
    /// transaction; retries transient failures until `shutdown`.
    pub async fn deliver<S: Future<Output = ()>>(
        &self,
        delivery: &Delivery<'_>,
        advance: Advance<'_>,
        shutdown: &mut std::pin::Pin<&mut S>,
    ) -> Outcome {
        let mut backoff = Duration::from_millis(200);
        loop {
            let attempt = match Envelope::decode(delivery.payload) {
                Ok(envelope) => {
                    let applying = self.apply(&envelope, delivery, advance);
                    tokio::time::timeout(self.time_limit, applying)
                        .await
                        .unwrap_or_else(|_| {
                            Err(HandlerError::Permanent(format!(
                                "applying took longer than {:?}; it would hold the log",
                                self.time_limit
                            )))
                        })
                }
                Err(err) => Err(HandlerError::Permanent(format!("undecodable event: {err}"))),
            };
            let failure = match attempt {
                Ok(outcome) => return outcome,
                Err(HandlerError::Permanent(reason)) => {
                    match self.park(delivery, &reason, advance).await {
                        Ok(()) => return Outcome::Parked,
                        Err(err) => format!("parking failed: {err}"),
                    }
                }
                Err(HandlerError::Transient(err)) => err.to_string(),
            };
            tracing::warn!(group = %self.group, error = %failure, "consumer: applying failed, retrying");
            tokio::select! {
                _ = shutdown.as_mut() => return Outcome::Interrupted,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(10));
        }
    }

    async fn advance(&self, txn: &DatabaseTransaction, advance: Advance<'_>) -> Result<(), DbErr> {
        match advance {
            Advance::Offset => Ok(()),
            Advance::Cursor { source, id } => {
                crate::sql_log::set_cursor(txn, self.service, self.group, source, id).await
            }
        }
    }

    /// Semantic conventions for messaging: a consumer span named "process <topic>", continuing
    /// the trace the event carries.
    fn span(&self, envelope: &Envelope, delivery: &Delivery<'_>) -> tracing::Span {
        let span = tracing::info_span!(
            "consume",
            otel.name = %format!("process {}", delivery.topic),
            otel.kind = "consumer",
            messaging.system = "kafka",
            messaging.operation.type = "process",
            messaging.destination.name = %delivery.topic,
            messaging.consumer.group.name = %self.group,
            messaging.message.id = %envelope.event_id,
            event = %envelope.event_type,
            petition = %envelope.petition_id,
        );
        let trace = [
            ("traceparent".to_owned(), envelope.traceparent.clone()),
            ("tracestate".to_owned(), envelope.tracestate.clone()),
        ]
        .into_iter()
        .collect();
        xinfang_platform::telemetry::continue_trace(&span, &trace);
        span
    }

    /// Records the events in the inbox, in one statement with the log's position moved past
    /// them, and lets the handler apply those recorded now, in order; how many it applied (the
    /// others were redeliveries).
    async fn record_and_apply(
        &self,
        txn: &DatabaseTransaction,
        events: &[(&Envelope, &Delivery<'_>)],
        advance: Advance<'_>,
    ) -> Result<usize, HandlerError> {
        let ids: Vec<_> = events
            .iter()
            .map(|(envelope, delivery)| (envelope.event_id.as_str(), delivery.topic))
            .collect();
        let cursor = match advance {
            Advance::Offset => None,
            Advance::Cursor { source, id } => Some(crate::sql_log::cursor_move(
                self.service,
                self.group,
                source,
                id,
            )),
        };
        let mut fresh = inbox::record_all(txn, self.service, self.group, &ids, cursor).await?;
        let mut applied = 0;
        for (envelope, delivery) in events {
            if fresh.remove(&envelope.event_id) {
                self.handler
                    .apply(txn, envelope)
                    .instrument(self.span(envelope, delivery))
                    .await?;
                applied += 1;
            }
        }
        Ok(applied)
    }

    async fn apply(
        &self,
        envelope: &Envelope,
        delivery: &Delivery<'_>,
        advance: Advance<'_>,
    ) -> Result<Outcome, HandlerError> {
        let (turn, txn) = self.begin().await?;
        let fresh = match self
            .record_and_apply(&txn, &[(envelope, delivery)], advance)
            .await
        {
            Ok(applied) => applied == 1,
            Err(err) => {
                txn.rollback().await?;
                return Err(err);
            }
        };
        self.commit(txn, turn).await?;
        if !fresh {
            tracing::debug!(event = %envelope.event_id, "consumer: already applied");
            return Ok(Outcome::Duplicate);
        }
        crate::outbox::committed(self.service);
        Ok(Outcome::Applied)
    }

    /// Delivers events that arrived together, in their log's order: first all in one
    /// transaction — one commit, one flush of the database's log — with the position moved past
    /// the last; should any of them fail there, nothing of it stays and each is delivered alone
    /// ([`Applier::deliver`]: retried, or parked with its reason). Returns how many were done
    /// (applied, skipped as redelivered, or parked) before `shutdown` interrupted.
    pub async fn deliver_all<S: Future<Output = ()>>(
        &self,
        deliveries: &[(Delivery<'_>, Advance<'_>)],
        shutdown: &mut std::pin::Pin<&mut S>,
    ) -> usize {
        if deliveries.len() > 1 {
            match self.apply_together(deliveries).await {
                Ok(()) => return deliveries.len(),
                Err(err) => tracing::debug!(
                    group = %self.group,
                    events = deliveries.len(),
                    error = %err,
                    "consumer: applying together failed; one by one"
                ),
            }
        }
        for (done, (delivery, advance)) in deliveries.iter().enumerate() {
            if self.deliver(delivery, *advance, shutdown).await == Outcome::Interrupted {
                return done;
            }
        }
        deliveries.len()
    }

    async fn apply_together(
        &self,
        deliveries: &[(Delivery<'_>, Advance<'_>)],
    ) -> Result<(), HandlerError> {
        let envelopes = deliveries
            .iter()
            .map(|(delivery, _)| Envelope::decode(delivery.payload))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| HandlerError::Permanent(format!("undecodable event: {err}")))?;
        let Some((_, last)) = deliveries.last() else {
            return Ok(());
        };
        let (turn, txn) = self.begin().await?;
        let events: Vec<_> = envelopes
            .iter()
            .zip(deliveries)
            .map(|(envelope, (delivery, _))| (envelope, delivery))
            .collect();
        let applying = async {
            self.record_and_apply(&txn, &events, *last).await?;
            Ok::<_, HandlerError>(())
        };
        match tokio::time::timeout(self.time_limit, applying).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => {
                txn.rollback().await?;
                return Err(err);
            }
            Err(_) => {
                txn.rollback().await?;
                return Err(HandlerError::Permanent(format!(
                    "applying together took longer than {:?}",
                    self.time_limit
                )));
            }
        }
        self.commit(txn, turn).await?;
        crate::outbox::committed(self.service);
        Ok(())
    }

    /// The write turn (SQLite) and a transaction begun on its connection.
    async fn begin(&self) -> Result<(Option<WriteTurn>, DatabaseTransaction), DbErr> {
        let turn = xinfang_platform::database::write_turn(self.db).await?;
        let txn = xinfang_platform::database::write_connection(&turn, self.db)
            .begin()
            .await?;
        Ok((turn, txn))
    }

    /// Commits and lets the write turn go, then waits until the commit is durable
    /// ([`xinfang_platform::database::flush`]): the position has moved past the events.
    async fn commit(&self, txn: DatabaseTransaction, turn: Option<WriteTurn>) -> Result<(), DbErr> {
        txn.commit().await?;
        drop(turn);
        xinfang_platform::database::flush(self.db).await
    }

    async fn park(
        &self,
        delivery: &Delivery<'_>,
        reason: &str,
        advance: Advance<'_>,
    ) -> Result<(), DbErr> {
        let (turn, txn) = self.begin().await?;
        if let Ok(envelope) = Envelope::decode(delivery.payload) {
            inbox::record(
                &txn,
                self.service,
                self.group,
                &envelope.event_id,
                delivery.topic,
            )
            .await?;
        }
        parked::park(&txn, self.service, self.group, delivery, reason).await?;
        self.advance(&txn, advance).await?;
        self.commit(txn, turn).await?;
        let count = self.parked.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::error!(
            group = %self.group,
            topic = %delivery.topic,
            position = %delivery.position,
            %reason,
            parked_since_start = count,
            "consumer: event parked; the log goes on (xinfang events parked / replay)"
        );
        Ok(())
    }
}

/// How long a stopping consumer waits for the broker to take its last commit.
const CLOSE_WAIT: Duration = Duration::from_secs(10);

/// Events received ahead per lane: enough to keep it busy, few to deliver again after a stop.
const LANE_DEPTH: usize = 16;

pub struct EventConsumer<H> {
    db: DatabaseConnection,
    /// The consuming service, whose `<service>_inbox` table records applied events.
    service: String,
    /// The consumer group, also the inbox's consumer name.
    group: String,
    consumer: GroupConsumer,
    handler: H,
    parked: AtomicU64,
    time_limit: Duration,
    lanes: usize,
    /// At most how many waiting events a lane applies in one transaction.
    batch: usize,
}

impl<H: EventHandler> EventConsumer<H> {
    /// A consumer of `topics` as `settings` say: brokers, fetch wait, handler time limit, lanes,
    /// batch.
    pub fn new(
        db: DatabaseConnection,
        service: &str,
        group: &str,
        settings: &EventSettings,
        topics: &[&str],
        handler: H,
    ) -> anyhow::Result<Self> {
        let consumer: StreamConsumer<LagContext> =
            crate::kafka::consumer_config(&settings.brokers, group, settings.fetch_wait_ms)
                .create_with_context(LagContext::new(group))?;
        consumer.subscribe(topics)?;
        let batch = if handler.applies_together() {
            (settings.consumer_batch as usize).max(1)
        } else {
            1
        };
        Ok(Self {
            db,
            service: service.to_owned(),
            group: group.to_owned(),
            consumer: GroupConsumer::new(consumer),
            handler,
            parked: AtomicU64::new(0),
            time_limit: Duration::from_millis(settings.handler_time_limit_ms),
            lanes: (settings.consumer_lanes as usize).max(1),
            batch,
        })
    }

    /// Parks an event whose handler takes longer than `limit`.
    pub fn within(mut self, limit: Duration) -> Self {
        self.time_limit = limit;
        self
    }

    /// Applies up to `lanes` events at once; a petition's events always take the same lane,
    /// in the order of their partition.
    pub fn lanes(mut self, lanes: usize) -> Self {
        self.lanes = lanes.max(1);
        self
    }

    /// Consumes until `shutdown` completes. The receiving loop hands each event to the lane of
    /// its key; a lane applies its events in order (those waiting, together) and stores the
    /// partition's offset as far as every earlier event is applied ([`Progress`]).
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let applier = Applier {
            db: &self.db,
            service: &self.service,
            group: &self.group,
            handler: &self.handler,
            parked: &self.parked,
            time_limit: self.time_limit,
        };
        let stop = CancellationToken::new();
        let progress = Mutex::new(Progress::default());
        let (senders, receivers): (Vec<_>, Vec<_>) = (0..self.lanes)
            .map(|_| mpsc::channel(LANE_DEPTH.max(self.batch)))
            .unzip();
        let lanes = futures::future::join_all(
            receivers
                .into_iter()
                .map(|events| self.lane(&applier, events, &progress, &stop)),
        );
        let receiving = async {
            tokio::pin!(shutdown);
            loop {
                let message = tokio::select! {
                    _ = &mut shutdown => break,
                    m = self.consumer.recv() => m,
                };
                let message = match message {
                    Ok(m) => m.detach(),
                    Err(err) => {
                        tracing::warn!(group = %self.group, %err, "consumer: receive failed");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        continue;
                    }
                };
                lock(&progress).received(message.topic(), message.partition(), message.offset());
                let lane = &senders[lane_of(message.key(), senders.len())];
                tokio::select! {
                    _ = &mut shutdown => break,
                    sent = lane.send(message) => if sent.is_err() { break },
                }
            }
            // Events still queued are not applied: their offsets were never stored, and they
            // come again after the restart.
            stop.cancel();
        };
        tokio::join!(lanes, receiving);
        // Leaving: closing the consumer commits the stored offsets (auto-commit). Never
        // commit_consumer_state here: it commits the consumed position, which may be ahead of what
        // was applied, and an unapplied event would be lost.
        self.consumer.close(&self.group, CLOSE_WAIT).await;
    }

    /// One lane: applies its events in order until the consumer stops — those waiting in its
    /// queue together, up to the batch.
    async fn lane(
        &self,
        applier: &Applier<'_, H>,
        mut events: mpsc::Receiver<OwnedMessage>,
        progress: &Mutex<Progress>,
        stop: &CancellationToken,
    ) {
        let mut waiting = Vec::with_capacity(self.batch);
        loop {
            let received = tokio::select! {
                biased;
                _ = stop.cancelled() => return,
                n = events.recv_many(&mut waiting, self.batch) => n,
            };
            if received == 0 {
                return;
            }
            let deliveries: Vec<_> = waiting
                .iter()
                .map(|message| {
                    let delivery = Delivery {
                        topic: message.topic(),
                        position: format!(
                            "partition {} offset {}",
                            message.partition(),
                            message.offset()
                        ),
                        payload: message.payload().unwrap_or_default(),
                    };
                    (delivery, Advance::Offset)
                })
                .collect();
            let stopped = stop.cancelled();
            tokio::pin!(stopped);
            let done = applier.deliver_all(&deliveries, &mut stopped).await;
            for message in &waiting[..done] {
                let (topic, partition) = (message.topic(), message.partition());
                let through = lock(progress).applied(topic, partition, message.offset());
                if let Some(through) = through
                    && let Err(err) = self.consumer.store_offset(topic, partition, through)
                {
                    tracing::warn!(%err, "consumer: storing the offset failed; events may be redelivered");
                }
            }
            if done < waiting.len() {
                return;
            }
            waiting.clear();
        }
    }
}

/// The lane of an event's key: the same petition, the same lane.
fn lane_of(key: Option<&[u8]>, lanes: usize) -> usize {
    let mut hasher = std::hash::DefaultHasher::new();
    key.hash(&mut hasher);
    (hasher.finish() % lanes as u64) as usize
}

fn lock(progress: &Mutex<Progress>) -> std::sync::MutexGuard<'_, Progress> {
    // The progress holds no invariant a panicking lane could break halfway.
    progress
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Delivers one event to `handler` exactly as a consumer of `topic` would — inbox row, handler,
/// parking of what can never apply, retries of what may — outside any log (a test, a tool).
pub async fn deliver_one<H: EventHandler>(
    db: &DatabaseConnection,
    service: &str,
    group: &str,
    handler: &H,
    topic: &str,
    envelope: &Envelope,
) -> Outcome {
    let payload = prost::Message::encode_to_vec(envelope);
    let parked = AtomicU64::new(0);
    let applier = Applier {
        db,
        service,
        group,
        handler,
        parked: &parked,
        time_limit: HANDLER_TIME_LIMIT,
    };
    let delivery = Delivery {
        topic,
        position: "delivered by hand".into(),
        payload: &payload,
    };
    let never = std::future::pending::<()>();
    tokio::pin!(never);
    applier
        .deliver(&delivery, Advance::Offset, &mut never)
        .await
}
