//! What can go wrong on the write path, and which of it is worth trying again.

use sea_orm::{DbErr, RuntimeErr};
use xinfang_domain::{Reason, Refusal};

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The domain refused the command: permanent for this command.
    #[error("{0}")]
    Refused(#[from] Refusal),
    /// Another writer changed the aggregate first (its version moved, or the database chose
    /// this transaction as a deadlock or serialisation victim).
    #[error("the aggregate changed while the command was decided")]
    Conflict,
    #[error("database: {0}")]
    Database(DbErr),
}

impl From<DbErr> for WriteError {
    fn from(err: DbErr) -> Self {
        if is_contention(&err) {
            WriteError::Conflict
        } else {
            WriteError::Database(err)
        }
    }
}

impl WriteError {
    /// The refusal a caller sees once retries are spent (a conflict that kept recurring).
    pub fn into_refusal(self) -> Result<Refusal, DbErr> {
        match self {
            WriteError::Refused(refusal) => Ok(refusal),
            WriteError::Conflict => Ok(Refusal::new(
                Reason::ConcurrentChange,
                "the item kept changing while this step was decided; try again",
            )),
            WriteError::Database(err) => Err(err),
        }
    }
}

/// Errors that only mean another transaction got there first: PostgreSQL's serialisation
/// failure (40001) and deadlock victim (40P01), SQLite's busy and locked (5, 6, 517).
fn is_contention(err: &DbErr) -> bool {
    let runtime = match err {
        DbErr::Exec(e) | DbErr::Query(e) | DbErr::Conn(e) => e,
        _ => return false,
    };
    let RuntimeErr::SqlxError(sqlx) = runtime else {
        return false;
    };
    let Some(database) = sqlx.as_database_error() else {
        return false;
    };
    matches!(
        database.code().as_deref(),
        Some("40001" | "40P01" | "5" | "6" | "517")
    )
}

/// A consumer's view of a write that failed: a refusal can never apply (park the event), the rest
/// is worth another try.
impl From<WriteError> for xinfang_events::consumer::HandlerError {
    fn from(err: WriteError) -> Self {
        use xinfang_events::consumer::HandlerError;
        match err {
            WriteError::Refused(refusal) => {
                HandlerError::Permanent(format!("{}: {}", refusal.reason, refusal.message))
            }
            WriteError::Conflict => HandlerError::Transient(anyhow::anyhow!(
                "a concurrent change won; the event is applied again"
            )),
            WriteError::Database(err) => HandlerError::from(err),
        }
    }
}
