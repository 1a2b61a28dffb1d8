//! The downward queue: the hub keeps per node what the province sends down (省交办, ...), served
//! by cursor; the node keeps what it pulled and what it made of each record.

use crate::schema::add_column;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn counter(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .default(0)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Hub: per node, the last cursor given and the highest the node acknowledged.
        add_column(manager, "exchange_hub_node", counter("last_down")).await?;
        add_column(manager, "exchange_hub_node", counter("pulled_through")).await?;
        manager
            .create_table(
                Table::create()
                    .table("exchange_hub_down")
                    .col(ColumnDef::new("node").string_len(12).not_null())
                    .col(ColumnDef::new("cursor").big_integer().not_null())
                    .col(ColumnDef::new("kind").string_len(16).not_null())
                    .col(ColumnDef::new("province_number").string().not_null())
                    .col(
                        ColumnDef::new("idempotency_key")
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    // The record as served, personal numbers sealed.
                    .col(ColumnDef::new("body").binary().not_null())
                    .col(
                        ColumnDef::new("created_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(Index::create().col("node").col("cursor"))
                    .to_owned(),
            )
            .await?;
        // Node: the cursor it applied through, and each record with its outcome.
        add_column(manager, "exchange_link", counter("pull_cursor")).await?;
        manager
            .create_table(
                Table::create()
                    .table("exchange_down_record")
                    .col(
                        ColumnDef::new("cursor")
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("kind").string_len(16).not_null())
                    .col(ColumnDef::new("province_number").string().not_null())
                    .col(ColumnDef::new("petition_id").string_len(36).not_null())
                    .col(ColumnDef::new("case_number").string().not_null())
                    // registered, refused
                    .col(ColumnDef::new("status").string_len(16).not_null())
                    .col(ColumnDef::new("reason").text().not_null())
                    .col(
                        ColumnDef::new("received_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
