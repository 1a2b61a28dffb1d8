//! The tables of the event plumbing (architecture.md, How data flows), created alike for each
//! service under its own prefix: `<service>_outbox` with `<service>_relay_lease` for producers,
//! `<service>_inbox` for consumers.

use sea_orm_migration::prelude::*;

/// The transactional outbox and the lease that keeps one relay active.
pub async fn create_outbox(manager: &SchemaManager<'_>, service: &str) -> Result<(), DbErr> {
    let outbox = format!("{service}_outbox");
    manager
        .create_table(
            Table::create()
                .table(Alias::new(&outbox))
                .col(
                    ColumnDef::new("id")
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new("event_id")
                        .string_len(36)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new("topic").string().not_null())
                .col(ColumnDef::new("aggregate_id").string_len(36).not_null())
                .col(ColumnDef::new("sequence").big_integer().not_null())
                .col(ColumnDef::new("event_type").string().not_null())
                .col(ColumnDef::new("payload").blob().not_null())
                .col(
                    ColumnDef::new("created_at")
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new("sent_at").timestamp_with_time_zone().null())
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name(format!("{outbox}_aggregate_sequence"))
                .table(Alias::new(&outbox))
                .col("aggregate_id")
                .col("sequence")
                .unique()
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name(format!("{outbox}_unsent"))
                .table(Alias::new(&outbox))
                .col("sent_at")
                .col("id")
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(Alias::new(format!("{service}_relay_lease")))
                .col(ColumnDef::new("name").string().not_null().primary_key())
                .col(ColumnDef::new("holder").string().not_null())
                .col(
                    ColumnDef::new("expires_at")
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await
}

/// The inbox: one row per applied event, written in the transaction of its effect; and the
/// cursors of the embedded default's SQL log.
pub async fn create_inbox(manager: &SchemaManager<'_>, service: &str) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Alias::new(format!("{service}_log_cursor")))
                .col(ColumnDef::new("consumer").string().not_null())
                .col(ColumnDef::new("source").string().not_null())
                .col(ColumnDef::new("last_id").big_integer().not_null())
                .primary_key(Index::create().col("consumer").col("source"))
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(Alias::new(format!("{service}_inbox")))
                .col(ColumnDef::new("consumer").string().not_null())
                .col(ColumnDef::new("event_id").string_len(36).not_null())
                .col(ColumnDef::new("topic").string().not_null())
                .col(
                    ColumnDef::new("applied_at")
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .primary_key(Index::create().col("consumer").col("event_id"))
                .to_owned(),
        )
        .await
}
