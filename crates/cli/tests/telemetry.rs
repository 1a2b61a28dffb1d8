//! One trace per petition, and the platform's metrics, as an OpenTelemetry collector receives
//! them: intake, dispatch and supervision as `xinfang serve` processes on PostgreSQL and the
//! Kafka-protocol broker, exporting over OTLP/gRPC to a real OTLP receiver (the
//! `opentelemetry-proto` crate's tonic services) in the test.

use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use std::sync::{Arc, Mutex};
use tonic::{Request, Response, Status};
use xinfang_testkit::broker::Broker;
use xinfang_testkit::database::TestDatabase;
use xinfang_testkit::processes;
use xinfang_testkit::{authed, eventually, resident_id, token, wage_claim};

/// A metric's data point as received: the service, the metric's name, its attributes.
struct Point {
    service: String,
    metric: String,
    attributes: Vec<(String, String)>,
}

/// What the collector received: spans as (service, trace id, span name), and metric points.
#[derive(Default)]
struct Received {
    spans: Mutex<Vec<(String, String, String)>>,
    points: Mutex<Vec<Point>>,
}

#[derive(Clone, Default)]
struct Collector(Arc<Received>);

fn text(value: &Option<AnyValue>) -> String {
    match value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        _ => String::new(),
    }
}

fn pairs(attributes: &[KeyValue]) -> Vec<(String, String)> {
    attributes
        .iter()
        .map(|a| (a.key.clone(), text(&a.value)))
        .collect()
}

fn service_name(attributes: &[KeyValue]) -> String {
    pairs(attributes)
        .into_iter()
        .find(|(k, _)| k == "service.name")
        .map(|(_, v)| v)
        .unwrap_or_default()
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let mut spans = self.0.spans.lock().unwrap();
        for resource in request.into_inner().resource_spans {
            let service =
                service_name(&resource.resource.map(|r| r.attributes).unwrap_or_default());
            for scope in resource.scope_spans {
                for span in scope.spans {
                    spans.push((service.clone(), hex::encode(&span.trace_id), span.name));
                }
            }
        }
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Collector {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        let mut points = self.0.points.lock().unwrap();
        for resource in request.into_inner().resource_metrics {
            let service =
                service_name(&resource.resource.map(|r| r.attributes).unwrap_or_default());
            for scope in resource.scope_metrics {
                for metric in scope.metrics {
                    let attributes: Vec<Vec<KeyValue>> = match &metric.data {
                        Some(Data::Histogram(h)) => {
                            h.data_points.iter().map(|p| p.attributes.clone()).collect()
                        }
                        Some(Data::Gauge(g)) => {
                            g.data_points.iter().map(|p| p.attributes.clone()).collect()
                        }
                        Some(Data::Sum(s)) => {
                            s.data_points.iter().map(|p| p.attributes.clone()).collect()
                        }
                        _ => Vec::new(),
                    };
                    for a in attributes {
                        points.push(Point {
                            service: service.clone(),
                            metric: metric.name.clone(),
                            attributes: pairs(&a),
                        });
                    }
                }
            }
        }
        Ok(Response::new(ExportMetricsServiceResponse::default()))
    }
}

impl Collector {
    /// Serves OTLP/gRPC on a free loopback port; its endpoint.
    async fn start(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let server = tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(self.clone()))
            .add_service(MetricsServiceServer::new(self.clone()))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener));
        tokio::spawn(server);
        endpoint
    }

    /// The distinct `pick` of the spans (service, trace id, name) that `keep` holds for.
    fn distinct(
        &self,
        keep: impl Fn(&(String, String, String)) -> bool,
        pick: impl Fn(&(String, String, String)) -> String,
    ) -> Vec<String> {
        let mut found: Vec<String> = self
            .0
            .spans
            .lock()
            .unwrap()
            .iter()
            .filter(|span| keep(span))
            .map(pick)
            .collect();
        found.sort();
        found.dedup();
        found
    }

    /// The services whose spans carry `trace`.
    fn traced(&self, trace: &str) -> Vec<String> {
        self.distinct(|(_, t, _)| t == trace, |(s, _, _)| s.clone())
    }

    /// The traces `service` sent spans of.
    fn traces_of(&self, service: &str) -> Vec<String> {
        self.distinct(|(s, _, _)| s == service, |(_, t, _)| t.clone())
    }

    /// Whether `service` sent a point of `metric` with every attribute of `with`.
    fn has(&self, service: &str, metric: &str, with: &[(&str, &str)]) -> bool {
        self.0.points.lock().unwrap().iter().any(|p| {
            p.service == service
                && p.metric == metric
                && with
                    .iter()
                    .all(|(k, v)| p.attributes.iter().any(|(ak, av)| ak == k && av == v))
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_petition_is_one_trace_across_services_and_the_metrics_reach_the_collector() {
    let db = TestDatabase::create().await;
    let broker = Broker::with_service_topics().await;
    let collector = Collector::default();
    let endpoint = collector.start().await;
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_xinfang"));
    let settings = [
        ("telemetry.otlp_endpoint", endpoint.as_str()),
        ("telemetry.metrics_interval_secs", "1"),
        ("telemetry.log_filter", "info"),
    ];
    let mut running = Vec::new();
    for service in ["intake", "dispatch", "supervision"] {
        running
            .push(processes::serve(binary, service, &db.url, &broker.address(), &settings).await);
    }
    let mut intake =
        xinfang_proto::xinfang::intake::v1::intake_service_client::IntakeServiceClient::connect(
            running[0].endpoint(),
        )
        .await
        .unwrap();

    // The clerk's client starts the trace; the registration carries it on.
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let mut request = authed(wage_claim("otel-1", &resident_id(930)), &token("east-t1"));
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{trace}-00f067aa0ba902b7-01").parse().unwrap(),
    );
    intake.register_petition(request).await.expect("registered");
    let mut bad = wage_claim("otel-2", &resident_id(931));
    bad.channel_code = "9999".into();
    let refused = intake
        .register_petition(authed(bad, &token("east-t1")))
        .await
        .expect_err("an unknown channel is refused");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);

    let all = ["xinfang-dispatch", "xinfang-intake", "xinfang-supervision"];
    let one_trace = eventually(60, || async {
        (collector.traced(trace) == all).then_some(())
    })
    .await;
    assert!(
        one_trace.is_some(),
        "the registration, its case and its watch are one trace: {:?}",
        collector.traced(trace)
    );

    let method = ("rpc.method", "RegisterPetition");
    // (service, metric, attributes its point carries)
    type Expected<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>);
    let expected: [Expected; 7] = [
        (
            "xinfang-intake",
            "rpc.server.duration",
            vec![
                ("rpc.system", "grpc"),
                method,
                ("rpc.grpc.status_code", "0"),
            ],
        ),
        (
            "xinfang-intake",
            "rpc.server.duration",
            vec![method, ("rpc.grpc.status_code", "3")],
        ),
        (
            "xinfang-intake",
            "xinfang.outbox.unsent",
            vec![("xinfang.service", "intake")],
        ),
        (
            "xinfang-intake",
            "xinfang.outbox.lag",
            vec![("xinfang.service", "intake")],
        ),
        (
            "xinfang-dispatch",
            "xinfang.events.parked",
            vec![("xinfang.service", "dispatch")],
        ),
        (
            "xinfang-dispatch",
            "xinfang.consumer.lag",
            vec![("messaging.destination.name", "xinfang.intake.events")],
        ),
        ("xinfang-supervision", "xinfang.supervision.overdue", vec![]),
    ];
    let arrived = eventually(60, || async {
        expected
            .iter()
            .all(|(s, m, a)| collector.has(s, m, a))
            .then_some(())
    })
    .await;
    let missing: Vec<_> = expected
        .iter()
        .filter(|(s, m, a)| !collector.has(s, m, a))
        .map(|(s, m, _)| format!("{s} {m}"))
        .collect();
    assert!(arrived.is_some(), "metrics missing: {missing:?}");

    // A citizen's submission through the portal: the page's request starts the trace, and the
    // registration, its case and its watch join it.
    let urls = [
        ("portal.intake_url", running[0].endpoint()),
        ("portal.dispatch_url", running[1].endpoint()),
        ("portal.supervision_url", running[2].endpoint()),
        ("portal.secure_cookies", "false".to_owned()),
    ];
    let mut portal_settings: Vec<(&str, &str)> = settings.to_vec();
    portal_settings.extend(urls.iter().map(|(k, v)| (*k, v.as_str())));
    let portal = processes::serve(
        binary,
        "portal",
        &db.url,
        &broker.address(),
        &portal_settings,
    )
    .await;
    let http = reqwest::Client::new();
    let form = http
        .get(format!("http://{}/submit", portal.addr))
        .send()
        .await
        .unwrap();
    let cookie = form.headers()["set-cookie"].to_str().unwrap().to_owned();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let csrf = cookie.trim_start_matches("csrf=").to_owned();
    let submitted = http
        .post(format!("http://{}/submit", portal.addr))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("key", "otel-portal"),
            ("name", "王小明"),
            ("id_number", &resident_id(932)),
            ("phone", "13912345678"),
            ("region", "340102001"),
            ("category", "020100"),
            ("title", "拖欠工资"),
            ("content", "拖欠工资三个月"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 200);
    let all = [
        "xinfang-dispatch",
        "xinfang-intake",
        "xinfang-portal",
        "xinfang-supervision",
    ];
    let joined = eventually(60, || async {
        collector
            .traces_of("xinfang-portal")
            .into_iter()
            .find(|t| collector.traced(t) == all)
    })
    .await;
    assert!(
        joined.is_some(),
        "the portal's request, the registration, its case and its watch are one trace: {:?}",
        collector
            .traces_of("xinfang-portal")
            .iter()
            .map(|t| collector.traced(t))
            .collect::<Vec<_>>()
    );
    portal.stop().await;

    for service in running {
        service.stop().await;
    }
}
