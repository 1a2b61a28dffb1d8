//! What a page shows when a call is refused: the service's own message and, for bad input, each
//! field it names — the same words the API gives, never a stack trace. An expired or missing
//! login goes back to the login page.

use crate::layout::plain_page;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use tonic::Code;
use tonic_types::StatusExt;

#[derive(Debug)]
pub enum PageError {
    /// A service refused the call.
    Refused(tonic::Status),
    /// The request itself is wrong (a page's own check, before any call).
    BadRequest(String),
    NotFound,
}

impl From<tonic::Status> for PageError {
    fn from(status: tonic::Status) -> Self {
        PageError::Refused(status)
    }
}

pub type PageResult<T = Response> = Result<T, PageError>;

/// The HTTP status of a gRPC code.
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::InvalidArgument | Code::OutOfRange => StatusCode::BAD_REQUEST,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::FailedPrecondition | Code::Aborted => StatusCode::CONFLICT,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unavailable | Code::DeadlineExceeded => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_GATEWAY,
    }
}

/// Each bad field of a refusal, as `field: why`.
pub fn field_errors(status: &tonic::Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|b| {
            b.field_violations
                .iter()
                .map(|v| format!("{}: {}", v.field, v.description))
                .collect()
        })
        .unwrap_or_default()
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, message, fields) = match self {
            PageError::Refused(s) if s.code() == Code::Unauthenticated => {
                return Redirect::to("/login").into_response();
            }
            PageError::Refused(s) => {
                if matches!(s.code(), Code::Unavailable | Code::Unknown | Code::Internal) {
                    tracing::warn!(code = ?s.code(), message = s.message(), "a service call failed");
                }
                (
                    http_status(s.code()),
                    s.message().to_owned(),
                    field_errors(&s),
                )
            }
            PageError::BadRequest(message) => (StatusCode::BAD_REQUEST, message, Vec::new()),
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "没有这个页面 · No such page".to_owned(),
                Vec::new(),
            ),
        };
        let body = html! {
            h1 { "未能完成 · Not done" }
            p.error role="alert" { (message) }
            @if !fields.is_empty() {
                ul.error { @for f in &fields { li { (f) } } }
            }
            p { "请返回上一页修改后重试。" span lang="en" { " Go back, correct it and try again." } }
        };
        (status, plain_page("未能完成 · Not done", body)).into_response()
    }
}
