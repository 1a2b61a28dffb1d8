//! Dispatch's tables (转送交办, 受理, 办理): cases, their steps, inbox, outbox, the holiday
//! calendars the province sent down.

mod m20261127_000001_create_dispatch;
mod m20261128_000001_write_path;
mod m20261129_000001_audit_chain;
mod m20261129_000002_audit_heads;
mod m20261204_000001_calendar_updates;
mod m20261207_000001_reference_updates;

use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_create_dispatch::Migration),
            Box::new(m20261128_000001_write_path::Migration),
            Box::new(m20261129_000001_audit_chain::Migration),
            Box::new(m20261129_000002_audit_heads::Migration),
            Box::new(m20261204_000001_calendar_updates::Migration),
            Box::new(m20261207_000001_reference_updates::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        Alias::new("dispatch_migrations").into_iden()
    }
}
