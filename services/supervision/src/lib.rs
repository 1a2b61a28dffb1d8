//! 督查督办 — the supervision service. It follows every item's statutory clock from intake's
//! and dispatch's events, warns before a limit ends, marks it overdue the day after and issues a
//! supervision order (督办单) to the responsible organ, escalates a late reply one level; keeps
//! backlog lists (积案) with leader packages (包案); and counts the metrics of domain.md, and the
//! petition index (信访指数), scoped by the caller's unit.

pub mod api;
pub mod bulletin;
mod clock;
pub mod counts;
mod entity;
mod error;
pub mod facts;
pub mod metrics;
pub mod run;
pub mod watch;
pub mod worklist;

pub use api::SupervisionApi;
pub use error::SupervisionError;

/// Supervision's name for its tables and topic.
pub const SERVICE: &str = "supervision";
