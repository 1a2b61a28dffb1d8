//! The event plumbing of architecture.md (How data flows):
//!
//! 1. a service writes its state change and the [`Envelope`] announcing it in one transaction
//!    ([`outbox::append`]);
//! 2. one [`relay::Relay`] per service publishes the outbox to Kafka in order, with the idempotent
//!    producer, and marks rows sent only after the broker acknowledged them;
//! 3. consumers ([`consumer`]) apply an event and record its id in their inbox in one transaction,
//!    then store the offset: a redelivered event is a no-op and a restart loses nothing.
//!
//! In the embedded default (`events.backend = "sql"`) no relay runs: the outbox tables are the
//! durable log, read by [`sql_log`]. [`subscription::subscribe`] picks the one the node runs.

pub mod consumer;
pub mod envelope;
mod gauges;
pub mod group_consumer;
pub mod inbox;
pub mod kafka;
mod lag;
pub mod outbox;
pub mod parked;
mod progress;
pub mod relay;
pub mod retention;
pub mod sql_log;
pub mod subscription;
pub mod tasks;

pub use envelope::{EventDraft, topic_of};
pub use xinfang_proto::xinfang::events::v1::{Envelope, envelope::Payload};
