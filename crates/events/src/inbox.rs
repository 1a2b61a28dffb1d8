//! The consumer's inbox: recording an event id in the transaction of its effect makes applying
//! it idempotent.

use chrono::Utc;
use sea_orm::sea_query::{Alias, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};
use std::collections::HashSet;

/// Records `event_id` for `consumer`; false when it was recorded before (a redelivery).
pub async fn record(
    txn: &DatabaseTransaction,
    service: &str,
    consumer: &str,
    event_id: &str,
    topic: &str,
) -> Result<bool, DbErr> {
    Ok(!record_all(txn, service, consumer, &[(event_id, topic)])
        .await?
        .is_empty())
}

/// Records the events applied together (id, topic) in one statement: the ids recorded now, the
/// others having been recorded before (redeliveries).
pub async fn record_all(
    txn: &DatabaseTransaction,
    service: &str,
    consumer: &str,
    events: &[(&str, &str)],
) -> Result<HashSet<String>, DbErr> {
    if events.is_empty() {
        return Ok(HashSet::new());
    }
    let now = Utc::now();
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new(format!("{service}_inbox")))
        .columns(["consumer", "event_id", "topic", "applied_at"])
        .on_conflict(
            OnConflict::columns(["consumer", "event_id"])
                .do_nothing()
                .to_owned(),
        )
        .returning_col(Alias::new("event_id"));
    for (event_id, topic) in events {
        insert.values_panic([
            consumer.into(),
            (*event_id).into(),
            (*topic).into(),
            now.into(),
        ]);
    }
    txn.query_all(&insert)
        .await?
        .iter()
        .map(|row| row.try_get("", "event_id"))
        .collect()
}
