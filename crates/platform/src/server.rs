//! The gRPC server bootstrap every service uses: health (liveness on "", readiness on each named
//! service, and `xinfang.calendar`, NOT_SERVING while the loaded holiday arrangements end within
//! 60 days), reflection v1 and v1alpha, trace context from the caller's metadata, and a graceful
//! shutdown that reports NOT_SERVING first and then drains the calls in flight.

use crate::auth::{Authenticator, Gate};
use crate::bounds::Bounds;
use crate::clock::NodeClock;
use crate::config::InputSettings;
use crate::reference::ReferenceStore;
use std::convert::Infallible;
use std::future::Future;
use tokio::net::TcpListener;
use tonic::body::Body;
use tonic::codegen::http;
use tonic::server::NamedService;
use tonic::service::RoutesBuilder;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use tower_service::Service;

pub struct GrpcServer {
    routes: RoutesBuilder,
    health: HealthReporter,
    names: Vec<&'static str>,
    auth: Authenticator,
    input: InputSettings,
    calendar: Option<(ReferenceStore, NodeClock)>,
    tls: Option<tonic::transport::ServerTlsConfig>,
}

/// Accepted connections with TCP_NODELAY: without it a small answer waits for the client's
/// delayed ACK (Nagle), about 40 ms per call for a single caller (issue #9).
/// The HTTP/2 flow-control window of a call: the largest message the bounds layer takes.
const WINDOW: u32 = 1 << 20;

fn accepted(listener: TcpListener) -> TcpIncoming {
    TcpIncoming::from(listener).with_nodelay(Some(true))
}

/// The health name that reports whether the holiday calendar reaches far enough ahead.
pub const CALENDAR_HEALTH: &str = "xinfang.calendar";

impl GrpcServer {
    /// Every call passes the gate: a token, when sent, must verify with `auth`, and the
    /// authorization policy must allow the call; then it is held to the [`Bounds`] of `input`.
    pub fn new(auth: Authenticator, input: &InputSettings) -> Self {
        let (health, health_service) = tonic_health::server::health_reporter();
        let mut routes = RoutesBuilder::default();
        routes.add_service(health_service);
        let reflection = || {
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(xinfang_proto::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        };
        const VALID: &str = "the descriptor sets are generated at build time and valid";
        routes.add_service(reflection().build_v1().expect(VALID));
        routes.add_service(reflection().build_v1alpha().expect(VALID));
        Self {
            routes,
            health,
            names: Vec::new(),
            auth,
            input: input.clone(),
            calendar: None,
            tls: None,
        }
    }

    /// Serves over TLS (the province link's hub, with its callers' certificates).
    pub fn tls(mut self, config: tonic::transport::ServerTlsConfig) -> Self {
        self.tls = Some(config);
        self
    }

    /// Reports on [`CALENDAR_HEALTH`] (and in the log) whether the loaded holiday arrangements
    /// end within 60 days of the node's today, at start, after each reload and daily.
    pub fn watch_calendar(mut self, reference: &ReferenceStore, clock: NodeClock) -> Self {
        self.calendar = Some((reference.clone(), clock));
        self
    }

    pub fn add_service<S>(mut self, service: S) -> Self
    where
        S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.names.push(S::NAME);
        self.routes.add_service(service);
        self
    }

    /// Serves until `shutdown` completes, then reports NOT_SERVING and drains.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), tonic::transport::Error> {
        for name in &self.names {
            self.health
                .set_service_status(name, ServingStatus::Serving)
                .await;
        }
        let calendar = self.calendar.map(|(reference, clock)| {
            tokio::spawn(report_calendar(self.health.clone(), reference, clock))
        });
        let health = self.health.clone();
        let names = self.names.clone();
        let started_draining = std::sync::Arc::new(tokio::sync::Notify::new());
        let notify = started_draining.clone();
        let draining = async move {
            shutdown.await;
            for name in names {
                health
                    .set_service_status(name, ServingStatus::NotServing)
                    .await;
            }
            tracing::info!("shutting down: NOT_SERVING, draining calls in flight");
            notify.notify_one();
        };
        let mut builder = tonic::transport::Server::builder();
        if let Some(tls) = self.tls {
            builder = builder.tls_config(tls)?;
        }
        let serving = builder
            // A batch (an exchange push, a large list) arrives in one window, not in 64 KiB
            // slices each waiting for the client's turn.
            .initial_stream_window_size(Some(WINDOW))
            .initial_connection_window_size(Some(2 * WINDOW))
            .trace_fn(crate::telemetry::grpc_request_span)
            .layer(crate::metrics::RpcMetrics::new())
            .layer(Gate::new(self.auth))
            .layer(Bounds::new(&self.input))
            .add_routes(self.routes.routes())
            .serve_with_incoming_shutdown(accepted(listener), draining);
        // A client that never closes its connection must not keep the process alive.
        let grace = async {
            started_draining.notified().await;
            tokio::time::sleep(DRAIN_GRACE).await;
            tracing::warn!("connections still open after {DRAIN_GRACE:?}; closing them");
        };
        let served = tokio::select! {
            served = serving => served,
            _ = grace => Ok(()),
        };
        if let Some(task) = calendar {
            task.abort();
        }
        served
    }
}

/// Keeps [`CALENDAR_HEALTH`] up to date (the process's start-up and reload say why in the log).
async fn report_calendar(health: HealthReporter, reference: ReferenceStore, clock: NodeClock) {
    let mut changes = reference.changes();
    loop {
        let status = match reference.calendar_warning(clock.today()) {
            Some(_) => ServingStatus::NotServing,
            None => ServingStatus::Serving,
        };
        health.set_service_status(CALENDAR_HEALTH, status).await;
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return },
            _ = tokio::time::sleep(std::time::Duration::from_secs(24 * 3600)) => {}
        }
    }
}

/// How long calls in flight may take to finish once shutdown began.
const DRAIN_GRACE: std::time::Duration = std::time::Duration::from_secs(20);

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing a SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
