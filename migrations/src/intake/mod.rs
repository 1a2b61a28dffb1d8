//! Intake's tables (受理登记): petitions, petitioners, case numbers, audit log, outbox.

mod m20261127_000001_create_intake;
mod m20261127_000002_public_steps;
mod m20261128_000001_write_path;
mod m20261129_000001_pii_key_ids;
mod m20261129_000002_audit_chain;
mod m20261129_000003_audit_heads;
mod m20261204_000001_province_number;
mod m20261207_000001_reference_updates;
mod m20261207_000002_public_step_due_date;

use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_create_intake::Migration),
            Box::new(m20261127_000002_public_steps::Migration),
            Box::new(m20261128_000001_write_path::Migration),
            Box::new(m20261129_000001_pii_key_ids::Migration),
            Box::new(m20261129_000002_audit_chain::Migration),
            Box::new(m20261129_000003_audit_heads::Migration),
            Box::new(m20261204_000001_province_number::Migration),
            Box::new(m20261207_000001_reference_updates::Migration),
            Box::new(m20261207_000002_public_step_due_date::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        Alias::new("intake_migrations").into_iden()
    }
}
