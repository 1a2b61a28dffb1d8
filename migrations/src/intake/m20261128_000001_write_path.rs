//! The write path: the petition's version and the organ it is routed to, the audit log in the shape every service shares, the
//! outbox numbered by aggregate version, parked events, and the counts of the citizen's calls.

use crate::event_tables::{create_parked, create_rate_limit, upgrade_outbox};
use crate::schema::{add_column, version};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(manager, "intake_petition", version()).await?;
        // The organ the item is routed to: a department sees what is routed to it.
        add_column(
            manager,
            "intake_petition",
            ColumnDef::new("organ_code").string().null().to_owned(),
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("intake_audit")
                    .rename_column("petition_id", "aggregate")
                    .to_owned(),
            )
            .await?;
        add_column(manager, "intake_audit", version()).await?;
        let db = manager.get_connection();
        // `petition/<id>` is longer than the id column was (SQLite does not hold text to a length).
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared("ALTER TABLE intake_audit ALTER COLUMN aggregate TYPE VARCHAR")
                .await?;
        }
        db.execute_unprepared("UPDATE intake_audit SET aggregate = 'petition/' || aggregate")
            .await?;
        upgrade_outbox(manager, "intake").await?;
        create_rate_limit(manager, "intake").await?;
        create_parked(manager, "intake").await
    }
}
