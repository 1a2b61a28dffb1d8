//! The exchange service's tables (数据交换): a node's numbered upward records and its link to the
//! hub; the hub's stored records and acknowledgements per node; the downward queue (the hub's
//! per node, the node's record of what it applied); the hub's record of cross-city transfers;
//! the event plumbing. One schema serves both roles (a deployment runs one of them).

mod m20261129_000001_create_exchange;
mod m20261204_000001_downward;
mod m20261204_000002_code_mappings;
mod m20261206_000001_transfers;
mod m20261207_000001_reference_updates;

use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_create_exchange::Migration),
            Box::new(m20261204_000001_downward::Migration),
            Box::new(m20261204_000002_code_mappings::Migration),
            Box::new(m20261206_000001_transfers::Migration),
            Box::new(m20261207_000001_reference_updates::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        Alias::new("exchange_migrations").into_iden()
    }
}
