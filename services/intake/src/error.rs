//! Intake's errors and the one place they become gRPC statuses.

use tonic::Status;
use xinfang_domain::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    PermissionDenied(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("stored data: {0}")]
    Corrupt(String),
}

impl From<IntakeError> for Status {
    fn from(err: IntakeError) -> Self {
        use xinfang_platform::error::{internal, invalid_argument};
        match err {
            IntakeError::Invalid(fields) => invalid_argument(&fields),
            IntakeError::NotFound(m) => Status::not_found(m),
            IntakeError::AlreadyExists(m) => Status::already_exists(m),
            IntakeError::PermissionDenied(m) => Status::permission_denied(m),
            IntakeError::Unauthenticated(m) => Status::unauthenticated(m),
            IntakeError::Database(e) => internal("intake storage", e),
            IntakeError::Corrupt(e) => internal("intake stored data", e),
        }
    }
}

impl From<Vec<FieldError>> for IntakeError {
    fn from(fields: Vec<FieldError>) -> Self {
        IntakeError::Invalid(fields)
    }
}
