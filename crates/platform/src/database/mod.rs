//! The database connection: PostgreSQL in production, SQLite (one file, WAL) for the embedded
//! default. Which one is only the URL's business.

mod group_commit;

use crate::config::DatabaseSettings;
use sea_orm::{
    ConnectOptions, Database, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr,
    RuntimeErr, Statement, Values,
};
use sea_query_sqlx::SqlxValues;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// How long a pooled connection may lie idle before it is checked on its way out.
const IDLE_BEFORE_PING_SECS: u64 = 10;

pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    let db = Database::connect(options(settings)?).await?;
    // A writer kept from an earlier connection to a file of this name may be to a file since
    // removed: the next write turn opens one to the file connected now.
    if let Some(file) = sqlite_file(&db) {
        file.writer().take();
    }
    Ok(db)
}

/// Closes `db` and, on SQLite, the process's writer connection to its file: the last connection
/// to close moves the log into the database file, which then alone holds every commit (a copy of
/// it is whole).
pub async fn close(db: DatabaseConnection) -> Result<(), DbErr> {
    let writer = sqlite_file(&db).and_then(|file| file.writer().take());
    if let Some(writer) = writer {
        writer.close().await?;
    }
    db.close().await
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
            // A commit appends to the log; `flush` then makes it durable, one sync for all the
            // commits waiting.
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    Ok(options)
}

/// This process's turn to write to a SQLite database, where one transaction writes at a time,
/// and the one connection it writes with ([`WriteTurn::connection`]). Waiting for the lock
/// inside SQLite means sleeping in its busy handler, in naps of up to 100 ms however soon the
/// writer before finishes (registrations at c=8 on the embedded node: p99 180 ms); writers of
/// this process queue here instead, in order, each woken as the one before it lets go (p99
/// 19 ms). The busy handler remains for other processes. One turn per database file; `None` on
/// PostgreSQL, where writers do not exclude each other.
///
/// Hold it for one transaction and take no other turn meanwhile: a writer waiting for a second
/// transaction while it holds one would wait for ever (on SQLite it could not have both anyway).
/// Let it go before [`flush`]: the sync is what the others need not wait for.
pub async fn write_turn(db: &DatabaseConnection) -> Result<Option<WriteTurn>, DbErr> {
    let Some(file) = sqlite_file(db) else {
        return Ok(None);
    };
    let turn = file.turn.clone().lock_owned().await;
    let kept = file.writer().clone();
    let writer = match kept {
        Some(writer) => writer,
        None => {
            let writer = connect_writer(db).await?;
            *file.writer() = Some(writer.clone());
            writer
        }
    };
    Ok(Some(WriteTurn {
        writer,
        _turn: turn,
    }))
}

/// A writer's turn on a SQLite file ([`write_turn`]).
pub struct WriteTurn {
    writer: DatabaseConnection,
    _turn: OwnedMutexGuard<()>,
}

impl WriteTurn {
    /// The process's one connection for writing to the file (a pool of one, kept open): its
    /// pages stay in its cache from one write to the next. SQLite drops a connection's whole
    /// cache when it finds the file written by another connection since it last looked, and a
    /// pool hands each writer whichever connection is free: every write began by reading its
    /// pages again (77 read calls a registration on the embedded node, 21 with one writer).
    pub fn connection(&self) -> &DatabaseConnection {
        &self.writer
    }
}

/// The connection to write with under `turn`: the turn's on SQLite, `db` on PostgreSQL.
pub fn write_connection<'a>(
    turn: &'a Option<WriteTurn>,
    db: &'a DatabaseConnection,
) -> &'a DatabaseConnection {
    turn.as_ref().map_or(db, WriteTurn::connection)
}

/// A pool of one connection with `db`'s options, opened now and kept: never closed for idling
/// or age, and not checked when taken (the file is local; sqlx still checks it on its way back,
/// which no setting turns off).
async fn connect_writer(db: &DatabaseConnection) -> Result<DatabaseConnection, DbErr> {
    let options = (*db.get_sqlite_connection_pool().connect_options()).clone();
    let pool = sea_orm::sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .map_err(|err| DbErr::Conn(RuntimeErr::SqlxError(err.into())))?;
    Ok(sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

/// Returns once every commit this process made to `db` before the call is on the disk. On
/// SQLite, whose connections commit without syncing (see [`group_commit`]), every writer
/// calls it after its commit — and after letting its write turn go — before it answers or acts
/// on what it wrote. On PostgreSQL a commit is durable when it returns: nothing to do.
pub async fn flush(db: &DatabaseConnection) -> Result<(), DbErr> {
    let Some(file) = sqlite_file(db) else {
        return Ok(());
    };
    file.log
        .flush()
        .await
        .map_err(|err| DbErr::Custom(format!("syncing the database's log to the disk: {err}")))
}

/// Commits `txn`, begun on `db`, and returns once the commit is durable ([`flush`]).
pub async fn commit(db: &DatabaseConnection, txn: DatabaseTransaction) -> Result<(), DbErr> {
    txn.commit().await?;
    flush(db).await
}

/// `first` and the `rest` as one SQLite script, run in order, their values bound in order
/// across them (sqlx binds a script's arguments by position). sqlx runs each SQLite connection
/// on a thread of its own, and every statement sent there is a hand-off between threads and
/// back: a script is one. Not for PostgreSQL, which takes one statement with values at a time.
pub fn script(first: Statement, rest: impl IntoIterator<Item = Statement>) -> Statement {
    let mut script = first;
    for statement in rest {
        script.sql.push_str("; ");
        script.sql.push_str(&statement.sql);
        if let Some(Values(values)) = statement.values {
            script
                .values
                .get_or_insert_with(|| Values(Vec::new()))
                .0
                .extend(values);
        }
    }
    script
}

/// Runs `script` (SQLite, [`script`]) as a transaction of its own in one hand-off to a
/// connection's thread — `BEGIN IMMEDIATE; …; COMMIT` — instead of one hand-off each to begin,
/// write and commit. Should a statement of it fail, what it wrote is rolled back on the same
/// connection before the connection goes back to the pool; a connection whose rollback fails is
/// closed instead (closing a SQLite connection rolls back what it left open). It runs on a task
/// of its own: a caller dropped half-way (a client gone) must not leave a connection in the pool
/// inside a transaction that holds the database's write lock.
pub async fn run_as_transaction(db: &DatabaseConnection, script: Statement) -> Result<(), DbErr> {
    use sea_orm::sqlx::{self, AssertSqlSafe};
    let pool = db.get_sqlite_connection_pool().clone();
    let running = tokio::spawn(async move {
        let mut conn = pool
            .acquire()
            .await
            .map_err(|err| DbErr::Conn(RuntimeErr::SqlxError(err.into())))?;
        let sql = format!("BEGIN IMMEDIATE; {}; COMMIT", script.sql);
        let values = SqlxValues(script.values.unwrap_or(Values(Vec::new())));
        let ran = sqlx::query_with(AssertSqlSafe(sql), values)
            .execute(&mut *conn)
            .await;
        if ran.is_err()
            && sqlx::raw_sql(AssertSqlSafe("ROLLBACK"))
                .execute(&mut *conn)
                .await
                .is_err()
        {
            conn.close_on_drop();
        }
        ran.map(drop)
            .map_err(|err| DbErr::Exec(RuntimeErr::SqlxError(err.into())))
    });
    running
        .await
        .map_err(|err| DbErr::Custom(format!("a write's task ended early: {err}")))?
}

/// What this process keeps for one SQLite database file.
struct SqliteFile {
    turn: Arc<Mutex<()>>,
    /// Opened by the first write turn that needs it ([`WriteTurn::connection`]).
    writer: std::sync::Mutex<Option<DatabaseConnection>>,
    log: group_commit::WalFlush,
}

impl SqliteFile {
    fn writer(&self) -> std::sync::MutexGuard<'_, Option<DatabaseConnection>> {
        self.writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn sqlite_file(db: &DatabaseConnection) -> Option<Arc<SqliteFile>> {
    static FILES: OnceLock<std::sync::Mutex<HashMap<PathBuf, Arc<SqliteFile>>>> = OnceLock::new();
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        return None;
    }
    let options = db.get_sqlite_connection_pool().connect_options();
    let name = options.get_filename();
    let mut files = FILES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // Every write asks twice (its turn, its flush): the name is copied only the first time.
    if let Some(file) = files.get(name) {
        return Some(file.clone());
    }
    let file = Arc::new(SqliteFile {
        turn: Arc::default(),
        writer: std::sync::Mutex::default(),
        log: group_commit::WalFlush::new(name),
    });
    files.insert(name.to_owned(), file.clone());
    Some(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::ConnectionTrait;

    async fn count(db: &DatabaseConnection) -> i64 {
        let row = db
            .query_one_raw(Statement::from_string(
                DatabaseBackend::Sqlite,
                "SELECT count(*) AS n FROM note",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get("", "n").unwrap()
    }

    fn insert(key: i64) -> Statement {
        Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            "INSERT INTO note (key) VALUES (?)",
            [key.into()],
        )
    }

    /// A script that fails half-way leaves nothing of it, and the one connection it ran on goes
    /// on serving: it came back without the transaction the script began.
    #[tokio::test]
    async fn a_script_run_as_a_transaction_is_all_or_nothing_and_leaves_its_connection_clean() {
        let (file, db) = note_database(1).await;

        let twice = script(insert(1), [insert(2), insert(1)]);
        let err = run_as_transaction(&db, twice).await.unwrap_err();
        assert!(err.to_string().contains("UNIQUE"), "{err}");
        assert_eq!(count(&db).await, 0, "nothing of the failed script stays");

        // A caller dropped while its script runs (a client gone): the script still ends, rolled
        // back, before its connection serves the next.
        let counting = Statement::from_string(
            DatabaseBackend::Sqlite,
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) \
             SELECT count(*) FROM n",
        );
        let slow = script(insert(1), [counting, insert(1)]);
        let gone = Duration::from_millis(20);
        let dropped = tokio::time::timeout(gone, run_as_transaction(&db, slow)).await;
        assert!(
            dropped.is_err(),
            "the caller gave up before the script ended"
        );

        run_as_transaction(&db, script(insert(1), [insert(2)]))
            .await
            .expect("the next script begins its own transaction");
        assert_eq!(count(&db).await, 2);
        close(db).await.unwrap();
        remove(&file);
    }

    /// Every write turn writes on the same connection, one the pool does not hand out (a
    /// temporary table is a connection's own), and once the database is closed its file alone
    /// holds what was written: a copy of it, without the log beside it, has every row.
    #[tokio::test]
    async fn writers_take_turns_on_one_connection_and_a_closed_database_file_holds_every_write() {
        let (file, db) = note_database(4).await;
        let first = write_turn(&db).await.unwrap().expect("SQLite takes turns");
        first
            .connection()
            .execute_unprepared("CREATE TEMP TABLE mine (x)")
            .await
            .unwrap();
        drop(first);
        assert!(
            db.execute_unprepared("INSERT INTO temp.mine VALUES (1)")
                .await
                .is_err(),
            "the pool's connections are not the writer's"
        );
        for key in 1..=3 {
            let turn = write_turn(&db).await.unwrap().unwrap();
            let writer = turn.connection();
            writer
                .execute_unprepared("INSERT INTO temp.mine VALUES (1)")
                .await
                .expect("the connection of the turn before");
            run_as_transaction(writer, insert(key)).await.unwrap();
        }
        assert_eq!(count(&db).await, 3, "the pool reads what the writer wrote");

        close(db).await.unwrap();
        let copy = file.with_extension("copy.db");
        std::fs::copy(&file, &copy).unwrap();
        let reopened = connect(&DatabaseSettings {
            url: format!("sqlite://{}?mode=rw", copy.display()),
            max_connections: 1,
        })
        .await
        .unwrap();
        assert_eq!(count(&reopened).await, 3);
        close(reopened).await.unwrap();
        remove(&file);
        remove(&copy);
    }

    /// A fresh database file with one table, `note`.
    async fn note_database(max_connections: u32) -> (PathBuf, DatabaseConnection) {
        let file = std::env::temp_dir().join(format!(
            "xinfang-database-{}-{}.db",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ));
        let db = connect(&DatabaseSettings {
            url: format!("sqlite://{}?mode=rwc", file.display()),
            max_connections,
        })
        .await
        .unwrap();
        db.execute_unprepared("CREATE TABLE note (key INTEGER PRIMARY KEY)")
            .await
            .unwrap();
        (file, db)
    }

    fn remove(file: &std::path::Path) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
    }
}
