//! The holiday calendars the province sent down (节假日安排更新), kept so that a restart counts
//! evaluation windows and review deadlines with them.

use crate::schema::create_calendar_updates;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_calendar_updates(manager, "evaluation").await
    }
}
