//! What every service of the platform runs on, so that a service crate holds only its own logic:
//! layered configuration, telemetry, the gRPC server bootstrap, the caller's identity from a JWT,
//! error mapping, protection of personal data, reference data and the database connection.

pub mod auth;
pub mod bounds;
pub mod clock;
pub mod codes;
pub mod config;
pub mod database;
pub mod error;
pub mod keyring;
pub mod metrics;
pub mod pii;
pub mod policy;
pub mod public_calls;
pub mod reference;
pub mod server;
pub mod telemetry;
