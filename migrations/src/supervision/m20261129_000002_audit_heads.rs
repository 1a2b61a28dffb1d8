//! The audit chain's head found through an index (issue #9: a scan of the whole log per write).

use crate::event_tables::index_audit_heads;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        index_audit_heads(manager, "supervision").await
    }
}
