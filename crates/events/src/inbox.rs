//! The consumer's inbox: recording an event id in the transaction of its effect makes applying
//! it idempotent.

use chrono::Utc;
use sea_orm::sea_query::{Alias, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};

/// Records `event_id` for `consumer`; false when it was recorded before (a redelivery).
pub async fn record(
    txn: &DatabaseTransaction,
    service: &str,
    consumer: &str,
    event_id: &str,
    topic: &str,
) -> Result<bool, DbErr> {
    let insert = Query::insert()
        .into_table(Alias::new(format!("{service}_inbox")))
        .columns(["consumer", "event_id", "topic", "applied_at"])
        .values_panic([
            consumer.into(),
            event_id.into(),
            topic.into(),
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
