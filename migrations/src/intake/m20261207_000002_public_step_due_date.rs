//! A public step keeps the day the next step is due by, as it told the petitioner (the expected
//! date of the portal and of Open311).

use crate::schema::add_column;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            "intake_public_step",
            ColumnDef::new("due_date").string().null().to_owned(),
        )
        .await
    }
}
