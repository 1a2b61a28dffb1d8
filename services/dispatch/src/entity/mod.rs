//! Dispatch's tables (see `migrations/src/dispatch`).

pub mod case;
pub mod step;
