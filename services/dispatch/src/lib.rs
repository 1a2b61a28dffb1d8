//! 转送交办, 受理, 办理 — the dispatch service. Every registered item enters the triage queue of
//! the unit that registered it; a clerk forwards (转送), assigns (交办), redirects to a statutory
//! route, does not accept, or escalates it; the receiving organ accepts or objects; the organ
//! handles it, may pause the clock for a hearing, extend once, and answers with a handling
//! opinion — each step decided by the case (`xinfang_domain::case`) within the statutory
//! limits, saved through the unit of work, and announced on `xinfang.dispatch.events`.

mod announce;
pub mod api;
mod cases;
mod commands;
mod entity;
mod error;
pub mod intake_events;
pub mod queues;
mod repository;
pub mod run;
mod scope;
mod wire;

pub use api::DispatchApi;
pub use cases::Cases;
pub use error::DispatchError;
pub use intake_events::IntakeEvents;
