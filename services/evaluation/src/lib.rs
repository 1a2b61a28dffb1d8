//! 满意度评价, 回访, 复查, 复核, 听证, 终结 — the evaluation service. It follows intake's
//! registrations and dispatch's answers; lets the petitioner evaluate each opinion (by the SMS
//! link's one-time token with the query code, or through a proxy), opens a revisit (回访) for a
//! 不满意, takes review (复查) and re-examination (复核) requests to the organ one level up, holds
//! hearings (听证) that stop the clock, terminates (终结) after re-examination and closes (办结)
//! an item whose window passed unused. Every change is decided by the domain's
//! `evaluation::Item` and saved through the unit of work; its events tell intake (the public
//! steps, 不再受理 after 终结) and supervision (参评率, 满意率).

pub mod api;
pub mod desk;
mod entity;
mod error;
pub mod follow;
mod repository;
pub mod run;
mod scope;
mod tokens;
pub mod watch;
mod wire;

pub use api::EvaluationApi;
pub use error::EvaluationError;

/// Evaluation's name for its tables and topic.
pub const SERVICE: &str = "evaluation";
