//! Leader receptions (领导接访 / 约访): one row per published reception day, the aggregate as
//! JSON beside the columns the calendar selects by; and the count of the public bookings.

use crate::event_tables::create_rate_limit;
use crate::schema::{create_index as index, version};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("jointmeeting_reception")
                    .col(ColumnDef::new("id").string_len(36).not_null().primary_key())
                    .col(ColumnDef::new("office").string().not_null())
                    // YYYY-MM-DD: the calendar is read by date range.
                    .col(ColumnDef::new("held_on").string_len(10).not_null())
                    .col(ColumnDef::new("state").text().not_null())
                    .col(version())
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "jointmeeting_reception",
            "jointmeeting_reception_calendar",
            &["office", "held_on"],
        )
        .await?;
        create_rate_limit(manager, "jointmeeting").await
    }
}
