//! The petition domain (信访) as plain Rust: every rule of `shared/design/domain.md` that needs
//! no database, network or clock of its own. Services call it; it calls nothing.

pub mod aggregate;
pub mod annual;
pub mod case;
pub mod clock;
pub mod evaluation;
pub mod field;
#[cfg(test)]
mod fixtures;
pub mod identity;
pub mod lifecycle;
pub mod meeting;
pub mod metrics;
pub mod petition;
pub mod reception;
pub mod reference;
pub mod refusal;
pub mod region;
pub mod roster;
pub mod screening;
pub mod supervision;

pub use field::FieldError;
pub use refusal::{Reason, Refusal};
