//! Evaluation's tables (满意度评价, 回访, 复查, 复核, 听证, 终结): the item after its answer, the
//! one-time evaluation tokens, the SMS waiting to be sent, the holiday calendars and the
//! organisation the province sent down, and the event plumbing.

mod m20261129_000001_create_evaluation;
mod m20261206_000001_calendar_updates;

use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_create_evaluation::Migration),
            Box::new(m20261206_000001_calendar_updates::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        Alias::new("evaluation_migrations").into_iden()
    }
}
