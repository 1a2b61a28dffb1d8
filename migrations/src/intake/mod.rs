//! Intake's tables (受理登记): petitions, petitioners, case numbers, audit log, outbox.

mod m20261127_000001_create_intake;

use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20261127_000001_create_intake::Migration)]
    }

    fn migration_table_name() -> DynIden {
        Alias::new("intake_migrations").into_iden()
    }
}
