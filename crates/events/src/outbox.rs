//! The transactional outbox: an event row written in the same transaction as the state change it
//! announces, numbered per petition without gaps.

use crate::envelope::{EventDraft, topic_of};
use chrono::Utc;
use prost::Message;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};
use xinfang_proto::xinfang::events::v1::Envelope;

pub fn table(service: &str) -> Alias {
    Alias::new(format!("{service}_outbox"))
}

/// Appends the event to `service`'s outbox inside `txn` and returns the envelope as written.
pub async fn append(
    txn: &DatabaseTransaction,
    service: &str,
    node: &str,
    draft: EventDraft,
) -> Result<Envelope, DbErr> {
    let last = Query::select()
        .expr_as(
            Func::coalesce([Func::max(Expr::col("sequence")).into(), Expr::val(0i64)]),
            "last",
        )
        .from(table(service))
        .and_where(Expr::col("aggregate_id").eq(draft.petition_id.as_str()))
        .to_owned();
    let last: i64 = txn
        .query_one(&last)
        .await?
        .map(|row| row.try_get::<i64>("", "last"))
        .transpose()?
        .unwrap_or(0);
    let envelope = draft.into_envelope(node, last as u64 + 1);
    let insert = Query::insert()
        .into_table(table(service))
        .columns([
            "event_id",
            "topic",
            "aggregate_id",
            "sequence",
            "event_type",
            "payload",
            "created_at",
        ])
        .values_panic([
            envelope.event_id.clone().into(),
            topic_of(service).into(),
            envelope.petition_id.clone().into(),
            (envelope.sequence as i64).into(),
            envelope.event_type.clone().into(),
            envelope.encode_to_vec().into(),
            Utc::now().into(),
        ])
        .to_owned();
    txn.execute(&insert).await?;
    Ok(envelope)
}
