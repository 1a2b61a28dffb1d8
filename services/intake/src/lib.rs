//! 受理登记 — the intake service: registers petitions from every channel, screens them (repeat,
//! terminated matter, statutory route, bypass visit, group, urgent), numbers them, gives the
//! petitioner a query code, and announces each registration on `xinfang.intake.events`.

pub mod api;
mod case_numbers;
mod entity;
mod error;
pub mod followed_steps;
pub mod pii_rotation;
mod query_code;
mod registration;
mod repository;
pub mod run;
mod scope;
mod sealed_at;
pub mod store;
mod wire;

pub use api::IntakeApi;
pub use error::IntakeError;
pub use xinfang_proto::xinfang::intake::v1::intake_service_server::IntakeServiceServer;
