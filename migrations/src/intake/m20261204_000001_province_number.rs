//! An item the province assigned (省交办) keeps its provincial number.

use crate::schema::add_column;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            "intake_petition",
            ColumnDef::new("province_number")
                .string()
                .not_null()
                .default("")
                .to_owned(),
        )
        .await
    }
}
