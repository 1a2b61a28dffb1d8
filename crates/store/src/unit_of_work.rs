//! One unit of work: load, decide, save in one transaction, again on a conflict.

use crate::audit::{self, AuditChain, AuditEntry};
use crate::error::WriteError;
use crate::repository::{Repository, Versioned};
use crate::writes::{self, Added, Target, Writes};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::InsertStatement;
use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::OnceCell;
use xinfang_domain::Refusal;
use xinfang_domain::aggregate::Aggregate;
use xinfang_events::EventDraft;
use xinfang_events::outbox::{self, Position};
use xinfang_platform::auth::Caller;
use xinfang_platform::config::Settings;
use xinfang_platform::keyring::KeyError;
use xinfang_proto::xinfang::petition::v1::Actor;

/// Who changes an aggregate, and when: stamped on its events and its audit rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub user: String,
    pub unit: String,
    pub name: String,
    pub at: DateTime<Utc>,
}

impl Meta {
    pub fn of(caller: &Caller, at: DateTime<Utc>) -> Self {
        Self {
            user: caller.user_id.clone(),
            unit: caller.org_unit.clone(),
            name: caller.name.clone(),
            at,
        }
    }

    /// The platform itself (a watcher, a consumer) acting for `unit`.
    pub fn system(unit: &str, at: DateTime<Utc>) -> Self {
        Self {
            user: "system".into(),
            unit: unit.to_owned(),
            name: String::new(),
            at,
        }
    }

    /// The actor an event carries, acting again in the service that follows it.
    pub fn from_actor(actor: Option<&Actor>, at: DateTime<Utc>) -> Self {
        actor.map_or_else(
            || Self::system("", at),
            |a| Self {
                user: a.user_id.clone(),
                unit: a.org_unit.clone(),
                name: a.display_name.clone(),
                at,
            },
        )
    }

    fn actor(&self) -> Actor {
        Actor {
            user_id: self.user.clone(),
            org_unit: self.unit.clone(),
            display_name: self.name.clone(),
        }
    }
}

/// The result of a unit of work: the aggregate after it, its version, and what happened.
#[derive(Debug, Clone)]
pub struct Saved<A: Aggregate> {
    /// None only when the aggregate does not exist and the command changed nothing.
    pub state: Option<A>,
    pub version: i64,
    pub events: Vec<A::Event>,
}

/// Runs units of work for one service against its database.
#[derive(Clone)]
pub struct UnitOfWork {
    db: DatabaseConnection,
    writer: Arc<Writer>,
    attempts: u32,
}

/// Who writes: the service, the node its outbox rows come from, the key of its audit chain.
struct Writer {
    service: &'static str,
    node: String,
    chain: AuditChain,
}

/// How often a conflicting unit of work is decided again before the caller is told.
const ATTEMPTS: u32 = 8;

impl UnitOfWork {
    pub fn new(
        db: DatabaseConnection,
        service: &'static str,
        settings: &Settings,
    ) -> Result<Self, KeyError> {
        let writer = Writer {
            service,
            node: settings.node.region.clone(),
            chain: AuditChain::new(&settings.audit)?,
        };
        Ok(Self {
            db,
            writer: Arc::new(writer),
            attempts: ATTEMPTS,
        })
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Runs `work` in a transaction and commits it; on a conflict rolls back and runs it again
    /// (after a short, growing pause), at most a few times. `work` gets the transaction to
    /// [`Tx::apply`] as many aggregates as the change spans; it must not keep it.
    pub async fn run<T, F, Fut>(&self, work: F) -> Result<T, WriteError>
    where
        F: Fn(Arc<Tx>) -> Fut,
        Fut: Future<Output = Result<T, WriteError>>,
    {
        let mut attempt = 1;
        loop {
            let tx = Arc::new(self.begin().await?);
            let outcome = work(tx.clone()).await;
            let tx = Arc::into_inner(tx).ok_or_else(|| {
                WriteError::Database(DbErr::Custom(
                    "a unit of work kept its transaction beyond its end".into(),
                ))
            })?;
            let outcome = match outcome {
                Ok(value) => tx.commit().await.map(|()| value).map_err(WriteError::from),
                Err(err) => {
                    tx.rollback().await?;
                    Err(err)
                }
            };
            match outcome {
                Err(WriteError::Conflict) if attempt < self.attempts => {
                    tracing::debug!(
                        service = self.writer.service,
                        attempt,
                        "write conflict, deciding again"
                    );
                    tokio::time::sleep(Duration::from_millis(u64::from(attempt) * 3)).await;
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }

    /// Load, decide and save one aggregate in a transaction of its own.
    pub async fn execute<R: Repository>(
        &self,
        repo: &R,
        id: &str,
        meta: &Meta,
        decide: impl Fn(
            Option<&R::Aggregate>,
        ) -> Result<Vec<<R::Aggregate as Aggregate>::Event>, Refusal>,
    ) -> Result<Saved<R::Aggregate>, WriteError> {
        let decide = &decide;
        self.run(|tx| async move { tx.apply(repo, id, meta, decide).await })
            .await
    }

    /// A unit of work the caller drives and commits.
    ///
    /// Its transaction begins with the first statement whose answer it needs (a read, a guarded
    /// update); a unit of work that only adds rows — a registration — never needs one: its rows
    /// go with its commit ([`Tx::commit`]). On SQLite the process's write turn is taken here,
    /// with the one connection the process writes on, and the transaction, once begun there,
    /// takes the write lock at once (`BEGIN IMMEDIATE`): a deferred one that read first could
    /// not upgrade after another writer's commit, and failed at once (`SQLITE_BUSY_SNAPSHOT`,
    /// answered `ABORTED` to a clerk).
    pub async fn begin(&self) -> Result<Tx, DbErr> {
        let turn = xinfang_platform::database::write_turn(&self.db).await?;
        Ok(Tx {
            db: xinfang_platform::database::write_connection(&turn, &self.db).clone(),
            txn: OnceCell::new(),
            pending: Mutex::new(Vec::new()),
            on_commit: Mutex::new(Vec::new()),
            writer: self.writer.clone(),
            _turn: turn,
        })
    }

    /// [`Tx::apply`] inside a transaction the caller holds.
    pub fn within<'t>(&self, txn: &'t DatabaseTransaction) -> TxRef<'t> {
        TxRef {
            txn,
            writer: self.writer.clone(),
        }
    }
}

/// An open unit of work.
pub struct Tx {
    /// Where it writes: the turn's writer connection on SQLite, the pool on PostgreSQL.
    db: DatabaseConnection,
    /// Begun by the first statement whose answer the unit of work needs.
    txn: OnceCell<DatabaseTransaction>,
    /// Rows added and not yet sent, in order: sent with the next rows the change sends.
    pending: Mutex<Added>,
    /// What is told of the commit, before the write turn is let go.
    on_commit: Mutex<Vec<Box<dyn FnOnce() + Send>>>,
    writer: Arc<Writer>,
    /// This process's write turn on SQLite, held until the transaction ends (declared after
    /// the transaction, so let go after it).
    _turn: Option<xinfang_platform::database::WriteTurn>,
}

impl Tx {
    /// The transaction, begun now if it was not, with the rows added so far sent into it.
    pub async fn txn(&self) -> Result<&DatabaseTransaction, DbErr> {
        let txn = self
            .txn
            .get_or_try_init(|| {
                let options = TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..Default::default()
                };
                self.db.begin_with_options(options)
            })
            .await?;
        let pending = std::mem::take(&mut *self.pending());
        writes::send(txn, pending).await?;
        Ok(txn)
    }

    /// Rows a change added: into the transaction if it has begun (after the rows added before
    /// them), else kept for the commit.
    pub(crate) async fn defer(&self, added: Added) -> Result<(), DbErr> {
        self.pending().extend(added);
        match self.txn.get() {
            Some(txn) => {
                let rows = std::mem::take(&mut *self.pending());
                writes::send(txn, rows).await
            }
            None => Ok(()),
        }
    }

    /// Adds a row that is not an aggregate's (a counter the change moves on): sent with the
    /// next rows the change sends, or by its commit. An upsert only into a table nothing else in
    /// the change writes ([`Writes::add`]).
    pub fn add(&self, table: impl Into<String>, insert: InsertStatement) {
        self.pending().push((table.into(), insert));
    }

    /// Runs `told` once the transaction has committed, before its write turn is let go: what a
    /// writer keeps in memory about its rows stays what they are while nobody else can write.
    pub fn on_commit(&self, told: impl FnOnce() + Send + 'static) {
        lock(&self.on_commit).push(Box::new(told));
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Added> {
        lock(&self.pending)
    }

    /// Commits, then wakes the service's relay for the events just written. Without a begun
    /// transaction the rows go as one round trip where they can (`writes::send_alone`): two
    /// (BEGIN, COMMIT) fewer.
    ///
    /// Returns when the commit is durable: on SQLite after the write turn is let go and the
    /// database's log synced for this commit and the others waiting
    /// ([`xinfang_platform::database::flush`]).
    pub async fn commit(self) -> Result<(), DbErr> {
        let pending = std::mem::take(&mut *self.pending());
        let Tx {
            db,
            txn,
            writer,
            on_commit,
            _turn: turn,
            ..
        } = self;
        match txn.into_inner() {
            Some(txn) => {
                writes::send(&txn, pending).await?;
                txn.commit().await?;
            }
            None if pending.is_empty() => {
                tell(on_commit);
                return Ok(());
            }
            None => writes::send_alone(&db, pending).await?,
        }
        tell(on_commit);
        drop(turn);
        xinfang_platform::database::flush(&db).await?;
        outbox::committed(writer.service);
        Ok(())
    }

    /// Rolls back what was written; rows not yet sent are dropped.
    pub async fn rollback(self) -> Result<(), DbErr> {
        match self.txn.into_inner() {
            Some(txn) => txn.rollback().await,
            None => Ok(()),
        }
    }

    /// Loads the aggregate, decides, and writes the outcome in this transaction.
    pub async fn apply<R: Repository>(
        &self,
        repo: &R,
        id: &str,
        meta: &Meta,
        decide: impl Fn(
            Option<&R::Aggregate>,
        ) -> Result<Vec<<R::Aggregate as Aggregate>::Event>, Refusal>,
    ) -> Result<Saved<R::Aggregate>, WriteError> {
        let txn = self.txn().await?;
        let loaded = repo.load(txn, id).await?;
        apply(
            Target::Begun(txn),
            &self.writer,
            repo,
            id,
            meta,
            loaded,
            decide,
        )
        .await
    }

    /// [`Tx::apply`] to an aggregate the caller knows is new (an id it just generated), without
    /// reading it first: should it exist after all, storing it fails.
    pub async fn create<R: Repository>(
        &self,
        repo: &R,
        id: &str,
        meta: &Meta,
        decide: impl Fn(
            Option<&R::Aggregate>,
        ) -> Result<Vec<<R::Aggregate as Aggregate>::Event>, Refusal>,
    ) -> Result<Saved<R::Aggregate>, WriteError> {
        apply(
            Target::Deferred(self),
            &self.writer,
            repo,
            id,
            meta,
            None,
            decide,
        )
        .await
    }
}

/// Tells a committed transaction's listeners ([`Tx::on_commit`]).
fn tell(on_commit: Mutex<Vec<Box<dyn FnOnce() + Send>>>) {
    for told in on_commit
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        told();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A unit of work inside a transaction someone else holds.
pub struct TxRef<'t> {
    txn: &'t DatabaseTransaction,
    writer: Arc<Writer>,
}

impl TxRef<'_> {
    pub async fn apply<R: Repository>(
        &self,
        repo: &R,
        id: &str,
        meta: &Meta,
        decide: impl Fn(
            Option<&R::Aggregate>,
        ) -> Result<Vec<<R::Aggregate as Aggregate>::Event>, Refusal>,
    ) -> Result<Saved<R::Aggregate>, WriteError> {
        let loaded = repo.load(self.txn, id).await?;
        let to = Target::Begun(self.txn);
        apply(to, &self.writer, repo, id, meta, loaded, decide).await
    }
}

async fn apply<R: Repository>(
    to: Target<'_>,
    writer: &Writer,
    repo: &R,
    id: &str,
    meta: &Meta,
    loaded: Option<Versioned<R::Aggregate>>,
    decide: impl Fn(Option<&R::Aggregate>) -> Result<Vec<<R::Aggregate as Aggregate>::Event>, Refusal>,
) -> Result<Saved<R::Aggregate>, WriteError> {
    let (before, base) = match loaded {
        Some(Versioned { state, version }) => (Some(state), Some(version)),
        None => (None, None),
    };
    let events = decide(before.as_ref())?;
    let version = base.unwrap_or(0);
    if events.is_empty() {
        return Ok(Saved {
            state: before,
            version,
            events,
        });
    }
    let after = R::Aggregate::evolve_all(before.clone(), &events).ok_or_else(|| {
        WriteError::Database(DbErr::Custom(format!(
            "{} {id}: its events left no state",
            R::KIND
        )))
    })?;
    let new_version = version + events.len() as i64;
    let stream = format!("{}/{id}", R::KIND);
    let mut writes = Writes::new(to, audit::head_select(writer.service, &stream));
    if !repo
        .store(&mut writes, id, &after, &events, base, new_version)
        .await?
    {
        return Err(WriteError::Conflict);
    }
    // A new aggregate has no log yet: its chain starts empty, without a read. An existing one's
    // head came back with the update of its row, unless its repository writes it another way.
    let mut prev = match (base, writes.take_head()) {
        (None, _) => String::new(),
        (Some(_), Some(head)) => head,
        (Some(_), None) => audit::head(writes.txn().await?, writer.service, &stream).await?,
    };
    for (i, event) in events.iter().enumerate() {
        let sequence = version + 1 + i as i64;
        if let Some((key, payload)) = repo.announce(id, &after, event) {
            let draft = EventDraft::new(key, payload, meta.at).by_actor(meta.actor());
            let position = Position {
                stream: stream.clone(),
                sequence: sequence as u64,
            };
            let (_, insert) = outbox::row(writer.service, &writer.node, position, draft);
            writes.add(outbox::table_name(writer.service), insert);
        }
        let (action, detail) = repo.audit(event);
        let entry = AuditEntry {
            at: meta.at,
            actor: &meta.user,
            unit: &meta.unit,
            action,
            aggregate: &stream,
            version: sequence,
            detail,
        };
        prev = audit::append(&mut writes, writer.service, &writer.chain, &prev, entry);
    }
    repo.project(&mut writes, id, before.as_ref(), &after, &events, meta)
        .await?;
    writes.flush().await?;
    Ok(Saved {
        state: Some(after),
        version: new_version,
        events,
    })
}
