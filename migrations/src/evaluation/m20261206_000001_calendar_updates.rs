//! What the province sends down for the reference data — the holiday calendars (节假日安排更新)
//! and the organisation (组织机构) — kept so that a restart counts evaluation windows and review
//! deadlines with them (`xinfang_store::reference_updates`).

use crate::schema::{create_calendar_updates, create_organisation_updates};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_calendar_updates(manager, "evaluation").await?;
        create_organisation_updates(manager, "evaluation").await
    }
}
