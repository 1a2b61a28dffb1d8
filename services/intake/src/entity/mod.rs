//! Intake's tables (see `migrations/src/intake`).

pub mod petition;
pub mod petitioner;
pub mod public_step;
