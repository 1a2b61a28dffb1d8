//! Cross-city transfers (转有权处理地) at the hub: which node sent an item under its provincial
//! number to which, so that the receiving node's steps go back to the sender.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("exchange_hub_transfer")
                    .col(ColumnDef::new("province_number").string().not_null())
                    .col(ColumnDef::new("to_node").string_len(12).not_null())
                    .col(ColumnDef::new("from_node").string_len(12).not_null())
                    // The item's local number at the sending node.
                    .col(ColumnDef::new("from_local").string().not_null())
                    .col(
                        ColumnDef::new("created_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(Index::create().col("province_number").col("to_node"))
                    .to_owned(),
            )
            .await
    }
}
