//! 督查督办 — the supervision service. It follows every item's statutory clock from intake's
//! and dispatch's events, warns before a limit ends, marks it overdue the day after and issues a
//! supervision order (督办单) to the responsible organ, escalates a late reply one level; keeps
//! backlog lists (积案) with leader packages (包案); and counts the metrics of domain.md, and the
//! petition index (信访指数), and the annual report (年度信访工作报告), scoped by the caller's unit. Every change is decided by the
//! domain's watched item, order or backlog entry and saved through the unit of work.

mod annual;
pub mod api;
mod backlog;
pub mod bulletin;
pub mod counts;
mod entity;
mod error;
pub mod facts;
mod figures;
pub mod metrics;
mod orders;
mod overdue_gauge;
pub mod oversight;
mod repository;
pub mod run;
mod scope;
pub mod screening;
mod tally;
pub mod watch;
pub mod worklist;

pub use api::SupervisionApi;
pub use error::SupervisionError;
pub use oversight::Oversight;

/// Supervision's name for its tables and topic.
pub const SERVICE: &str = "supervision";
