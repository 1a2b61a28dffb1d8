use crate::event_tables::{create_inbox, create_outbox};
use crate::schema::create_index as index;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Dates are stored as `YYYY-MM-DD` text: ordered, portable between PostgreSQL and SQLite.
fn date(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).string_len(10).null().to_owned()
}

fn flag(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .boolean()
        .not_null()
        .default(false)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("supervision_item")
                    .col(
                        ColumnDef::new("petition_id")
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("case_number").string().not_null())
                    .col(ColumnDef::new("region_code").string().not_null())
                    .col(ColumnDef::new("registering_unit").string().not_null())
                    .col(ColumnDef::new("channel_code").string().not_null())
                    .col(ColumnDef::new("organ_code").string().null())
                    .col(ColumnDef::new("state").string().not_null())
                    .col(flag("online"))
                    .col(flag("visit"))
                    .col(flag("repeat"))
                    .col(flag("bypass"))
                    .col(flag("first_time"))
                    .col(date("petitioned_on"))
                    .col(date("registered_on"))
                    .col(date("exchanged_on"))
                    // The clock being watched.
                    .col(ColumnDef::new("limit_name").string().null())
                    .col(date("due_date"))
                    .col(ColumnDef::new("deadline").text().null())
                    .col(date("warned_due"))
                    .col(date("overdue_due"))
                    .col(date("next_check"))
                    // Metric facts.
                    .col(date("acceptance_due"))
                    .col(date("accepted_on"))
                    .col(flag("accepted_in_time"))
                    .col(flag("acceptance_overdue"))
                    .col(date("answer_due"))
                    .col(date("answered_on"))
                    .col(flag("answered_on_time"))
                    .col(flag("answer_overdue"))
                    .col(date("evaluation_due"))
                    .col(flag("evaluated"))
                    .col(flag("satisfied"))
                    .col(flag("evaluation_missed"))
                    .col(flag("repeated_later"))
                    .to_owned(),
            )
            .await?;
        let item = "supervision_item";
        index(
            manager,
            item,
            "supervision_item_next_check",
            &["next_check"],
        )
        .await?;
        index(
            manager,
            item,
            "supervision_item_due_region",
            &["due_date", "region_code"],
        )
        .await?;
        index(
            manager,
            item,
            "supervision_item_region_registered",
            &["region_code", "registered_on"],
        )
        .await?;
        index(
            manager,
            item,
            "supervision_item_region_petitioned",
            &["region_code", "petitioned_on"],
        )
        .await?;
        index(
            manager,
            item,
            "supervision_item_organ_due",
            &["organ_code", "due_date"],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("supervision_order")
                    .col(ColumnDef::new("id").string_len(36).not_null().primary_key())
                    .col(ColumnDef::new("petition_id").string_len(36).not_null())
                    .col(ColumnDef::new("organ_code").string().not_null())
                    .col(ColumnDef::new("region_code").string().not_null())
                    .col(ColumnDef::new("limit_name").string().not_null())
                    .col(ColumnDef::new("due_date").string_len(10).not_null())
                    .col(ColumnDef::new("reason").text().not_null())
                    .col(ColumnDef::new("reply_due").string_len(10).not_null())
                    .col(ColumnDef::new("issued_on").string_len(10).not_null())
                    .col(
                        ColumnDef::new("issued_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new("replied_at")
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new("complied").boolean().null())
                    .col(ColumnDef::new("reply_text").text().null())
                    .col(flag("late"))
                    .col(ColumnDef::new("escalated_to").string().null())
                    .col(date("next_check"))
                    .to_owned(),
            )
            .await?;
        // One order per item, limit and due date: a restart cannot issue it twice.
        manager
            .create_index(
                Index::create()
                    .name("supervision_order_once")
                    .table("supervision_order")
                    .col("petition_id")
                    .col("limit_name")
                    .col("due_date")
                    .unique()
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "supervision_order",
            "supervision_order_next_check",
            &["next_check"],
        )
        .await?;
        index(
            manager,
            "supervision_order",
            "supervision_order_organ",
            &["organ_code"],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("supervision_backlog_list")
                    .col(ColumnDef::new("id").string_len(36).not_null().primary_key())
                    .col(ColumnDef::new("campaign").string().not_null())
                    .col(ColumnDef::new("rule").text().not_null())
                    .col(ColumnDef::new("owner_unit").string().not_null())
                    .col(
                        ColumnDef::new("created_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("supervision_backlog_item")
                    .col(ColumnDef::new("list_id").string_len(36).not_null())
                    .col(ColumnDef::new("petition_id").string_len(36).not_null())
                    .col(ColumnDef::new("leader_name").string().null())
                    .col(ColumnDef::new("leader_post").string().null())
                    .col(date("target_date"))
                    .col(flag("closed"))
                    .col(date("closed_on"))
                    .col(flag("resolved"))
                    .col(ColumnDef::new("certified_by").string().null())
                    .col(ColumnDef::new("evidence").text().null())
                    .col(date("certified_on"))
                    .primary_key(Index::create().col("list_id").col("petition_id"))
                    .to_owned(),
            )
            .await?;
        // The metrics' counts, kept up to date from each item's change: per metric part, date
        // basis, day and month, and group (region, organ, channel) with the item's region for
        // scope. A year is read from twelve month rows per group, not from the items.
        manager
            .create_table(
                Table::create()
                    .table("supervision_metric_count")
                    .col(ColumnDef::new("metric").string().not_null())
                    .col(ColumnDef::new("part").string_len(1).not_null())
                    .col(ColumnDef::new("basis").string().not_null())
                    .col(ColumnDef::new("grain").string_len(5).not_null())
                    .col(ColumnDef::new("bucket").string_len(10).not_null())
                    .col(ColumnDef::new("dimension").string().not_null())
                    .col(ColumnDef::new("grp").string().not_null())
                    .col(ColumnDef::new("region").string().not_null())
                    .col(ColumnDef::new("n").big_integer().not_null())
                    .primary_key(
                        Index::create()
                            .col("dimension")
                            .col("basis")
                            .col("grain")
                            .col("bucket")
                            .col("metric")
                            .col("part")
                            .col("grp")
                            .col("region"),
                    )
                    .to_owned(),
            )
            .await?;
        create_inbox(manager, "supervision").await?;
        create_outbox(manager, "supervision").await
    }
}
