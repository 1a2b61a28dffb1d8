//! Where a unit of work writes: its transaction, for the statements whose answer it needs (a
//! guarded update, a read), and the rows it only adds, sent together when the change is saved.
//!
//! A registration adds a row each for the petition, its petitioners, its event and its audit
//! entry; sent one by one they cost a round trip each to PostgreSQL, each a wake-up of the
//! service and of the database's backend on a machine whose cores they share (issue #9). Sent
//! together they are one statement of data-modifying CTEs — `WITH w0 AS (INSERT …), w1 AS
//! (INSERT …) INSERT …` — atomic as any statement, its foreign keys checked at its end. SQLite
//! (which has no data-modifying CTEs, and no round trips: it runs in the process) takes them
//! one by one.
//!
//! Only rows that are added go here: PostgreSQL runs a statement's CTEs in no fixed order, so
//! two of them changing the same row would be undefined; an update goes to [`Writes::txn`].
//! For the same reason a statement never holds two inserts into one table: rows numbered by a
//! sequence (outbox rows, which the relay sends in that order; step rows) must be numbered in
//! the order they were added, so a second insert into a table starts the next statement.

use sea_orm::sea_query::{Alias, CommonTableExpression, InsertStatement, WithClause};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction,
    DbErr, EntityName, EntityTrait, QueryTrait,
};

pub struct Writes<'t> {
    txn: &'t DatabaseTransaction,
    /// Each insert with the table it adds to.
    added: Vec<(String, InsertStatement)>,
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

    /// Adds rows to `table` when the change is saved; an error of the insert (a unique key
    /// taken) fails the save.
    pub fn add(&mut self, table: impl Into<String>, insert: InsertStatement) {
        self.added.push((table.into(), insert));
    }

    /// Adds `row` (its entity's table) when the change is saved.
    pub fn add_row<A>(&mut self, row: A)
    where
        A: ActiveModelTrait + ActiveModelBehavior,
    {
        let table = A::Entity::default().table_name();
        self.add(table, A::Entity::insert(row).into_query());
    }

    /// Sends what was added, in as few statements as keep each table's rows in order: one,
    /// unless a table is added to twice.
    pub async fn flush(self) -> Result<(), DbErr> {
        let Writes { txn, added } = self;
        if txn.get_database_backend() != DatabaseBackend::Postgres {
            for (_, insert) in &added {
                txn.execute(insert).await?;
            }
            return Ok(());
        }
        let mut statement: Vec<(String, InsertStatement)> = Vec::new();
        for (table, insert) in added {
            if statement.iter().any(|(t, _)| *t == table) {
                send(txn, std::mem::take(&mut statement)).await?;
            }
            statement.push((table, insert));
        }
        send(txn, statement).await
    }
}

/// One statement: the last insert the main query, the others CTEs before it.
async fn send(
    txn: &DatabaseTransaction,
    mut inserts: Vec<(String, InsertStatement)>,
) -> Result<(), DbErr> {
    let Some((_, last)) = inserts.pop() else {
        return Ok(());
    };
    if inserts.is_empty() {
        txn.execute(&last).await?;
        return Ok(());
    }
    let mut with = WithClause::new();
    for (n, (_, insert)) in inserts.into_iter().enumerate() {
        with.cte(
            CommonTableExpression::new()
                .table_name(Alias::new(format!("w{n}")))
                .query(insert)
                .to_owned(),
        );
    }
    txn.execute(&with.query(last)).await?;
    Ok(())
}
