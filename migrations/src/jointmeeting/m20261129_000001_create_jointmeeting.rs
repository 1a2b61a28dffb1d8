use crate::event_tables::create_event_tables;
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
                    .table("jointmeeting_meeting")
                    .col(ColumnDef::new("id").string_len(36).not_null().primary_key())
                    .col(ColumnDef::new("convener").string().not_null())
                    // YYYY-MM-DD: the year's meetings are found by prefix.
                    .col(ColumnDef::new("held_on").string_len(10).not_null())
                    .col(ColumnDef::new("state").text().not_null())
                    .col(version())
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "jointmeeting_meeting",
            "jointmeeting_meeting_held",
            &["held_on"],
        )
        .await?;
        // The items this node registered, as intake's events tell: an agenda names real items.
        manager
            .create_table(
                Table::create()
                    .table("jointmeeting_item")
                    .col(
                        ColumnDef::new("petition_id")
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("case_number").string().not_null())
                    .col(ColumnDef::new("region_code").string().not_null())
                    .to_owned(),
            )
            .await?;
        create_event_tables(manager, "jointmeeting").await
    }
}
