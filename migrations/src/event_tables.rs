//! The tables of the event plumbing (architecture.md, How data flows), created alike for each
//! service under its own prefix: `<service>_outbox` with `<service>_relay_lease` for producers,
//! `<service>_inbox` for consumers.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm;

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

/// The write path's outbox (architecture.md, The write path): rows keyed by the Kafka message
/// key (`message_key`, the petition) and numbered by their aggregate's version in its `stream`
/// (`case/<id>`), which the version guard keeps unique; a row the broker can never take is
/// parked with its reason instead of blocking the relay.
pub async fn upgrade_outbox(manager: &SchemaManager<'_>, service: &str) -> Result<(), DbErr> {
    let outbox = format!("{service}_outbox");
    manager
        .alter_table(
            Table::alter()
                .table(Alias::new(&outbox))
                .rename_column("aggregate_id", "message_key")
                .to_owned(),
        )
        .await?;
    crate::schema::add_column(
        manager,
        &outbox,
        ColumnDef::new("stream")
            .string()
            .not_null()
            .default("")
            .to_owned(),
    )
    .await?;
    crate::schema::add_column(
        manager,
        &outbox,
        ColumnDef::new("parked_reason").text().null().to_owned(),
    )
    .await?;
    // Rows written before carry their petition's per-producer numbering: their own stream.
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "UPDATE {outbox} SET stream = message_key WHERE stream = ''"
        ))
        .await?;
    manager
        .drop_index(
            Index::drop()
                .name(format!("{outbox}_aggregate_sequence"))
                .table(Alias::new(&outbox))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name(format!("{outbox}_stream_sequence"))
                .table(Alias::new(&outbox))
                .col("stream")
                .col("sequence")
                .unique()
                .to_owned(),
        )
        .await
}

/// A consumer's parked events (dead letters): an event that can never apply, with the reason,
/// kept until it is replayed once the cause is fixed.
pub async fn create_parked(manager: &SchemaManager<'_>, service: &str) -> Result<(), DbErr> {
    let parked = format!("{service}_parked");
    manager
        .create_table(
            Table::create()
                .table(Alias::new(&parked))
                .col(
                    ColumnDef::new("id")
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new("consumer").string().not_null())
                .col(ColumnDef::new("event_id").string().not_null())
                .col(ColumnDef::new("topic").string().not_null())
                .col(ColumnDef::new("position").string().not_null())
                .col(ColumnDef::new("event_type").string().not_null())
                .col(ColumnDef::new("message_key").string().not_null())
                .col(ColumnDef::new("payload").blob().not_null())
                .col(ColumnDef::new("reason").text().not_null())
                .col(
                    ColumnDef::new("parked_at")
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new("replayed_at")
                        .timestamp_with_time_zone()
                        .null(),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name(format!("{parked}_event"))
                .table(Alias::new(&parked))
                .col("consumer")
                .col("event_id")
                .unique()
                .to_owned(),
        )
        .await
}

/// The audit log: one append-only row per event of each aggregate.
pub async fn create_audit(manager: &SchemaManager<'_>, service: &str) -> Result<(), DbErr> {
    let audit = format!("{service}_audit");
    manager
        .create_table(
            Table::create()
                .table(Alias::new(&audit))
                .col(
                    ColumnDef::new("id")
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new("occurred_at")
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new("actor").string().not_null())
                .col(ColumnDef::new("org_unit").string().not_null())
                .col(ColumnDef::new("action").string().not_null())
                .col(ColumnDef::new("aggregate").string().not_null())
                .col(crate::schema::version())
                .col(ColumnDef::new("detail").text().not_null())
                .to_owned(),
        )
        .await?;
    crate::schema::create_index(
        manager,
        &audit,
        &format!("{audit}_aggregate"),
        &["aggregate", "version"],
    )
    .await
}

/// The audit log chained per aggregate (`prev_hash`, `hash`; empty on rows written before),
/// and append-only in the database: an UPDATE or DELETE of a row fails.
pub async fn chain_audit(manager: &SchemaManager<'_>, service: &str) -> Result<(), DbErr> {
    let audit = format!("{service}_audit");
    for column in ["prev_hash", "hash"] {
        crate::schema::add_column(
            manager,
            &audit,
            ColumnDef::new(column).string().null().to_owned(),
        )
        .await?;
    }
    let refuse = "audit rows are append-only";
    let db = manager.get_connection();
    match manager.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            db.execute_unprepared(&format!(
                "CREATE FUNCTION {audit}_append_only() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION '{refuse}'; END $$"
            ))
            .await?;
            db.execute_unprepared(&format!(
                "CREATE TRIGGER {audit}_append_only BEFORE UPDATE OR DELETE ON {audit} \
                 FOR EACH ROW EXECUTE FUNCTION {audit}_append_only()"
            ))
            .await?;
        }
        _ => {
            for change in ["UPDATE", "DELETE"] {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {audit}_no_{op} BEFORE {change} ON {audit} \
                     BEGIN SELECT RAISE(ABORT, '{refuse}'); END;",
                    op = change.to_lowercase(),
                ))
                .await?;
            }
        }
    }
    Ok(())
}

/// The counts of the citizen's calls, per bucket and fixed window (`public_calls`).
pub async fn create_rate_limit(manager: &SchemaManager<'_>, service: &str) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Alias::new(format!("{service}_rate_limit")))
                .col(ColumnDef::new("bucket").string().not_null())
                .col(ColumnDef::new("window_start").big_integer().not_null())
                .col(ColumnDef::new("calls").big_integer().not_null())
                .primary_key(Index::create().col("bucket").col("window_start"))
                .to_owned(),
        )
        .await
}

/// The index the chain's head is found by (the aggregate's last row): without it every audited
/// write scanned the whole log, and registration slowed as the log grew.
pub async fn index_audit_heads(manager: &SchemaManager<'_>, service: &str) -> Result<(), DbErr> {
    let audit = format!("{service}_audit");
    crate::schema::create_index(
        manager,
        &audit,
        &format!("{audit}_head"),
        &["aggregate", "version", "id"],
    )
    .await
}

/// Everything a new service's events need, as the older services have it after all their
/// migrations: the outbox numbered by aggregate version, the inbox, parked events, and the
/// chained, append-only audit log with its head index.
pub async fn create_event_tables(manager: &SchemaManager<'_>, service: &str) -> Result<(), DbErr> {
    create_outbox(manager, service).await?;
    upgrade_outbox(manager, service).await?;
    create_inbox(manager, service).await?;
    create_parked(manager, service).await?;
    create_audit(manager, service).await?;
    chain_audit(manager, service).await?;
    index_audit_heads(manager, service).await
}
