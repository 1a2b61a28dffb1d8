//! Turning errors into gRPC statuses the same way everywhere: field violations as
//! `INVALID_ARGUMENT` with a `BadRequest` detail naming each field, and internal failures logged
//! here but never shown to the caller (no database message in a status).

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};
use xinfang_domain::FieldError;

/// `INVALID_ARGUMENT` naming every bad field in the message and in the details.
pub fn invalid_argument(errors: &[FieldError]) -> Status {
    let message = errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    let violations: Vec<FieldViolation> = errors
        .iter()
        .map(|e| FieldViolation::new(e.field.clone(), e.message.clone()))
        .collect();
    Status::with_error_details(
        Code::InvalidArgument,
        message,
        ErrorDetails::with_bad_request(violations),
    )
}

/// `INTERNAL` with a generic message; the cause goes to the log only.
pub fn internal(context: &str, error: impl std::fmt::Display) -> Status {
    tracing::error!(%error, "{context}");
    Status::internal(format!("{context} failed; the incident is logged"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_argument_names_each_field() {
        let status = invalid_argument(&[
            FieldError::new("region_code", "unknown region"),
            FieldError::new("petitioners[0].id_number", "bad check digit"),
        ]);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().contains("petitioners[0].id_number"));
        let details = status.get_error_details();
        assert_eq!(details.bad_request().unwrap().field_violations.len(), 2);
    }
}
