//! Case numbers (案件编号) `<node>-<year>-<n>`: unique per node and year. On PostgreSQL they are
//! handed out from blocks that each intake process reserves in a short transaction of its own,
//! so that a registration no longer waits for every other registration's commit on the year's
//! counter row (it did, and that row capped intake near 850/s whatever the cores). On the
//! embedded SQLite node each is drawn under its registration's write turn and written with its
//! rows ([`CaseNumbers::draw`]), from the year's last number kept in memory between
//! registrations ([`CaseNumbers::number`]).
//!
//! On PostgreSQL numbers are unique but not gap-free, and what a clerk is told about a gap: a
//! number is skipped when a registration is refused after it was drawn (a clerk's request sent
//! again among them: its key is checked as its rows are written), or when an intake
//! process stops with part of its blocks unused (at most one and a half blocks, [`BLOCK`] +
//! [`BLOCK`] / 2 numbers: the next block is reserved while half of the current one is left);
//! with several intake replicas, numbers increase within each replica, not across them. The
//! count of registrations is the count of items, never the last number.

use sea_orm::sea_query::{Expr, ExprTrait, InsertStatement, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr};
use std::sync::Arc;
use xinfang_store::Tx;

const TABLE: &str = "intake_case_sequence";

/// Numbers reserved at a time.
pub const BLOCK: i64 = 32;

pub struct CaseNumbers {
    db: DatabaseConnection,
    /// PostgreSQL: this process's blocks.
    blocks: Arc<Blocks>,
    /// SQLite: the year's last number as committed, while no registration is drawing the next.
    last: Arc<std::sync::Mutex<Option<Last>>>,
}

/// A year's last number, committed.
#[derive(Debug, Clone, Copy)]
struct Last {
    year: i32,
    number: i64,
}

/// PostgreSQL: the block numbers are handed out from, and the one after it.
#[derive(Default)]
struct Blocks {
    held: std::sync::Mutex<Held>,
    /// Held while a block is reserved: one reservation at a time, so that blocks are used in
    /// the order they were reserved and numbers increase within the process.
    reserving: tokio::sync::Mutex<()>,
}

impl Blocks {
    fn held(&self) -> std::sync::MutexGuard<'_, Held> {
        lock(&self.held)
    }
}

#[derive(Default)]
struct Held {
    current: Option<Block>,
    /// Reserved while the current block still has half of its numbers left.
    next: Option<Block>,
    /// A reservation of the next block is on its way.
    reserving_next: bool,
}

impl Held {
    /// Numbers of `year` left in the current block.
    fn left(&self, year: i32) -> i64 {
        self.current
            .as_ref()
            .filter(|b| b.year == year)
            .map_or(0, |b| b.end - b.next)
    }
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
            blocks: Arc::default(),
            last: Arc::default(),
        }
    }

    /// The next number of `year`, drawn before the registration's transaction begins: on
    /// PostgreSQL from this process's block, so that registrations do not queue on the
    /// counter row and a registration's transaction never waits for a second connection. The
    /// next block is reserved in a short transaction of its own while half of the current one
    /// is left: a registration waits for a reservation only for the process's first block of a
    /// year, or when a reservation failed.
    /// (Reserved when the block ran out, every draw waited for it, 56 times a second at
    /// 1,800/s: issue #9.) On SQLite (the embedded node: one process, one writer at a time)
    /// the number is drawn under the registration's own write turn and written in its
    /// transaction: no gaps, and no second writer. A block reserved in a transaction of its
    /// own there waited for the lock while every registration waited for its number (at c=8,
    /// 312/s and a p99 of half a second).
    pub async fn draw(&self, year: i32) -> Result<Draw, DbErr> {
        if self.db.get_database_backend() == DatabaseBackend::Sqlite {
            return Ok(Draw::InTransaction { year });
        }
        if let Some(number) = self.take(year, None) {
            return Ok(Draw::Taken(number));
        }
        let _reserving = self.blocks.reserving.lock().await;
        // A reservation that ended while this draw waited may have left numbers.
        if let Some(number) = self.take(year, None) {
            return Ok(Draw::Taken(number));
        }
        let block = Block::reserve(&self.db, year).await?;
        let number = self.take(year, Some(block));
        number
            .map(Draw::Taken)
            .ok_or_else(|| DbErr::Custom("a block just reserved had no numbers".into()))
    }

    /// The next number of `year` from the blocks held (`reserved` first made the current one),
    /// starting the next block's reservation when half of the current one is used.
    fn take(&self, year: i32, reserved: Option<Block>) -> Option<i64> {
        let mut held = self.blocks.held();
        if reserved.is_some() {
            held.current = reserved;
        }
        let number = loop {
            match held.current.as_mut().filter(|b| b.year == year) {
                Some(block) if block.next < block.end => {
                    block.next += 1;
                    break block.next - 1;
                }
                _ => match held.next.take().filter(|b| b.year == year) {
                    Some(next) => held.current = Some(next),
                    None => return None,
                },
            }
        };
        if held.left(year) <= BLOCK / 2 && held.next.is_none() && !held.reserving_next {
            held.reserving_next = true;
            self.reserve_next(year);
        }
        Some(number)
    }

    /// Reserves the block after the current one, on a task of its own.
    fn reserve_next(&self, year: i32) {
        let (db, blocks) = (self.db.clone(), self.blocks.clone());
        tokio::spawn(async move {
            let _reserving = blocks.reserving.lock().await;
            // A draw that found the current block used up before this task ran reserved the
            // next itself: another would be one more block unused should the process stop.
            {
                let mut held = blocks.held();
                if held.left(year) > BLOCK / 2 {
                    held.reserving_next = false;
                    return;
                }
            }
            let reserved = Block::reserve(&db, year).await;
            let mut held = blocks.held();
            held.reserving_next = false;
            match reserved {
                Ok(block) => held.next = Some(block),
                // The draw that finds no numbers left reserves them itself, and says why not.
                Err(err) => tracing::warn!(%err, "the next block of case numbers was not reserved"),
            }
        });
    }
}

impl Block {
    /// `BLOCK` numbers of `year`, after every number reserved so far by any process.
    async fn reserve(db: &DatabaseConnection, year: i32) -> Result<Self, DbErr> {
        let last = reserve(db, year, BLOCK).await?;
        Ok(Self {
            year,
            next: last - BLOCK + 1,
            end: last + 1,
        })
    }
}

/// A case number drawn, or to be drawn in the registration's transaction.
#[derive(Debug, Clone, Copy)]
pub enum Draw {
    Taken(i64),
    InTransaction { year: i32 },
}

impl CaseNumbers {
    /// The number `draw` stands for, inside the registration's unit of work `tx` (which a
    /// number already taken leaves without a transaction of its own).
    ///
    /// On SQLite the transaction holds the node's write turn from its start to the end of its
    /// commit, so nobody else draws meanwhile. The year's last number comes from memory, and
    /// from the counter row only when memory has none: the process's first registration of the
    /// year, or the one after a registration that did not commit (memory is taken for the draw
    /// and given the new number back only by the commit). The counter row is written with the
    /// registration's rows: one round trip fewer on the node's serialised write path, and no
    /// gaps.
    pub async fn number(&self, draw: Draw, tx: &Tx) -> Result<i64, DbErr> {
        let year = match draw {
            Draw::Taken(number) => return Ok(number),
            Draw::InTransaction { year } => year,
        };
        let known = lock(&self.last).take().filter(|last| last.year == year);
        let number = match known {
            Some(last) => last.number,
            None => read_last(tx.txn().await?, year).await?,
        } + 1;
        tx.add(TABLE, set_last(year, number));
        let kept = self.last.clone();
        tx.on_commit(move || *lock(&kept) = Some(Last { year, number }));
        Ok(number)
    }
}

/// What a lock guards stays consistent if a holder panicked: each is changed in one step.
fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The year's counter as stored (0 before its first registration).
async fn read_last(db: &impl ConnectionTrait, year: i32) -> Result<i64, DbErr> {
    let select = Query::select()
        .column("last_number")
        .from(TABLE)
        .and_where(Expr::col("year").eq(year))
        .to_owned();
    match db.query_one(&select).await? {
        Some(row) => row.try_get("", "last_number"),
        None => Ok(0),
    }
}

/// The year's counter moved on to `number`, never back: should a second process write the
/// same file, a number it handed out meanwhile fails the registration on the petitions' unique
/// case number, and the next draw reads the counter again.
fn set_last(year: i32, number: i64) -> InsertStatement {
    Query::insert()
        .into_table(TABLE)
        .columns(["year", "last_number"])
        .values_panic([year.into(), number.into()])
        .on_conflict(
            OnConflict::column("year")
                .value(
                    "last_number",
                    Expr::cust("MAX(last_number, excluded.last_number)"),
                )
                .to_owned(),
        )
        .to_owned()
}

/// Moves the year's counter on by `count` and answers its new value, the last number reserved:
/// one atomic `INSERT … ON CONFLICT DO UPDATE … RETURNING`.
async fn reserve(db: &impl ConnectionTrait, year: i32, count: i64) -> Result<i64, DbErr> {
    let upsert = Query::insert()
        .into_table(TABLE)
        .columns(["year", "last_number"])
        .values_panic([year.into(), count.into()])
        .on_conflict(
            OnConflict::column("year")
                .value("last_number", Expr::col((TABLE, "last_number")).add(count))
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

#[cfg(test)]
mod tests {
    use super::*;
    use xinfang_domain::{Reason, Refusal};
    use xinfang_platform::config::Settings;
    use xinfang_store::{UnitOfWork, WriteError};

    /// A registration's unit of work on the embedded node: draws its number, then commits, or
    /// is refused after drawing it.
    async fn register(
        uow: &UnitOfWork,
        numbers: &CaseNumbers,
        commits: bool,
    ) -> Result<i64, WriteError> {
        let draw = numbers.draw(2026).await?;
        uow.run(|tx| async move {
            let number = numbers.number(draw, &tx).await?;
            match commits {
                true => Ok(number),
                false => Err(Refusal::new(Reason::IdempotencyKeyReused, "after its number").into()),
            }
        })
        .await
    }

    #[tokio::test]
    async fn on_the_embedded_node_numbers_follow_each_other_across_refusals_and_restarts() {
        let dir = std::env::temp_dir().join(format!("xinfang-numbers-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut settings = Settings::default();
        settings.database.url = format!("sqlite://{}/node.db?mode=rwc", dir.display());
        let db = xinfang_platform::database::connect(&settings.database)
            .await
            .unwrap();
        xinfang_migrations::migrate_service(&db, "intake")
            .await
            .unwrap();
        let uow = UnitOfWork::new(db.clone(), "intake", &settings).unwrap();
        let numbers = CaseNumbers::new(db.clone());

        assert_eq!(register(&uow, &numbers, true).await.unwrap(), 1);
        assert_eq!(register(&uow, &numbers, true).await.unwrap(), 2);
        assert!(register(&uow, &numbers, false).await.is_err());
        assert!(register(&uow, &numbers, false).await.is_err());
        assert_eq!(
            register(&uow, &numbers, true).await.unwrap(),
            3,
            "a registration refused after drawing leaves no gap"
        );
        // A process started again knows nothing in memory: the counter row, written with each
        // registration, goes on.
        let restarted = CaseNumbers::new(db.clone());
        assert_eq!(register(&uow, &restarted, true).await.unwrap(), 4);
        assert_eq!(register(&uow, &restarted, true).await.unwrap(), 5);
        xinfang_platform::database::close(db).await.unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
