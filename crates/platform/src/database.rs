//! The database connection: PostgreSQL in production, SQLite (one file, WAL) for the embedded
//! default. Which one is only the URL's business.

use crate::config::DatabaseSettings;
use sea_orm::{ConnectOptions, Database, DatabaseBackend, DatabaseConnection, DbErr};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// How long a pooled connection may lie idle before it is checked on its way out.
const IDLE_BEFORE_PING_SECS: u64 = 10;

pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    Database::connect(options(settings)?).await
}

/// Connections for a service's outbox relay, beside its own pool: its transactions (held while
/// the broker acknowledges) take none of the service's connections, and on PostgreSQL they
/// commit without waiting for the disk (`synchronous_commit = off`). What they write — rows
/// marked sent, the relay's lease — may be lost in a crash of the database, never an event: a
/// row whose mark was lost is published again and consumers' inboxes drop the copy. Registrations
/// waited behind the relay's flush of the write-ahead log at every commit (issue #9).
pub async fn connect_relay(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    let mut options = options(settings)?;
    options
        .max_connections(RELAY_CONNECTIONS)
        .map_sqlx_postgres_opts(|o| o.options([("synchronous_commit", "off")]));
    Database::connect(options).await
}

/// The relay's pool: one batch at a time, and a look beside it.
const RELAY_CONNECTIONS: u32 = 2;

fn options(settings: &DatabaseSettings) -> Result<ConnectOptions, DbErr> {
    let url = &settings.url;
    if let Some(path) = url.strip_prefix("sqlite://") {
        let file = path.split('?').next().unwrap_or_default();
        if let Some(dir) = std::path::Path::new(file)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                DbErr::Custom(format!(
                    "database.url: cannot create {}: {e}",
                    dir.display()
                ))
            })?;
        }
    }
    let mut options = ConnectOptions::new(url.clone());
    options
        .max_connections(settings.max_connections)
        .connect_timeout(Duration::from_secs(10))
        // A connection is pinged only when it lay idle long enough to have been dropped (a
        // restarted database, a proxy's timeout): the default pinged on every checkout, a
        // round trip more for each query and transaction (issue #9).
        .test_before_acquire_if_idle_for(Duration::from_secs(IDLE_BEFORE_PING_SECS))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    Ok(options)
}

/// This process's turn to write to a SQLite database, where one transaction writes at a time.
/// Waiting for the lock inside SQLite means sleeping in its busy handler, in naps of up to
/// 100 ms however soon the writer before finishes (registrations at c=8 on the embedded node:
/// p99 180 ms); writers of this process queue here instead, in order, each woken as the one
/// before it lets go (p99 19 ms). The busy handler remains for other processes. One turn per
/// database file; `None` on PostgreSQL, where writers do not exclude each other.
///
/// Hold it for one transaction and take no other turn meanwhile: a writer waiting for a second
/// transaction while it holds one would wait for ever (on SQLite it could not have both anyway).
pub async fn write_turn(db: &DatabaseConnection) -> Option<OwnedMutexGuard<()>> {
    static TURNS: OnceLock<std::sync::Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>> = OnceLock::new();
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        return None;
    }
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_owned();
    let turn = TURNS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .entry(file)
        .or_default()
        .clone();
    Some(turn.lock_owned().await)
}
