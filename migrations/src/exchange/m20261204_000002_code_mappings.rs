//! The code tables the province sent down (代码映射), laid over the node's own mapping.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("exchange_code_mapping")
                    // channel, content_category, region, organ, action
                    .col(ColumnDef::new("table_name").string_len(32).not_null())
                    .col(ColumnDef::new("local").string_len(64).not_null())
                    .col(ColumnDef::new("province").string_len(64).not_null())
                    .col(ColumnDef::new("version").string_len(64).not_null())
                    .primary_key(Index::create().col("table_name").col("local"))
                    .to_owned(),
            )
            .await
    }
}
