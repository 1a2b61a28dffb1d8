//! The audit log chained per aggregate and append-only (issue #8).

use crate::event_tables::chain_audit;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        chain_audit(manager, "intake").await
    }
}
