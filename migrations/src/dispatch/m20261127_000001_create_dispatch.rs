use crate::event_tables::{create_inbox, create_outbox};
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
                    .table("dispatch_case")
                    .col(
                        ColumnDef::new("petition_id")
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("case_number").string().not_null())
                    .col(ColumnDef::new("kind").string().not_null())
                    .col(ColumnDef::new("state").string().not_null())
                    // 谁受理、谁跟踪: the registering unit keeps following the item.
                    .col(ColumnDef::new("first_handler_unit").string().not_null())
                    .col(ColumnDef::new("first_handler_region").string().not_null())
                    // Who triages now (the registering unit, or the level above after escalation
                    // or a jurisdiction dispute).
                    .col(ColumnDef::new("triage_unit").string().not_null())
                    .col(ColumnDef::new("region_code").string().not_null())
                    .col(ColumnDef::new("content_category").string().not_null())
                    .col(ColumnDef::new("channel_code").string().not_null())
                    .col(ColumnDef::new("flag_mask").big_integer().not_null())
                    .col(ColumnDef::new("responsible_organ").string().null())
                    .col(ColumnDef::new("responsible_region").string().null())
                    .col(ColumnDef::new("handler_user_id").string().null())
                    .col(ColumnDef::new("routed_on").string_len(10).null())
                    .col(ColumnDef::new("deadline").text().null())
                    .col(ColumnDef::new("due_date").string_len(10).null())
                    .col(ColumnDef::new("extension_days").integer().not_null())
                    .col(ColumnDef::new("extension_requested").integer().null())
                    .col(ColumnDef::new("extension_reason").text().null())
                    .col(ColumnDef::new("opinion").string().null())
                    .col(ColumnDef::new("report_back_date").string_len(10).null())
                    .col(
                        ColumnDef::new("registered_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new("updated_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("dispatch_case_organ", &["responsible_organ", "state"][..]),
            ("dispatch_case_triage", &["triage_unit", "state"][..]),
            ("dispatch_case_due", &["due_date"][..]),
            ("dispatch_case_region", &["region_code"][..]),
        ] {
            create_index(manager, "dispatch_case", name, cols).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("dispatch_step")
                    .col(
                        ColumnDef::new("id")
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("petition_id").string_len(36).not_null())
                    .col(ColumnDef::new("action").string().not_null())
                    .col(ColumnDef::new("actor").string().not_null())
                    .col(ColumnDef::new("actor_unit").string().not_null())
                    .col(ColumnDef::new("organ_code").string().not_null())
                    .col(ColumnDef::new("destination").string().not_null())
                    .col(ColumnDef::new("reason").text().not_null())
                    .col(ColumnDef::new("text").text().not_null())
                    .col(
                        ColumnDef::new("occurred_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new("deadlines").text().not_null())
                    .col(ColumnDef::new("public").boolean().not_null())
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "dispatch_step",
            "dispatch_step_petition",
            &["petition_id", "id"],
        )
        .await?;
        create_inbox(manager, "dispatch").await?;
        create_outbox(manager, "dispatch").await
    }
}
