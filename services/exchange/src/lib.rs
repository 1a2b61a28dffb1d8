//! 数据交换 — the exchange service, the province-facing link. In node role it turns this node's
//! events into records for the province (the item with masked petitioners, each handling step,
//! each evaluation, an item transferred to another city; every code local and provincial),
//! numbered by a node-local sequence without gaps, and pushes them to the hub in batches,
//! resuming from the hub's acknowledgement after a cut. In hub role (the same binary, another
//! configuration) it stores each node's records once, answers each with accepted or a reject
//! code and reason, and acknowledges the highest contiguous sequence it holds. Downward, the hub
//! keeps a queue per node — items the province assigns (省交办), items another city transferred
//! (转有权处理地) and the steps of those the node transferred, holiday calendars, code tables —
//! which the node pulls by cursor and acknowledges; an item that comes down is registered by the
//! node's intake for the unit that triages it; the rest reaches the node's services or mapping.
//! Node and hub may authenticate each other with mutual TLS. Still to come (issue #12):
//! organisation updates, versioned mapping files.

mod admin;
pub mod credential;
mod entity;
mod follow;
mod hub;
mod mapping;
mod province;
pub mod pull;
pub mod push;
mod queue;
mod records;
mod rounds;
pub mod run;
mod summary;
pub mod tls;
mod transfers;

/// The exchange service's name for its tables and topic.
pub const SERVICE: &str = "exchange";

/// A database failure as the caller sees it (the incident is logged).
fn storage(err: sea_orm::DbErr) -> tonic::Status {
    xinfang_platform::error::internal("exchange storage", err)
}
