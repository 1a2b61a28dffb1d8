use crate::event_tables::create_outbox;
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
                    .table("intake_petition")
                    .col(ColumnDef::new("id").string_len(36).not_null().primary_key())
                    .col(
                        ColumnDef::new("case_number")
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new("kind").string().not_null())
                    .col(ColumnDef::new("state").string().not_null())
                    .col(ColumnDef::new("channel_code").string().not_null())
                    .col(ColumnDef::new("registering_unit").string().not_null())
                    .col(ColumnDef::new("registering_region").string().not_null())
                    .col(ColumnDef::new("region_code").string().not_null())
                    .col(ColumnDef::new("content_category").string().not_null())
                    .col(ColumnDef::new("title").text().not_null())
                    .col(ColumnDef::new("content").text().not_null())
                    .col(ColumnDef::new("headcount").integer().not_null())
                    .col(ColumnDef::new("agent").text().null())
                    .col(ColumnDef::new("attachments").text().not_null())
                    .col(ColumnDef::new("flags").text().not_null())
                    .col(ColumnDef::new("flag_mask").big_integer().not_null())
                    .col(ColumnDef::new("linked_petition_id").string_len(36).null())
                    .col(ColumnDef::new("matter_key").string().not_null())
                    .col(ColumnDef::new("first_time_here").boolean().not_null())
                    .col(ColumnDef::new("first_time_anywhere").boolean().not_null())
                    .col(ColumnDef::new("visited_level").string().null())
                    .col(
                        ColumnDef::new("petitioned_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new("registered_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new("registered_by").string().not_null())
                    .col(
                        ColumnDef::new("query_code_hash")
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new("query_code_sealed").text().not_null())
                    .col(
                        ColumnDef::new("idempotency_key")
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new("request_digest").string_len(64).not_null())
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "intake_petition_region",
                &["region_code", "registered_at"][..],
            ),
            (
                "intake_petition_registering",
                &["registering_region", "registered_at"][..],
            ),
            ("intake_petition_state", &["state", "registered_at"][..]),
        ] {
            create_index(manager, "intake_petition", name, cols).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("intake_petitioner")
                    .col(ColumnDef::new("petition_id").string_len(36).not_null())
                    .col(ColumnDef::new("position").integer().not_null())
                    .col(ColumnDef::new("name").string().not_null())
                    .col(ColumnDef::new("id_type").string().not_null())
                    // Sealed (AES-256-GCM) value, keyed hash for look-up, and the mask to show.
                    .col(ColumnDef::new("id_number_sealed").text().null())
                    .col(ColumnDef::new("id_number_hash").string_len(64).null())
                    .col(ColumnDef::new("id_number_masked").string().null())
                    .col(ColumnDef::new("phone_sealed").text().null())
                    .col(ColumnDef::new("phone_masked").string().null())
                    .col(ColumnDef::new("address").text().not_null())
                    .col(ColumnDef::new("region_code").string().not_null())
                    .col(ColumnDef::new("representative").boolean().not_null())
                    .primary_key(Index::create().col("petition_id").col("position"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("intake_petitioner", "petition_id")
                            .to("intake_petition", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "intake_petitioner",
            "intake_petitioner_id_hash",
            &["id_number_hash"],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("intake_case_sequence")
                    .col(ColumnDef::new("year").integer().not_null().primary_key())
                    .col(ColumnDef::new("last_number").big_integer().not_null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("intake_audit")
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
                    .col(ColumnDef::new("petition_id").string_len(36).not_null())
                    .col(ColumnDef::new("detail").text().not_null())
                    .to_owned(),
            )
            .await?;

        create_outbox(manager, "intake").await
    }
}
