//! The joint meeting service's errors and the one place they become gRPC statuses.

use tonic::Status;
use xinfang_domain::Refusal;
use xinfang_store::WriteError;

#[derive(Debug, thiserror::Error)]
pub enum MeetingError {
    /// The request is refused; the reason code travels in ErrorInfo.
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// The minutes could not be written.
    #[error("minutes: {0}")]
    Minutes(#[from] docx_rs::DocxError),
}

impl MeetingError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        MeetingError::Refused(Refusal::field(field, message))
    }
}

impl From<WriteError> for MeetingError {
    fn from(err: WriteError) -> Self {
        match err.into_refusal() {
            Ok(refusal) => MeetingError::Refused(refusal),
            Err(db) => MeetingError::Database(db),
        }
    }
}

impl From<MeetingError> for Status {
    fn from(err: MeetingError) -> Self {
        use xinfang_platform::error::{internal, refused};
        match err {
            MeetingError::Refused(refusal) => refused(&refusal),
            MeetingError::Database(e) => internal("joint meeting storage", e),
            MeetingError::Minutes(e) => internal("writing the minutes", e),
        }
    }
}
