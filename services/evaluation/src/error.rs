//! Evaluation's errors and the one place they become gRPC statuses.

use tonic::Status;
use xinfang_domain::Refusal;
use xinfang_store::WriteError;

#[derive(Debug, thiserror::Error)]
pub enum EvaluationError {
    /// The request is refused; the reason code travels in ErrorInfo.
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
}

impl EvaluationError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        EvaluationError::Refused(Refusal::field(field, message))
    }
}

impl From<WriteError> for EvaluationError {
    fn from(err: WriteError) -> Self {
        match err.into_refusal() {
            Ok(refusal) => EvaluationError::Refused(refusal),
            Err(db) => EvaluationError::Database(db),
        }
    }
}

impl From<EvaluationError> for Status {
    fn from(err: EvaluationError) -> Self {
        use xinfang_platform::error::{internal, refused};
        match err {
            EvaluationError::Refused(refusal) => refused(&refusal),
            EvaluationError::Database(e) => internal("evaluation storage", e),
        }
    }
}
