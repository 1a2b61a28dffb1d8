//! How a service keeps one kind of aggregate: its row, what its events announce, and the rows it
//! derives from them.

use crate::unit_of_work::Meta;
use crate::writes::Writes;
use sea_orm::{ConnectionTrait, DbErr};
use std::future::Future;
use xinfang_domain::aggregate::Aggregate;
use xinfang_events::Payload;

/// An aggregate as stored: its state and the version it was read at (the number of its events).
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<A> {
    pub state: A,
    pub version: i64,
}

type Event<R> = <<R as Repository>::Aggregate as Aggregate>::Event;

/// One kind of aggregate's storage. The unit of work calls it; services implement it once per
/// aggregate and never write the aggregate's row any other way.
pub trait Repository: Send + Sync {
    type Aggregate: Aggregate + Send + Sync;

    /// The kind in stream names and audit rows: `case`, `petition`, `item`, `order`.
    const KIND: &'static str;

    fn load(
        &self,
        db: &impl ConnectionTrait,
        id: &str,
    ) -> impl Future<Output = Result<Option<Versioned<Self::Aggregate>>, DbErr>> + Send;

    /// Writes `state` (after `events`) at `version`: a new row when `expected` is None, else the
    /// row only if it is still at `expected`. False when another writer got there first (the
    /// row exists, or moved on). A new row may be [`Writes::add`]ed instead: then a row with
    /// its key fails the save.
    fn store(
        &self,
        writes: &mut Writes<'_>,
        id: &str,
        state: &Self::Aggregate,
        events: &[Event<Self>],
        expected: Option<i64>,
        version: i64,
    ) -> impl Future<Output = Result<bool, DbErr>> + Send;

    /// What `event` announces on the service's topic, and the petition it is keyed by; None
    /// for an event the service keeps to itself.
    fn announce(
        &self,
        id: &str,
        after: &Self::Aggregate,
        event: &Event<Self>,
    ) -> Option<(String, Payload)>;

    /// The audit row's action and detail for `event` (masked values only).
    fn audit(&self, event: &Event<Self>) -> (&'static str, serde_json::Value);

    /// Rows derived from the change, in its transaction: step rows, kept counts, child rows.
    fn project(
        &self,
        _writes: &mut Writes<'_>,
        _id: &str,
        _before: Option<&Self::Aggregate>,
        _after: &Self::Aggregate,
        _events: &[Event<Self>],
        _meta: &Meta,
    ) -> impl Future<Output = Result<(), DbErr>> + Send {
        async { Ok(()) }
    }
}
