//! Where a unit of work writes: its transaction, for the statements whose answer it needs (a
//! guarded update, a read), and the rows it only adds, sent together when the change is saved.
//!
//! A registration adds a row each for the petition, its petitioners, its event and its audit
//! entry; sent one by one they cost a round trip each to PostgreSQL, each a wake-up of the
//! service and of the database's backend on a machine whose cores they share (issue #9). Sent
//! together they are one statement of data-modifying CTEs — `WITH w1 AS (INSERT …), w2 AS
//! (INSERT …) INSERT …` — atomic as any statement, its foreign keys checked at its end. SQLite
//! (which has no data-modifying CTEs, and no round trips: it runs in the process) takes them
//! one by one.
//!
//! Only rows that are added go here: PostgreSQL runs a statement's CTEs in no fixed order, so
//! two of them changing the same row would be undefined; an update goes to [`Writes::txn`].

use sea_orm::sea_query::{Alias, CommonTableExpression, InsertStatement, WithClause};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction,
    DbErr, EntityTrait, QueryTrait,
};

pub struct Writes<'t> {
    txn: &'t DatabaseTransaction,
    added: Vec<InsertStatement>,
}

impl<'t> Writes<'t> {
    pub fn new(txn: &'t DatabaseTransaction) -> Self {
        Self {
            txn,
            added: Vec::new(),
        }
    }

    /// The transaction, for a statement whose answer is needed now.
    pub fn txn(&self) -> &'t DatabaseTransaction {
        self.txn
    }

    /// Adds rows when the change is saved; an error of the insert (a unique key taken) fails
    /// the save.
    pub fn add(&mut self, insert: InsertStatement) {
        self.added.push(insert);
    }

    /// Adds `row` (its entity's table) when the change is saved.
    pub fn add_row<A>(&mut self, row: A)
    where
        A: ActiveModelTrait + ActiveModelBehavior,
    {
        self.add(A::Entity::insert(row).into_query());
    }

    /// Sends what was added, in one statement on PostgreSQL.
    pub async fn flush(&mut self) -> Result<(), DbErr> {
        let mut added = std::mem::take(&mut self.added);
        if self.txn.get_database_backend() != DatabaseBackend::Postgres || added.len() < 2 {
            for insert in &added {
                self.txn.execute(insert).await?;
            }
            return Ok(());
        }
        let last = added.pop().expect("two statements or more");
        let mut with = WithClause::new();
        for (n, insert) in added.into_iter().enumerate() {
            with.cte(
                CommonTableExpression::new()
                    .table_name(Alias::new(format!("w{n}")))
                    .query(insert)
                    .to_owned(),
            );
        }
        self.txn.execute(&with.query(last)).await?;
        Ok(())
    }
}
