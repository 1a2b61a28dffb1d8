//! The write path (architecture.md, The write path): every change of an aggregate, whoever asks
//! for it — an API call, an event consumer, a watcher — is
//!
//! 1. **load**: the aggregate and its version ([`Repository::load`]);
//! 2. **decide**: the domain's pure `decide` turns the command into events or a refusal;
//! 3. **save**, in one transaction ([`Tx::apply`]): the row guarded by the version it was read
//!    at, one outbox row per published event numbered by the aggregate's new version, one audit
//!    row per event chained to the aggregate's rows before it ([`audit`]), and the service's
//!    projections (step rows, kept counts); the rows it only adds go to PostgreSQL together,
//!    in one statement ([`Writes`]). A change that needs no answer from the database before it
//!    commits (a registration: a new aggregate, nothing to read) begins no transaction there:
//!    its one statement is atomic by itself ([`Tx::commit`]).
//!
//! A version conflict (another writer committed first) loads and decides again, a bounded number
//! of times ([`UnitOfWork::run`]); inside a consumer's transaction it fails the transaction,
//! which the consumer retries with the event.

pub mod audit;
mod error;
pub mod reference_updates;
mod repository;
pub mod rows;
mod unit_of_work;
mod writes;

pub use audit::{AuditChain, AuditEntry, Audited};
pub use error::WriteError;
pub use repository::{Repository, Versioned};
pub use unit_of_work::{Meta, Saved, Tx, UnitOfWork};
pub use writes::Writes;
