//! Staff sign in with the same bearer tokens the APIs take (the identity provider's; on the
//! embedded node, a dev login signs one with the node's own key). The token is kept in an
//! HttpOnly, SameSite=Strict cookie and sent with every call the user's pages make; the services
//! check it against the one authorization policy, so the portal decides nothing of who may do
//! what. The portal verifies it too, only to know whom to greet and where to send them.

use crate::layout::Frame;
use crate::state::Portal;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use xinfang_platform::auth::Caller;

pub const COOKIE: &str = "session";

/// The signed-in user's token and who they are, if the session cookie holds a valid token.
pub fn signed_in(parts: &Parts, portal: &Portal) -> Option<(String, Caller)> {
    let jar = CookieJar::from_headers(&parts.headers);
    let token = jar.get(COOKIE)?.value().to_owned();
    let caller = portal.auth.verify(&token).ok()?;
    Some((token, caller))
}

/// The session cookie holding `token`: gone when the browser closes, and worth nothing after
/// the token's own expiry.
pub fn cookie(portal: &Portal, token: String) -> Cookie<'static> {
    Cookie::build((COOKIE, token))
        .path("/")
        .http_only(true)
        .secure(portal.settings.secure_cookies)
        .same_site(SameSite::Strict)
        .build()
}

/// The cookie that ends the session.
pub fn ended() -> Cookie<'static> {
    Cookie::build((COOKIE, "")).path("/").build()
}

/// A signed-in user: their page frame, token and identity. Anyone else goes to the login page.
pub struct Staff {
    pub frame: Frame,
    pub token: String,
    pub caller: Caller,
}

impl FromRequestParts<Portal> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, portal: &Portal) -> Result<Self, Response> {
        let Ok(frame) = Frame::from_request_parts(parts, portal).await;
        match (frame.token.clone(), frame.who.clone()) {
            (Some(token), Some(caller)) => Ok(Staff {
                frame,
                token,
                caller,
            }),
            _ => Err(Redirect::to("/login").into_response()),
        }
    }
}
