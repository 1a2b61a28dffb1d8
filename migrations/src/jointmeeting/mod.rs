//! The joint meeting service's tables (联席会议): meetings, the items it knows from intake, the
//! reception rosters (一局一周), the leader reception days (领导接访), and the event plumbing.

mod m20261129_000001_create_jointmeeting;
mod m20261129_000002_roster;
mod m20261129_000003_reception;
mod m20261207_000001_reference_updates;

use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_create_jointmeeting::Migration),
            Box::new(m20261129_000002_roster::Migration),
            Box::new(m20261129_000003_reception::Migration),
            Box::new(m20261207_000001_reference_updates::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        Alias::new("jointmeeting_migrations").into_iden()
    }
}
