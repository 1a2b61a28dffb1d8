use crate::event_tables::{create_event_tables, create_rate_limit};
use crate::schema::{create_index as index, version};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Dates are stored as `YYYY-MM-DD` text: ordered, portable between PostgreSQL and SQLite.
fn date(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).string_len(10).null().to_owned()
}

fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .string()
        .not_null()
        .default("")
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("evaluation_item")
                    .col(
                        ColumnDef::new("petition_id")
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    // What the scope policy and the lists select by; the whole item is `state`.
                    .col(text("case_number"))
                    .col(text("region_code"))
                    .col(text("registering_unit"))
                    .col(text("answer_organ"))
                    .col(text("review_organ"))
                    .col(text("re_examination_organ"))
                    .col(text("lifecycle"))
                    .col(date("terminated_on"))
                    .col(date("next_check"))
                    .col(ColumnDef::new("state").text().not_null())
                    .col(version())
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "evaluation_item",
            "evaluation_item_check",
            &["next_check"],
        )
        .await?;
        index(
            manager,
            "evaluation_item",
            "evaluation_item_region",
            &["region_code"],
        )
        .await?;
        index(
            manager,
            "evaluation_item",
            "evaluation_item_terminated",
            &["terminated_on"],
        )
        .await?;
        // The one-time tokens of the SMS links, by their SHA-256.
        manager
            .create_table(
                Table::create()
                    .table("evaluation_token")
                    .col(
                        ColumnDef::new("hash")
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("petition_id").string_len(36).not_null())
                    .col(ColumnDef::new("stage").string().not_null())
                    .to_owned(),
            )
            .await?;
        // SMS waiting for the gateway: the link with its token, for the petitioner of the item.
        manager
            .create_table(
                Table::create()
                    .table("evaluation_sms")
                    .col(
                        ColumnDef::new("id")
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("petition_id").string_len(36).not_null())
                    .col(ColumnDef::new("stage").string().not_null())
                    .col(ColumnDef::new("body").text().not_null())
                    .col(
                        ColumnDef::new("created_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new("sent_at").timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await?;
        create_event_tables(manager, "evaluation").await?;
        create_rate_limit(manager, "evaluation").await
    }
}
