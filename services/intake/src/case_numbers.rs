//! Case numbers (案件编号) `<node>-<year>-<n>`: unique per node and year. On PostgreSQL they are
//! handed out from blocks that each intake process reserves in a short transaction of its own,
//! so that a registration no longer waits for every other registration's commit on the year's
//! counter row (it did, and that row capped intake near 850/s whatever the cores). On the
//! embedded SQLite node each is drawn in its registration's transaction ([`CaseNumbers::draw`]).
//!
//! On PostgreSQL numbers are unique but not gap-free, and what a clerk is told about a gap: a
//! number is skipped when a registration is refused after it was drawn, or when an intake
//! process stops with part of its block unused (at most [`BLOCK`] − 1 numbers); with several
//! intake replicas, numbers increase within each replica, not across them. The count of
//! registrations is the count of items, never the last number.

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr};
use tokio::sync::Mutex;
use xinfang_store::Tx;

/// Numbers reserved at a time.
pub const BLOCK: i64 = 32;

pub struct CaseNumbers {
    db: DatabaseConnection,
    reserved: Mutex<Option<Block>>,
}

/// The numbers `next..end` of `year`, not yet handed out.
struct Block {
    year: i32,
    next: i64,
    end: i64,
}

impl CaseNumbers {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            reserved: Mutex::new(None),
        }
    }

    /// The next number of `year`, drawn before the registration's transaction begins: on
    /// PostgreSQL from this process's block (a new block in a short transaction of its own, so
    /// that registrations do not queue on the counter row and a registration's transaction never
    /// waits for a second connection). On SQLite (the embedded node: one process, one writer at
    /// a time) the number is drawn in the registration's own transaction, under the write lock
    /// it already holds: no gaps, and no second writer. A block reserved in a transaction of its
    /// own there waited for the lock while every registration waited for its number (at c=8,
    /// 312/s and a p99 of half a second).
    pub async fn draw(&self, year: i32) -> Result<Draw, DbErr> {
        if self.db.get_database_backend() == DatabaseBackend::Sqlite {
            return Ok(Draw::InTransaction { year });
        }
        let mut reserved = self.reserved.lock().await;
        if !matches!(&*reserved, Some(block) if block.year == year && block.next < block.end) {
            let last = reserve(&self.db, year, BLOCK).await?;
            *reserved = Some(Block {
                year,
                next: last - BLOCK + 1,
                end: last + 1,
            });
        }
        let block = reserved
            .as_mut()
            .expect("a block of this year with numbers left");
        let number = block.next;
        block.next += 1;
        Ok(Draw::Taken(number))
    }
}

/// A case number drawn, or to be drawn in the registration's transaction.
#[derive(Debug, Clone, Copy)]
pub enum Draw {
    Taken(i64),
    InTransaction { year: i32 },
}

impl Draw {
    /// The number, inside the registration's unit of work `tx` (which a number already taken
    /// leaves without a transaction of its own).
    pub async fn number(self, tx: &Tx) -> Result<i64, DbErr> {
        match self {
            Draw::Taken(number) => Ok(number),
            Draw::InTransaction { year } => reserve(tx.txn().await?, year, 1).await,
        }
    }
}

/// Moves the year's counter on by `count` and answers its new value, the last number reserved.
/// `INSERT … ON CONFLICT DO UPDATE … RETURNING`: atomic on PostgreSQL and SQLite alike.
async fn reserve(db: &impl ConnectionTrait, year: i32, count: i64) -> Result<i64, DbErr> {
    let upsert = Query::insert()
        .into_table("intake_case_sequence")
        .columns(["year", "last_number"])
        .values_panic([year.into(), count.into()])
        .on_conflict(
            OnConflict::column("year")
                .value(
                    "last_number",
                    Expr::col(("intake_case_sequence", "last_number")).add(count),
                )
                .to_owned(),
        )
        .returning_col("last_number")
        .to_owned();
    let row = db
        .query_one(&upsert)
        .await?
        .ok_or_else(|| DbErr::Custom("case sequence upsert returned no row".into()))?;
    row.try_get("", "last_number")
}
