//! The gauges of a service's event plumbing, sampled from its database every
//! `telemetry.metrics_interval_secs`: events waiting for the broker and how long the oldest has
//! waited (`xinfang.outbox.unsent`, `xinfang.outbox.lag`; Kafka only — the embedded node's
//! outbox is its log), and events parked for a person (`xinfang.events.parked`).

use opentelemetry::KeyValue;
use sea_orm::DatabaseConnection;
use std::future::Future;
use std::time::Duration;
use xinfang_platform::metrics::{gauge, sample_every};

pub async fn run(
    db: DatabaseConnection,
    service: &'static str,
    relayed: bool,
    every: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let unsent = gauge(
        "xinfang.outbox.unsent",
        "{event}",
        "Events written to the service's outbox and not yet acknowledged by the broker",
    );
    let lag = gauge(
        "xinfang.outbox.lag",
        "s",
        "How long the oldest event not yet acknowledged by the broker has waited",
    );
    let parked = gauge(
        "xinfang.events.parked",
        "{event}",
        "Events the service's consumers parked and nobody replayed yet",
    );
    let attributes = &[KeyValue::new("xinfang.service", service)];
    let (db, unsent, lag, parked) = (&db, &unsent, &lag, &parked);
    sample_every(every, shutdown, || async move {
        if relayed {
            match crate::relay::backlog(db, service).await {
                Ok((count, oldest)) => {
                    unsent.record(count as f64, attributes);
                    let waited = oldest.map_or(0.0, |t| {
                        (chrono::Utc::now() - t).num_milliseconds().max(0) as f64 / 1000.0
                    });
                    lag.record(waited, attributes);
                }
                Err(err) => tracing::warn!(%err, "metrics: the outbox could not be read"),
            }
        }
        match crate::parked::waiting(db, service).await {
            Ok(count) => parked.record(count as f64, attributes),
            Err(err) => tracing::warn!(%err, "metrics: the parked events could not be read"),
        }
    })
    .await;
}
