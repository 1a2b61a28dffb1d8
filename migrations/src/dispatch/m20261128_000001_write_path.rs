//! The write path: the case's version, its running pause and whether its deadline is
//! provisional (暂定); the audit log; the outbox numbered by aggregate version; parked events.

use crate::event_tables::{create_audit, create_parked, upgrade_outbox};
use crate::schema::{add_column, create_index, version};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let case = "dispatch_case";
        add_column(manager, case, version()).await?;
        add_column(
            manager,
            case,
            ColumnDef::new("pause_kind").string().null().to_owned(),
        )
        .await?;
        add_column(
            manager,
            case,
            ColumnDef::new("pause_reason").text().null().to_owned(),
        )
        .await?;
        add_column(
            manager,
            case,
            ColumnDef::new("pause_start")
                .string_len(10)
                .null()
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            case,
            ColumnDef::new("provisional")
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
        )
        .await?;
        create_index(manager, case, "dispatch_case_provisional", &["provisional"]).await?;
        create_audit(manager, "dispatch").await?;
        upgrade_outbox(manager, "dispatch").await?;
        create_parked(manager, "dispatch").await
    }
}
