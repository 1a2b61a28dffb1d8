//! Supervision's tables (督查督办): watched items with their metric facts, supervision orders,
//! backlog lists and leader packages, screening reports, the annual report's tally, inbox, outbox.

mod m20261127_000001_create_supervision;
mod m20261128_000001_write_path;
mod m20261129_000001_audit_chain;
mod m20261129_000002_audit_heads;
mod m20261129_000003_screening;
mod m20261129_000004_tally;
mod m20261207_000001_reference_updates;

use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_create_supervision::Migration),
            Box::new(m20261128_000001_write_path::Migration),
            Box::new(m20261129_000001_audit_chain::Migration),
            Box::new(m20261129_000002_audit_heads::Migration),
            Box::new(m20261129_000003_screening::Migration),
            Box::new(m20261129_000004_tally::Migration),
            Box::new(m20261207_000001_reference_updates::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        Alias::new("supervision_migrations").into_iden()
    }
}
