//! The write path: versions of the watched item, the order and the backlog entry; whether the
//! item's clock is paused, and when it was registered (to notice one that never got its case);
//! the audit log; the outbox numbered by aggregate version; parked
//! events.

use crate::event_tables::{create_audit, create_parked, upgrade_outbox};
use crate::schema::{add_column, version};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(manager, "supervision_item", version()).await?;
        add_column(
            manager,
            "supervision_item",
            ColumnDef::new("paused")
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            "supervision_item",
            ColumnDef::new("registered_at")
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        )
        .await?;
        add_column(manager, "supervision_order", version()).await?;
        add_column(manager, "supervision_backlog_item", version()).await?;
        create_audit(manager, "supervision").await?;
        upgrade_outbox(manager, "supervision").await?;
        create_parked(manager, "supervision").await
    }
}
