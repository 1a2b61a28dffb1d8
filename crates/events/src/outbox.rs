//! The transactional outbox: an event row written in the same transaction as the state change it
//! announces, numbered by the version of the aggregate that changed (so two writers never
//! collide: the version guard lets only one of them commit).

use crate::envelope::{EventDraft, topic_of};
use chrono::Utc;
use prost::Message;
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ConnectionTrait, DbErr};
use xinfang_proto::xinfang::events::v1::Envelope;

pub fn table(service: &str) -> Alias {
    Alias::new(format!("{service}_outbox"))
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
    txn.execute(&insert).await?;
    Ok(envelope)
}
