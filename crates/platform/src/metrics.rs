//! The platform's metrics (OpenTelemetry instruments, exported over OTLP by `telemetry::init`):
//! each RPC's duration and outcome by the semantic conventions (`rpc.server.duration`, whose
//! count is the request rate), and the gauges of the event plumbing and the watched clocks that
//! services sample from their databases (`xinfang.outbox.*`, `xinfang.events.parked`,
//! `xinfang.consumer.lag`, `xinfang.supervision.overdue`). Without an endpoint the instruments
//! are the global no-op ones.

use opentelemetry::metrics::{Gauge, Histogram};
use opentelemetry::{KeyValue, global};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tonic::codegen::http;
use tower_service::Service;

fn meter() -> opentelemetry::metrics::Meter {
    global::meter("xinfang")
}

/// A gauge of the service's state: `name` with `unit` and `description`.
pub fn gauge(name: &'static str, unit: &'static str, description: &'static str) -> Gauge<f64> {
    meter()
        .f64_gauge(name)
        .with_unit(unit)
        .with_description(description)
        .build()
}

/// Runs `sample` every `every` (the first time at once) until `shutdown`: how a service keeps
/// the gauges it reads from its database up to date.
pub async fn sample_every<F, S>(every: Duration, shutdown: impl Future<Output = ()>, sample: F)
where
    F: Fn() -> S,
    S: Future<Output = ()>,
{
    tokio::pin!(shutdown);
    let mut ticks = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            _ = ticks.tick() => {}
        }
        sample().await;
    }
}

/// Measures every call: `rpc.server.duration` (milliseconds) with `rpc.system`, `rpc.service`,
/// `rpc.method` and `rpc.grpc.status_code` (a refused call counts with its code).
#[derive(Clone)]
pub struct RpcMetrics {
    duration: Histogram<f64>,
}

impl RpcMetrics {
    pub fn new() -> Self {
        Self {
            duration: meter()
                .f64_histogram("rpc.server.duration")
                .with_unit("ms")
                .with_description("Duration of inbound RPCs")
                .build(),
        }
    }
}

impl Default for RpcMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> tower_layer::Layer<S> for RpcMetrics {
    type Service = Measured<S>;

    fn layer(&self, inner: S) -> Measured<S> {
        Measured {
            inner,
            metrics: self.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Measured<S> {
    inner: S,
    metrics: RpcMetrics,
}

/// `/package.Service/Method` → (`package.Service`, `Method`).
pub(crate) fn service_and_method(path: &str) -> (String, String) {
    let path = path.trim_start_matches('/');
    match path.split_once('/') {
        Some((service, method)) => (service.to_owned(), method.to_owned()),
        None => (path.to_owned(), String::new()),
    }
}

impl<S, B, R> Service<http::Request<B>> for Measured<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<R>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let (service, method) = service_and_method(request.uri().path());
        let started = Instant::now();
        let answer = self.inner.call(request);
        let duration = self.metrics.duration.clone();
        Box::pin(async move {
            let answer = answer.await;
            // A refusal comes as a trailers-only answer: its status is in the headers; an
            // answer without one carried OK (its status follows in the trailers).
            let code = match &answer {
                Ok(response) => response
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok()?.parse::<i64>().ok())
                    .unwrap_or(0),
                Err(_) => tonic::Code::Unknown as i64,
            };
            duration.record(
                started.elapsed().as_secs_f64() * 1000.0,
                &[
                    KeyValue::new("rpc.system", "grpc"),
                    KeyValue::new("rpc.service", service),
                    KeyValue::new("rpc.method", method),
                    KeyValue::new("rpc.grpc.status_code", code),
                ],
            );
            answer
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_names_its_service_and_method() {
        assert_eq!(
            service_and_method("/xinfang.intake.v1.IntakeService/RegisterPetition"),
            (
                "xinfang.intake.v1.IntakeService".to_owned(),
                "RegisterPetition".to_owned()
            )
        );
    }
}
