//! Parked events (dead letters): an event a consumer can never apply as it is — undecodable, a
//! reference to something that does not exist, a date the calendar cannot answer — is kept here
//! with its reason, in the transaction that records it in the inbox, and the partition goes on.
//! Once the cause is fixed, `xinfang events replay` applies it again, exactly once: the mark
//! that it was replayed commits with its effect.

use crate::consumer::{EventHandler, HandlerError};
use chrono::{DateTime, Utc};
use prost::Message as _;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, OnConflict, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};
use xinfang_platform::database;
use xinfang_proto::xinfang::events::v1::Envelope;

fn table(service: &str) -> Alias {
    Alias::new(format!("{service}_parked"))
}

/// Where an event came from, as a consumer received it.
#[derive(Debug, Clone)]
pub struct Delivery<'a> {
    pub topic: &'a str,
    /// `partition 2 offset 17`, or `outbox row 12` in the SQL log.
    pub position: String,
    pub payload: &'a [u8],
}

/// A parked event, as `xinfang events parked` lists it.
#[derive(Debug, Clone)]
pub struct Parked {
    pub id: i64,
    pub consumer: String,
    pub event_id: String,
    pub event_type: String,
    pub message_key: String,
    pub topic: String,
    pub position: String,
    pub reason: String,
    pub parked_at: DateTime<Utc>,
    pub replayed_at: Option<DateTime<Utc>>,
}

/// Parks an event in the caller's transaction. False when it was parked before.
pub async fn park(
    txn: &impl ConnectionTrait,
    service: &str,
    consumer: &str,
    delivery: &Delivery<'_>,
    reason: &str,
) -> Result<bool, DbErr> {
    let envelope = Envelope::decode(delivery.payload).ok();
    let (event_id, event_type, key) = match &envelope {
        Some(e) => (
            e.event_id.clone(),
            e.event_type.clone(),
            e.petition_id.clone(),
        ),
        // Undecodable: its place in the log is its identity.
        None => (
            format!("{}@{}", delivery.topic, delivery.position),
            String::new(),
            String::new(),
        ),
    };
    let insert = Query::insert()
        .into_table(table(service))
        .columns([
            "consumer",
            "event_id",
            "topic",
            "position",
            "event_type",
            "message_key",
            "payload",
            "reason",
            "parked_at",
        ])
        .values_panic([
            consumer.into(),
            event_id.into(),
            delivery.topic.into(),
            delivery.position.clone().into(),
            event_type.into(),
            key.into(),
            delivery.payload.to_vec().into(),
            reason.into(),
            Utc::now().into(),
        ])
        .on_conflict(
            OnConflict::columns(["consumer", "event_id"])
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    Ok(txn.execute(&insert).await?.rows_affected() == 1)
}

const COLUMNS: [&str; 10] = [
    "id",
    "consumer",
    "event_id",
    "event_type",
    "message_key",
    "topic",
    "position",
    "reason",
    "parked_at",
    "replayed_at",
];

/// How many events `service`'s consumers parked and nobody replayed yet.
pub async fn waiting(db: &impl ConnectionTrait, service: &str) -> Result<i64, DbErr> {
    let select = Query::select()
        .expr_as(Func::count(Expr::col("id")), Alias::new("n"))
        .from(table(service))
        .and_where(Expr::col("replayed_at").is_null())
        .to_owned();
    let row = db
        .query_one(&select)
        .await?
        .ok_or_else(|| DbErr::Custom("no count row".into()))?;
    row.try_get("", "n")
}

/// The parked events of `service`'s consumers, oldest first; replayed ones only if asked.
pub async fn list(
    db: &impl ConnectionTrait,
    service: &str,
    with_replayed: bool,
) -> Result<Vec<Parked>, DbErr> {
    let mut select = Query::select();
    select
        .columns(COLUMNS)
        .from(table(service))
        .order_by("id", Order::Asc);
    if !with_replayed {
        select.and_where(Expr::col("replayed_at").is_null());
    }
    db.query_all(&select)
        .await?
        .into_iter()
        .map(|r| {
            Ok(Parked {
                id: r.try_get("", "id")?,
                consumer: r.try_get("", "consumer")?,
                event_id: r.try_get("", "event_id")?,
                event_type: r.try_get("", "event_type")?,
                message_key: r.try_get("", "message_key")?,
                topic: r.try_get("", "topic")?,
                position: r.try_get("", "position")?,
                reason: r.try_get("", "reason")?,
                parked_at: r.try_get("", "parked_at")?,
                replayed_at: r.try_get("", "replayed_at")?,
            })
        })
        .collect()
}

/// What replaying a parked event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replay {
    Applied,
    /// It was replayed before (or is not parked here): nothing happened.
    NotPending,
    /// It still cannot apply; it stays parked with this reason.
    StillRefused(String),
}

/// Applies parked event `id` of `service` with `handler` once: the replay mark and the effect
/// commit together, so a second replay finds nothing to do.
pub async fn replay<H: EventHandler>(
    db: &DatabaseConnection,
    service: &str,
    handler: &H,
    id: i64,
) -> Result<Replay, HandlerError> {
    let txn = db.begin().await?;
    let claim = Query::update()
        .table(table(service))
        .value("replayed_at", Utc::now())
        .and_where(Expr::col("id").eq(id))
        .and_where(Expr::col("replayed_at").is_null())
        .to_owned();
    if txn.execute(&claim).await?.rows_affected() != 1 {
        txn.rollback().await?;
        return Ok(Replay::NotPending);
    }
    let row = txn
        .query_one(
            &Query::select()
                .column("payload")
                .from(table(service))
                .and_where(Expr::col("id").eq(id))
                .to_owned(),
        )
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("parked event {id}")))?;
    let payload: Vec<u8> = row.try_get("", "payload")?;
    let outcome = match Envelope::decode(payload.as_slice()) {
        Ok(envelope) => handler.apply(&txn, &envelope).await,
        Err(err) => Err(HandlerError::Permanent(format!("undecodable: {err}"))),
    };
    match outcome {
        Ok(()) => {
            database::commit(db, txn).await?;
            Ok(Replay::Applied)
        }
        Err(HandlerError::Permanent(reason)) => {
            txn.rollback().await?;
            let note = Query::update()
                .table(table(service))
                .value("reason", reason.as_str())
                .and_where(Expr::col("id").eq(id))
                .to_owned();
            db.execute(&note).await?;
            Ok(Replay::StillRefused(reason))
        }
        Err(transient) => {
            txn.rollback().await?;
            Err(transient)
        }
    }
}
