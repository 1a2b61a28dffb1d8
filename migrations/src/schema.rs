//! Small helpers every service's migrations use.

use sea_orm_migration::prelude::*;

/// A plain (non-unique) index on `cols` of `table`.
pub async fn create_index(
    manager: &SchemaManager<'_>,
    table: &str,
    name: &str,
    cols: &[&str],
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(Alias::new(table));
    for col in cols {
        index.col(Alias::new(*col));
    }
    manager.create_index(index.to_owned()).await
}

/// Adds `column` to `table` (one ALTER per statement: SQLite takes no more).
pub async fn add_column(
    manager: &SchemaManager<'_>,
    table: &str,
    column: ColumnDef,
) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(Alias::new(table))
                .add_column(column)
                .to_owned(),
        )
        .await
}

/// The version column of an aggregate's row: how many events it has had (the write path guards
/// every update with it).
pub fn version() -> ColumnDef {
    ColumnDef::new("version")
        .big_integer()
        .not_null()
        .default(0)
        .to_owned()
}

/// `<service>_calendar_update`: the holiday calendars the province sent down (节假日安排更新),
/// kept by a service that counts days so that a restart counts with them.
pub async fn create_calendar_updates(
    manager: &SchemaManager<'_>,
    service: &str,
) -> Result<(), DbErr> {
    create_updates(
        manager,
        &format!("{service}_calendar_update"),
        "calendar_toml",
    )
    .await
}

/// `<service>_organisation_update`: the organisation the province sent down (组织机构), kept by
/// a service that reads the organisation so that a restart works with it.
pub async fn create_organisation_updates(
    manager: &SchemaManager<'_>,
    service: &str,
) -> Result<(), DbErr> {
    create_updates(
        manager,
        &format!("{service}_organisation_update"),
        "org_toml",
    )
    .await
}

/// A table of what the province sent, by version: the text and when it came.
async fn create_updates(manager: &SchemaManager<'_>, table: &str, text: &str) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Alias::new(table))
                .col(
                    ColumnDef::new("version")
                        .string_len(64)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Alias::new(text)).text().not_null())
                .col(
                    ColumnDef::new("received_at")
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await
}
