//! Turning errors into gRPC statuses the same way everywhere: a refusal carries its stable reason
//! (`XF_…`) in `google.rpc.ErrorInfo`, bad fields in a `BadRequest` detail, and the readable
//! message; internal failures are logged here but never shown to the caller (no database
//! message in a status).

use std::collections::HashMap;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};
use xinfang_domain::refusal::Kind;
use xinfang_domain::{FieldError, Refusal};

/// The `ErrorInfo` domain of the platform's reasons.
pub const ERROR_DOMAIN: &str = "xinfang";

/// The status of a refused command: its code from the reason, the reason in `ErrorInfo`, the
/// fields in `BadRequest`.
pub fn refused(refusal: &Refusal) -> Status {
    let code = match refusal.reason.kind() {
        Kind::InvalidArgument => Code::InvalidArgument,
        Kind::NotFound => Code::NotFound,
        Kind::AlreadyExists => Code::AlreadyExists,
        Kind::PermissionDenied => Code::PermissionDenied,
        Kind::FailedPrecondition => Code::FailedPrecondition,
        Kind::Aborted => Code::Aborted,
        Kind::ResourceExhausted => Code::ResourceExhausted,
        Kind::Unauthenticated => Code::Unauthenticated,
    };
    let mut details = ErrorDetails::new();
    details.set_error_info(refusal.reason.code(), ERROR_DOMAIN, HashMap::new());
    if !refusal.fields.is_empty() {
        details.set_bad_request(
            refusal
                .fields
                .iter()
                .map(|e| FieldViolation::new(e.field.clone(), e.message.clone()))
                .collect::<Vec<_>>(),
        );
    }
    Status::with_error_details(code, refusal.message.clone(), details)
}

/// `INVALID_ARGUMENT` naming every bad field in the message and in the details.
pub fn invalid_argument(errors: &[FieldError]) -> Status {
    refused(&Refusal::invalid(errors.to_vec()))
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
        assert_eq!(details.error_info().unwrap().reason, "XF_INVALID_ARGUMENT");
    }

    #[test]
    fn a_refusal_carries_its_stable_reason() {
        let status = refused(&Refusal::new(
            xinfang_domain::Reason::ExtensionAlreadyGranted,
            "the handling limit was already extended once",
        ));
        assert_eq!(status.code(), Code::FailedPrecondition);
        let info = status.get_error_details().error_info().unwrap().clone();
        assert_eq!(info.reason, "XF_EXTENSION_ALREADY_GRANTED");
        assert_eq!(info.domain, ERROR_DOMAIN);
    }
}
