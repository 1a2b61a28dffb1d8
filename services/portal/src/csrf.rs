//! CSRF protection of every form (double-submit): each browser gets a random `csrf` cookie
//! (HttpOnly, SameSite=Strict), every form carries its value in a hidden field, and a POST whose
//! field does not match the cookie is refused before any handler runs. Open311 is exempt: its
//! clients are programs that send no cookies, so a forged cross-site request carries no
//! credential there to abuse.

use crate::state::Portal;
use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use maud::{Markup, html};
use std::convert::Infallible;

const COOKIE: &str = "csrf";
pub const FIELD: &str = "csrf";
/// The largest form the portal takes (a petition's content is at most a few thousand characters).
const FORM_LIMIT: usize = 256 * 1024;

/// This browser's token, for the hidden field of the forms a page renders.
#[derive(Clone)]
pub struct CsrfToken(pub String);

impl CsrfToken {
    pub fn field(&self) -> Markup {
        html! { input type="hidden" name=(FIELD) value=(self.0); }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(parts
            .extensions
            .get::<CsrfToken>()
            .cloned()
            .unwrap_or(CsrfToken(String::new())))
    }
}

/// The middleware: hands out the token, checks it on every POST outside Open311.
pub async fn protect(State(portal): State<Portal>, request: Request, next: Next) -> Response {
    let jar = CookieJar::from_headers(request.headers());
    let known = jar.get(COOKIE).map(|c| c.value().to_owned());
    let token = known
        .clone()
        .unwrap_or_else(|| xinfang_platform::codes::generate(32));
    let (mut parts, body) = request.into_parts();
    let body = if parts.method == Method::POST && !parts.uri.path().starts_with("/open311/") {
        let Ok(bytes) = to_bytes(body, FORM_LIMIT).await else {
            return refused(StatusCode::PAYLOAD_TOO_LARGE);
        };
        let sent = form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == FIELD)
            .map(|(_, v)| v.into_owned());
        if known.is_none() || sent != known {
            return refused(StatusCode::FORBIDDEN);
        }
        Body::from(bytes)
    } else {
        body
    };
    parts.extensions.insert(CsrfToken(token.clone()));
    let response = next.run(Request::from_parts(parts, body)).await;
    if known.is_some() {
        return response;
    }
    let cookie = Cookie::build((COOKIE, token))
        .path("/")
        .http_only(true)
        .secure(portal.settings.secure_cookies)
        .same_site(SameSite::Strict)
        .build();
    (CookieJar::new().add(cookie), response).into_response()
}

fn refused(status: StatusCode) -> Response {
    let page = html! {
        (maud::DOCTYPE)
        html lang="zh-CN" {
            head { meta charset="utf-8"; title { "表单已失效" } link rel="stylesheet" href="/static/site.css"; }
            body { main {
                h1 { "表单已失效 · The form has expired" }
                p { "请返回上一页，刷新后重新提交。" }
                p lang="en" { "Go back, reload the page and send the form again." }
            } }
        }
    };
    (status, page).into_response()
}
