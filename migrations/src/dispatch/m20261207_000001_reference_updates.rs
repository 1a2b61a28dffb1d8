//! What the province sends down for the reference data — the organisation — kept so that a
//! restart works with it (`xinfang_store::reference_updates`).

use crate::schema::create_organisation_updates;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_organisation_updates(manager, "dispatch").await?;
        Ok(())
    }
}
