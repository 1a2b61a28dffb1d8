//! The transactional outbox: an event row written in the same transaction as the state change it
//! announces, numbered by the version of the aggregate that changed (so two writers never
//! collide: the version guard lets only one of them commit).

use crate::envelope::{EventDraft, topic_of};
use chrono::Utc;
use prost::Message;
use sea_orm::sea_query::{Alias, InsertStatement, Query};
use sea_orm::{ConnectionTrait, DbErr};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};
use tokio::sync::watch;
use xinfang_proto::xinfang::events::v1::Envelope;

pub fn table(service: &str) -> Alias {
    Alias::new(table_name(service))
}

pub fn table_name(service: &str) -> String {
    format!("{service}_outbox")
}

/// Where an event row belongs: the aggregate's stream (`case/<id>`) and its version there.
#[derive(Debug, Clone)]
pub struct Position {
    pub stream: String,
    pub sequence: u64,
}

/// Appends the event to `service`'s outbox inside the caller's transaction and returns the
/// envelope as written.
pub async fn append(
    txn: &impl ConnectionTrait,
    service: &str,
    node: &str,
    position: Position,
    draft: EventDraft,
) -> Result<Envelope, DbErr> {
    let (envelope, insert) = row(service, node, position, draft);
    txn.execute(&insert).await?;
    Ok(envelope)
}

/// The envelope of the event and the insert of its outbox row, for a caller that sends it
/// with other rows.
pub fn row(
    service: &str,
    node: &str,
    position: Position,
    draft: EventDraft,
) -> (Envelope, InsertStatement) {
    let envelope = draft.into_envelope(node, &position.stream, position.sequence);
    let insert = Query::insert()
        .into_table(table(service))
        .columns([
            "event_id",
            "topic",
            "message_key",
            "stream",
            "sequence",
            "event_type",
            "payload",
            "created_at",
        ])
        .values_panic([
            envelope.event_id.clone().into(),
            topic_of(service).into(),
            envelope.petition_id.clone().into(),
            position.stream.into(),
            (position.sequence as i64).into(),
            envelope.event_type.clone().into(),
            envelope.encode_to_vec().into(),
            Utc::now().into(),
        ])
        .to_owned();
    (envelope, insert)
}

/// Tells whoever reads `service`'s outbox in this process (its relay, the SQL log's consumers)
/// that a transaction which may hold outbox rows committed: the rows go out at once instead of
/// at the next poll (which still finds what other processes commit). Call it after the commit.
pub fn committed(service: &str) {
    signal(service).send_modify(|commits| *commits += 1);
}

/// Wakes on [`committed`] of `service`: `changed()` completes at once for a commit made while
/// its holder was busy.
pub fn commits(service: &str) -> watch::Receiver<u64> {
    signal(service).subscribe()
}

/// One commit counter per service, for the life of the process.
fn signal(service: &str) -> &'static watch::Sender<u64> {
    static SIGNALS: OnceLock<Mutex<HashMap<String, &'static watch::Sender<u64>>>> = OnceLock::new();
    let mut signals = SIGNALS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    signals
        .entry(service.to_owned())
        .or_insert_with(|| Box::leak(Box::new(watch::Sender::new(0))))
}
