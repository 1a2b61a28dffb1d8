//! Where a unit of work writes: its transaction, for the statements whose answer it needs (a
//! guarded update, a read), and the rows it only adds, sent together when the change is saved.
//!
//! A registration adds a row each for the petition, its petitioners, its event and its audit
//! entry; sent one by one they cost a round trip each to PostgreSQL, each a wake-up of the
//! service and of the database's backend on a machine whose cores they share (issue #9). Sent
//! together they are one statement of data-modifying CTEs — `WITH w0 AS (INSERT …), w1 AS
//! (INSERT …) INSERT …` — atomic as any statement, its foreign keys checked at its end. SQLite
//! has no data-modifying CTEs; it takes them as one script of statements run in order
//! (`INSERT …; INSERT …`), inside the unit of work's transaction. It runs in the process, but
//! sqlx runs each connection on a thread of its own, and every statement sent there is a
//! hand-off between threads and back: most of the embedded node's CPU went to those switches.
//!
//! Only rows that are added go here — or upserted into a table nothing else in the change
//! writes (the metric counts an item's change adds to): PostgreSQL runs a statement's CTEs in no
//! fixed order, so two of them changing the same row would be undefined; an update goes to
//! [`Writes::txn`].
//! For the same reason a statement never holds two inserts into one table: rows numbered by a
//! sequence (outbox rows, which the relay sends in that order; step rows) must be numbered in
//! the order they were added, so a second insert into a table starts the next statement.

use crate::unit_of_work::Tx;
use sea_orm::sea_query::{
    Alias, CommonTableExpression, InsertStatement, SelectStatement, WithClause,
};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityName, EntityTrait, QueryTrait, Statement, TransactionTrait,
};

/// Inserts, each with the table it adds to, in the order they were added.
pub(crate) type Added = Vec<(String, InsertStatement)>;

pub struct Writes<'t> {
    to: Target<'t>,
    added: Added,
    /// The query for the head of the changed aggregate's audit log, which a guarded update of
    /// its row answers in the same statement ([`crate::rows::write_row`]): one round trip
    /// fewer for every change of an aggregate that exists.
    head_query: SelectStatement,
    head: Option<String>,
}

/// Where the added rows go when the change is saved.
#[derive(Clone, Copy)]
pub(crate) enum Target<'t> {
    /// A transaction already begun (a consumer's, or one a read began).
    Begun(&'t DatabaseTransaction),
    /// A unit of work that has not needed its transaction yet, and may never need it.
    Deferred(&'t Tx),
}

impl<'t> Writes<'t> {
    pub(crate) fn new(to: Target<'t>, head_query: SelectStatement) -> Self {
        Self {
            to,
            added: Vec::new(),
            head_query,
            head: None,
        }
    }

    /// Whether a new row of the aggregate, found absent in this change's transaction, can go
    /// with the rows only added. On SQLite: a transaction that read the aggregate is the only
    /// writer of the file once it writes (a write lock held from its start, or a snapshot that
    /// fails to write if another wrote since its read), so nobody took the key in between. On
    /// PostgreSQL another transaction may have, and the insert is sent alone to tell.
    pub(crate) fn new_rows_cannot_collide(&self) -> bool {
        match self.to {
            Target::Begun(txn) => txn.get_database_backend() == DatabaseBackend::Sqlite,
            Target::Deferred(_) => false,
        }
    }

    /// The audit log's head query, for a statement that answers it with its own work.
    pub(crate) fn head_query(&self) -> &SelectStatement {
        &self.head_query
    }

    /// The audit log's head as a statement of the change read it ("" for an empty log).
    pub(crate) fn read_head(&mut self, hash: String) {
        self.head = Some(hash);
    }

    /// The head read on the way, if a statement read it.
    pub(crate) fn take_head(&mut self) -> Option<String> {
        self.head.take()
    }

    /// The transaction, for a statement whose answer is needed now (begun here if it was not).
    pub async fn txn(&self) -> Result<&'t DatabaseTransaction, DbErr> {
        match self.to {
            Target::Begun(txn) => Ok(txn),
            Target::Deferred(tx) => tx.txn().await,
        }
    }

    /// Adds rows to `table` when the change is saved; an error of the insert (a unique key
    /// taken) fails the save. An upsert (`ON CONFLICT … DO UPDATE`) only into a table nothing
    /// else in the change writes.
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

    /// Sends what was added into the transaction, or leaves it to the unit of work's commit
    /// while its transaction has not begun.
    pub async fn flush(self) -> Result<(), DbErr> {
        match self.to {
            Target::Begun(txn) => send(txn, self.added).await,
            Target::Deferred(tx) => tx.defer(self.added).await,
        }
    }
}

/// Sends `added` over `db`, in as few statements as keep each table's rows in order: one,
/// unless a table is added to twice. One by one on SQLite.
pub(crate) async fn send(db: &impl ConnectionTrait, added: Added) -> Result<(), DbErr> {
    for statement in statements(db.get_database_backend(), added) {
        db.execute_raw(statement).await?;
    }
    Ok(())
}

/// Sends the rows of a unit of work that never needed its transaction, atomically. On
/// PostgreSQL rows that fit one statement go as that statement alone, atomic as any statement;
/// more in a transaction. On SQLite the script is wrapped in its transaction's `BEGIN` and
/// `COMMIT`: one hand-off to the connection's thread instead of three, on the node's serialised
/// write path (a registration on the embedded node).
pub(crate) async fn send_alone(db: &DatabaseConnection, added: Added) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let mut statements = statements(backend, added);
    match statements.len() {
        0 => Ok(()),
        1 if backend == DatabaseBackend::Sqlite => {
            xinfang_platform::database::run_as_transaction(db, statements.remove(0)).await
        }
        1 => db.execute_raw(statements.remove(0)).await.map(drop),
        _ => {
            let txn = db.begin().await?;
            for statement in statements {
                txn.execute_raw(statement).await?;
            }
            txn.commit().await
        }
    }
}

/// The statements `added` takes on `backend`. On PostgreSQL a statement's last insert is its
/// main query and the others CTEs before it, and a second insert into a table starts the next
/// statement. On SQLite all of them are one script.
pub(crate) fn statements(backend: DatabaseBackend, added: Added) -> Vec<Statement> {
    if backend != DatabaseBackend::Postgres {
        return script(backend, added).into_iter().collect();
    }
    let mut statements = Vec::new();
    let mut current: Added = Vec::new();
    for (table, insert) in added {
        if current.iter().any(|(t, _)| *t == table) {
            statements.extend(combine(backend, std::mem::take(&mut current)));
        }
        current.push((table, insert));
    }
    statements.extend(combine(backend, current));
    statements
}

fn combine(backend: DatabaseBackend, mut inserts: Added) -> Option<Statement> {
    let (_, last) = inserts.pop()?;
    if inserts.is_empty() {
        return Some(backend.build(&last));
    }
    let mut with = WithClause::new();
    for (n, (_, insert)) in inserts.into_iter().enumerate() {
        let mut cte = CommonTableExpression::new();
        cte.table_name(Alias::new(format!("w{n}"))).query(insert);
        with.cte(cte);
    }
    Some(backend.build(&with.query(last)))
}

/// The inserts as one script ([`xinfang_platform::database::script`]).
fn script(backend: DatabaseBackend, added: Added) -> Option<Statement> {
    let mut statements = added.iter().map(|(_, insert)| backend.build(insert));
    let first = statements.next()?;
    Some(xinfang_platform::database::script(first, statements))
}
