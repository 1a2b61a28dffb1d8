//! Supervision's errors and the one place they become gRPC statuses.

use tonic::Status;
use xinfang_domain::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum SupervisionError {
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Precondition(String),
    #[error("{0}")]
    PermissionDenied(String),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Internal(#[from] anyhow::Error),
}

impl SupervisionError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        SupervisionError::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<SupervisionError> for Status {
    fn from(err: SupervisionError) -> Self {
        use xinfang_platform::error::{internal, invalid_argument};
        match err {
            SupervisionError::Invalid(fields) => invalid_argument(&fields),
            SupervisionError::NotFound(m) => Status::not_found(m),
            SupervisionError::Precondition(m) => Status::failed_precondition(m),
            SupervisionError::PermissionDenied(m) => Status::permission_denied(m),
            SupervisionError::Database(e) => internal("supervision storage", e),
            SupervisionError::Internal(e) => internal("supervision", e),
        }
    }
}
