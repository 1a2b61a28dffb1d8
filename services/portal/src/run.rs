//! Running the portal: the pages, Open311, the CSRF check and the security headers on one HTTP
//! listener; stops when `shutdown` is cancelled.

use crate::backend::Backend;
use crate::state::{Inner, Portal};
use crate::{csrf, headers, open311, pages};
use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::get;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use xinfang_platform::auth::{Authenticator, SigningKey};
use xinfang_platform::clock::NodeClock;
use xinfang_platform::config::Settings;
use xinfang_platform::public_calls::TrustedProxies;
use xinfang_platform::reference::ReferenceStore;

pub async fn run(
    settings: &Settings,
    reference: ReferenceStore,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let embedded = settings.embedded();
    let portal = Portal::new(Inner {
        backend: Backend::new(settings)?,
        auth: Authenticator::start(&settings.auth, embedded).await?,
        auth_settings: settings.auth.clone(),
        dev_key: if embedded {
            Some(SigningKey::load_or_create(&settings.auth.dev_signing_key)?)
        } else {
            None
        },
        clock: NodeClock::new(&settings.clock).map_err(anyhow::Error::msg)?,
        reference,
        settings: settings.portal.clone(),
        warn_days: settings.supervision.warn_days_before,
        proxies: TrustedProxies::parse(&settings.public.trusted_proxies)
            .map_err(|e| anyhow::anyhow!("public.trusted_proxies: {e}"))?,
    });
    let app = router(portal);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown.cancelled_owned())
    .await?;
    Ok(())
}

/// Every route, with the CSRF check and the security headers around them, and a span per
/// request: method, path (never the query, which may hold a query code), status and latency.
pub fn router(portal: Portal) -> Router {
    let https = portal.settings.secure_cookies;
    let routes = pages::routes()
        .merge(open311::routes())
        .route("/healthz", get(|| async { "ok" }))
        .layer(axum::middleware::from_fn_with_state(
            portal.clone(),
            csrf::protect,
        ))
        .with_state(portal);
    headers::secure(routes, https).layer(
        TraceLayer::new_for_http()
            .make_span_with(|request: &Request<Body>| {
                tracing::info_span!(
                    "http",
                    otel.kind = "server",
                    method = %request.method(),
                    path = request.uri().path()
                )
            })
            .on_response(DefaultOnResponse::new().level(Level::INFO)),
    )
}
