//! The portal's pages, by who reads them, and what they share.

mod board;
mod console;
mod dashboard;
mod login;
mod public;

use crate::layout::{Frame, STYLESHEET};
use crate::state::Portal;
use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use maud::{Markup, html};
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use xinfang_proto::xinfang::petition::v1::{IdType, PetitionState, Petitioner, Satisfaction};

pub use public::{ONLINE_CHANNEL, categories, regions};

pub fn routes() -> Router<Portal> {
    Router::new()
        .route("/", get(public::home))
        .route("/submit", get(public::submit_form).post(public::submit))
        .route("/track", get(public::track))
        .route(
            "/evaluate",
            get(public::evaluate_form).post(public::evaluate),
        )
        .route("/reception", get(public::reception))
        .route("/reception/book", post(public::book))
        .route("/login", get(login::form).post(login::sign_in))
        .route("/logout", post(login::sign_out))
        .route("/lang/{code}", get(login::language))
        .route("/console", get(console::queue))
        .route(
            "/console/register",
            get(console::register_form).post(console::register),
        )
        .route("/console/case/{id}", get(console::case))
        .route("/console/case/{id}/{action}", post(console::act))
        .route("/board", get(board::board))
        .route("/board/orders", post(board::issue))
        .route("/board/orders/{id}/reply", post(board::reply))
        .route("/dashboard", get(dashboard::dashboard))
        .route("/dashboard/items", get(dashboard::drill))
        .route("/dashboard/bulletin", get(dashboard::bulletin))
        .route("/dashboard/annual", get(dashboard::annual))
        .route("/static/site.css", get(stylesheet))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
}

/// The citizen's address: the peer's, or the one a trusted proxy (the ingress) names.
pub struct Citizen(pub IpAddr);

impl FromRequestParts<Portal> for Citizen {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, portal: &Portal) -> Result<Self, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let forwarded = parts
            .headers
            .get(xinfang_platform::public_calls::FORWARDED_FOR)
            .and_then(|v| v.to_str().ok());
        Ok(Citizen(portal.proxies.client(peer, forwarded)))
    }
}

/// The one petitioner a form names, with a resident ID, living where the matter is.
pub fn petitioner(name: String, id_number: String, phone: String, region: &str) -> Petitioner {
    Petitioner {
        name,
        id_type: IdType::ResidentId as i32,
        id_number,
        phone,
        region_code: region.to_owned(),
        ..Default::default()
    }
}

/// A state on the wire as people read it.
pub fn state_label(state: i32) -> &'static str {
    PetitionState::try_from(state)
        .ok()
        .and_then(xinfang_proto::convert::state_from_wire)
        .map(|s| s.label())
        .unwrap_or("—")
}

/// Three radio buttons: 满意 / 基本满意 / 不满意.
pub fn satisfaction_choice(frame: &Frame, name: &str, legend: &str) -> Markup {
    let t = |zh, en| frame.t(zh, en);
    html! {
        fieldset {
            legend { (legend) " *" }
            @for (value, label) in [
                (Satisfaction::Satisfied, t("满意", "Satisfied")),
                (Satisfaction::BasicallySatisfied, t("基本满意", "Basically satisfied")),
                (Satisfaction::Dissatisfied, t("不满意", "Dissatisfied")),
            ] {
                label.choice { input type="radio" name=(name) value=(value as i32) required; (label) }
            }
        }
    }
}
