//! The consumer's inbox: recording an event id in the transaction of its effect makes applying
//! it idempotent.

use chrono::Utc;
use sea_orm::sea_query::{Alias, InsertStatement, OnConflict, Query};
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
    Ok(
        !record_all(txn, service, consumer, &[(event_id, topic)], None)
            .await?
            .is_empty(),
    )
}

/// Records the events applied together (id, topic) in one statement: the ids recorded now, the
/// others having been recorded before (redeliveries). `ahead`, a statement of the same
/// transaction, goes first in the same script (SQLite only: the SQL log's cursor move, one
/// hand-off to the connection's thread fewer).
pub async fn record_all(
    txn: &DatabaseTransaction,
    service: &str,
    consumer: &str,
    events: &[(&str, &str)],
    ahead: Option<InsertStatement>,
) -> Result<HashSet<String>, DbErr> {
    if events.is_empty() {
        if let Some(statement) = ahead {
            txn.execute(&statement).await?;
        }
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
    let backend = txn.get_database_backend();
    let insert = backend.build(&insert);
    let statement = match ahead {
        Some(ahead) => xinfang_platform::database::script(backend.build(&ahead), [insert]),
        None => insert,
    };
    txn.query_all_raw(statement)
        .await?
        .iter()
        .map(|row| row.try_get("", "event_id"))
        .collect()
}
