//! Intake's errors and the one place they become gRPC statuses.

use tonic::Status;
use xinfang_domain::{FieldError, Refusal};
use xinfang_store::WriteError;

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The request is refused; the reason code travels in ErrorInfo.
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("stored data: {0}")]
    Corrupt(String),
    /// Over a limit of the citizen's calls: the status says when to try again.
    #[error("{0}")]
    Limited(#[from] Status),
}

impl From<Vec<FieldError>> for IntakeError {
    fn from(fields: Vec<FieldError>) -> Self {
        IntakeError::Refused(Refusal::invalid(fields))
    }
}

impl From<WriteError> for IntakeError {
    fn from(err: WriteError) -> Self {
        match err.into_refusal() {
            Ok(refusal) => IntakeError::Refused(refusal),
            Err(db) => IntakeError::Database(db),
        }
    }
}

impl From<IntakeError> for Status {
    fn from(err: IntakeError) -> Self {
        use xinfang_platform::error::{internal, refused};
        match err {
            IntakeError::Refused(refusal) => refused(&refusal),
            IntakeError::Database(e) => internal("intake storage", e),
            IntakeError::Corrupt(e) => internal("intake stored data", e),
            IntakeError::Limited(status) => status,
        }
    }
}
