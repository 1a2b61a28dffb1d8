//! What the province sends down for the reference data — the holiday calendars and the organisation — kept so that a
//! restart works with it (`xinfang_store::reference_updates`).

use crate::schema::{create_calendar_updates, create_organisation_updates};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_calendar_updates(manager, "supervision").await?;
        create_organisation_updates(manager, "supervision").await?;
        Ok(())
    }
}
