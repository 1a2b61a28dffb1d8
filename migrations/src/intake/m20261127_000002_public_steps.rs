//! Intake follows dispatch's events to show the petitioner every public step (可查询、可跟踪).

use crate::event_tables::create_inbox;
use crate::schema::create_index;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("intake_public_step")
                    .col(
                        ColumnDef::new("id")
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("petition_id").string_len(36).not_null())
                    .col(ColumnDef::new("kind").string().not_null())
                    .col(ColumnDef::new("title").string().not_null())
                    .col(ColumnDef::new("organ_name").string().not_null())
                    .col(
                        ColumnDef::new("occurred_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new("text").text().not_null())
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "intake_public_step",
            "intake_public_step_petition",
            &["petition_id", "id"],
        )
        .await?;
        create_inbox(manager, "intake").await
    }
}
