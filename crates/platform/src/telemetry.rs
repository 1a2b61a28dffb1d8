//! Telemetry (architecture.md, Configuration and telemetry): `tracing` everywhere, pretty logs in
//! a terminal and JSON in Kubernetes, OpenTelemetry spans and metrics (`metrics`) exported over
//! OTLP when an endpoint is configured, and W3C trace context carried in gRPC metadata and Kafka
//! headers so that one petition's path through every service is one trace.

use crate::config::{LogFormat, TelemetrySettings};
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;
use tonic::codegen::http;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Flushes and shuts the exporters down when dropped.
pub struct TelemetryGuard {
    provider: SdkTracerProvider,
    meters: Option<SdkMeterProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Err(err) = self.provider.shutdown() {
            eprintln!("telemetry shutdown: {err}");
        }
        if let Some(Err(err)) = self.meters.as_ref().map(SdkMeterProvider::shutdown) {
            eprintln!("metrics shutdown: {err}");
        }
    }
}

/// Installs the global subscriber. A second call (tests) keeps the first subscriber.
pub fn init(settings: &TelemetrySettings) -> anyhow::Result<TelemetryGuard> {
    use opentelemetry_otlp::WithExportConfig;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(settings.service_name.clone())
        .build();
    let mut builder = SdkTracerProvider::builder().with_resource(resource.clone());
    let mut meters = None;
    if let Some(endpoint) = &settings.otlp_endpoint {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build()?;
        builder = builder.with_batch_exporter(exporter);
        let exporter = opentelemetry_otlp::MetricExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build()?;
        let reader = PeriodicReader::builder(exporter)
            .with_interval(Duration::from_secs(settings.metrics_interval_secs.max(1)))
            .build();
        let provider = SdkMeterProvider::builder()
            .with_resource(resource)
            .with_reader(reader)
            .build();
        opentelemetry::global::set_meter_provider(provider.clone());
        meters = Some(provider);
    }
    let provider = builder.build();
    let tracer = provider.tracer("xinfang");
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());

    let filter = EnvFilter::try_new(&settings.log_filter)
        .map_err(|e| anyhow::anyhow!("telemetry.log_filter: {e}"))?;
    let logs = match settings.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer().json().boxed(),
        // Colours only for a person at a terminal: a file, a pipe or a CI log gets plain text.
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .compact()
            .with_ansi(std::io::stdout().is_terminal())
            .boxed(),
    };
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(logs)
        .with(tracing_opentelemetry::layer().with_tracer(tracer))
        .try_init();
    Ok(TelemetryGuard { provider, meters })
}

/// The span of one gRPC call, a child of the caller's trace when its metadata carries one.
pub fn grpc_request_span(request: &http::Request<()>) -> tracing::Span {
    let (service, method) = crate::metrics::service_and_method(request.uri().path());
    // Semantic conventions for RPC: a server span named "<service>/<method>".
    let span = tracing::info_span!(
        "grpc",
        otel.name = %format!("{service}/{method}"),
        otel.kind = "server",
        rpc.system = "grpc",
        rpc.service = %service,
        rpc.method = %method,
    );
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(request.headers()));
    let _ = span.set_parent(parent);
    span
}

/// The current span's W3C trace context (`traceparent`, `tracestate`), for an event envelope or
/// an outgoing call.
pub fn current_trace_context() -> HashMap<String, String> {
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(
        &tracing::Span::current().context(),
        &mut MapInjector(&mut carrier),
    );
    carrier
}

/// Makes `span` a child of the trace context an event carried.
pub fn continue_trace(span: &tracing::Span, carrier: &HashMap<String, String>) {
    let parent = TraceContextPropagator::new().extract(&MapExtractor(carrier));
    let _ = span.set_parent(parent);
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

struct MapInjector<'a>(&'a mut HashMap<String, String>);

impl Injector for MapInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
}

struct MapExtractor<'a>(&'a HashMap<String, String>);

impl Extractor for MapExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}
