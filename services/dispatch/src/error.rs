//! Dispatch's errors and the one place they become gRPC statuses.

use tonic::Status;
use xinfang_domain::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    NotFound(String),
    /// An illegal step: the item's state or the law does not allow it now.
    #[error("{0}")]
    Precondition(String),
    #[error("{0}")]
    PermissionDenied(String),
    #[error("the case changed while this step was being made; retry")]
    Conflict,
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Internal(String),
}

impl DispatchError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        DispatchError::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<DispatchError> for Status {
    fn from(err: DispatchError) -> Self {
        use xinfang_platform::error::{internal, invalid_argument};
        match err {
            DispatchError::Invalid(fields) => invalid_argument(&fields),
            DispatchError::NotFound(m) => Status::not_found(m),
            DispatchError::Precondition(m) => Status::failed_precondition(m),
            DispatchError::PermissionDenied(m) => Status::permission_denied(m),
            DispatchError::Conflict => Status::aborted(DispatchError::Conflict.to_string()),
            DispatchError::Database(e) => internal("dispatch storage", e),
            DispatchError::Internal(e) => internal("dispatch", e),
        }
    }
}

impl From<xinfang_domain::lifecycle::IllegalTransition> for DispatchError {
    fn from(err: xinfang_domain::lifecycle::IllegalTransition) -> Self {
        DispatchError::Precondition(err.to_string())
    }
}

impl From<xinfang_domain::clock::CalendarError> for DispatchError {
    fn from(err: xinfang_domain::clock::CalendarError) -> Self {
        DispatchError::Precondition(err.to_string())
    }
}
