//! Schema migrations. Every service owns its tables and has its own Migrator with its own
//! history table, so each can be migrated (in Kubernetes: by a Job before the rollout) on its own
//! database or schema; the embedded default runs them all on one SQLite file. The same
//! migrations run on PostgreSQL and SQLite.

pub mod dispatch;
pub mod evaluation;
mod event_tables;
pub mod exchange;
pub mod intake;
pub mod jointmeeting;
mod schema;
pub mod supervision;

pub use event_tables::{create_inbox, create_outbox};
pub use sea_orm_migration::MigratorTrait;

use sea_orm_migration::sea_orm::{DatabaseConnection, DbErr};

/// The services with tables, in the order `xinfang migrate` applies them.
pub const SERVICES: &[&str] = &[
    "intake",
    "dispatch",
    "supervision",
    "evaluation",
    "jointmeeting",
    "exchange",
];

/// Applies every pending migration of one service.
pub async fn migrate_service(db: &DatabaseConnection, service: &str) -> Result<(), DbErr> {
    match service {
        "intake" => intake::Migrator::up(db, None).await,
        "dispatch" => dispatch::Migrator::up(db, None).await,
        "supervision" => supervision::Migrator::up(db, None).await,
        "evaluation" => evaluation::Migrator::up(db, None).await,
        "jointmeeting" => jointmeeting::Migrator::up(db, None).await,
        "exchange" => exchange::Migrator::up(db, None).await,
        other => Err(DbErr::Custom(format!(
            "no migrations for service {other:?}"
        ))),
    }
}

/// Applies every service's pending migrations (the embedded default, tests).
pub async fn migrate_all(db: &DatabaseConnection) -> Result<(), DbErr> {
    for service in SERVICES {
        migrate_service(db, service).await?;
    }
    Ok(())
}
