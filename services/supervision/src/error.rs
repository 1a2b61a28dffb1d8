//! Supervision's errors and the one place they become gRPC statuses.

use tonic::Status;
use xinfang_domain::Refusal;
use xinfang_store::WriteError;

#[derive(Debug, thiserror::Error)]
pub enum SupervisionError {
    /// The request is refused; the reason code travels in ErrorInfo.
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Internal(#[from] anyhow::Error),
}

impl SupervisionError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        SupervisionError::Refused(Refusal::field(field, message))
    }
}

impl From<WriteError> for SupervisionError {
    fn from(err: WriteError) -> Self {
        match err.into_refusal() {
            Ok(refusal) => SupervisionError::Refused(refusal),
            Err(db) => SupervisionError::Database(db),
        }
    }
}

impl From<SupervisionError> for Status {
    fn from(err: SupervisionError) -> Self {
        use xinfang_platform::error::{internal, refused};
        match err {
            SupervisionError::Refused(refusal) => refused(&refusal),
            SupervisionError::Database(e) => internal("supervision storage", e),
            SupervisionError::Internal(e) => internal("supervision", e),
        }
    }
}
