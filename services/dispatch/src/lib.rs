//! 转送交办, 受理, 办理 — the dispatch service. Every registered item enters the triage queue of
//! the unit that registered it; a clerk forwards (转送), assigns (交办), redirects to a statutory
//! route, does not accept, or escalates it; the receiving organ accepts or objects; the organ
//! handles it, may extend once, and answers with a handling opinion — each step within the
//! statutory limits, each an event on `xinfang.dispatch.events`.

pub mod api;
mod context;
mod entity;
mod error;
pub mod intake_events;
pub mod run;
mod steps;
pub mod store;
mod wire;

pub use api::DispatchApi;
pub use error::DispatchError;
