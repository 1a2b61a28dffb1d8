//! The joint reception roster (联合接访, 一局一周): one row per office and year.

use crate::schema::version;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("jointmeeting_roster")
                    // `<office>:<year>`
                    .col(ColumnDef::new("id").string().not_null().primary_key())
                    .col(ColumnDef::new("state").text().not_null())
                    .col(version())
                    .to_owned(),
            )
            .await
    }
}
