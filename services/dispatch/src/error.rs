//! Dispatch's errors and the one place they become gRPC statuses.

use tonic::Status;
use xinfang_domain::Refusal;
use xinfang_store::WriteError;

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// The command is refused; the reason code travels in ErrorInfo.
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Internal(String),
}

impl From<WriteError> for DispatchError {
    fn from(err: WriteError) -> Self {
        match err.into_refusal() {
            Ok(refusal) => DispatchError::Refused(refusal),
            Err(db) => DispatchError::Database(db),
        }
    }
}

impl From<DispatchError> for Status {
    fn from(err: DispatchError) -> Self {
        use xinfang_platform::error::{internal, refused};
        match err {
            DispatchError::Refused(refusal) => refused(&refusal),
            DispatchError::Database(e) => internal("dispatch storage", e),
            DispatchError::Internal(e) => internal("dispatch", e),
        }
    }
}
