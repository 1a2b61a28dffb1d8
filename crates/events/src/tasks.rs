//! A service's event plumbing beside its API: its outbox relay (when the node runs Kafka), its
//! subscription to other services' events, the retention of its event rows and the sampling of
//! their gauges, started together and joined together at shutdown.

use crate::consumer::EventHandler;
use sea_orm::DatabaseConnection;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use xinfang_platform::config::{EventBackend, Settings};

pub struct EventTasks {
    relay: Option<JoinHandle<()>>,
    consumer: JoinHandle<anyhow::Result<()>>,
    retention: JoinHandle<()>,
    gauges: JoinHandle<()>,
}

/// The services whose events `service` follows: its own `sources`, and on a node linked to the
/// province the exchange too (what the province sends down: calendars, the organisation, the
/// steps of transferred items).
pub fn following(node: &Settings, service: &str, sources: &[&'static str]) -> Vec<&'static str> {
    let mut all = sources.to_vec();
    if !node.exchange.hub_url.is_empty() && service != "exchange" && !all.contains(&"exchange") {
        all.push("exchange");
    }
    all
}

impl EventTasks {
    /// Starts `service`'s relay, its subscription to `sources` (its consumer group and inbox
    /// carry the service's name), its retention sweep and its gauges; all stop when `shutdown`
    /// is cancelled.
    pub async fn start<H: EventHandler + 'static>(
        node: &Settings,
        db: &DatabaseConnection,
        service: &'static str,
        sources: &[&'static str],
        handler: H,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<Self> {
        let settings = &node.events;
        let relay = crate::relay::spawn(
            settings,
            &node.database,
            service,
            shutdown.clone().cancelled_owned(),
        )
        .await?;
        let consumer = crate::subscription::spawn(
            settings,
            db.clone(),
            service,
            service,
            following(node, service, sources),
            handler,
            shutdown.clone().cancelled_owned(),
        );
        let retention = tokio::spawn(crate::retention::run(
            db.clone(),
            service,
            settings.retention_days,
            shutdown.clone().cancelled_owned(),
        ));
        let gauges = tokio::spawn(crate::gauges::run(
            db.clone(),
            service,
            settings.backend == EventBackend::Kafka,
            Duration::from_secs(node.telemetry.metrics_interval_secs.max(1)),
            shutdown.clone().cancelled_owned(),
        ));
        Ok(Self {
            relay,
            consumer,
            retention,
            gauges,
        })
    }

    /// Waits for all of them to finish (after shutdown).
    pub async fn join(self) -> anyhow::Result<()> {
        self.consumer.await??;
        self.retention.await?;
        self.gauges.await?;
        if let Some(relay) = self.relay {
            relay.await?;
        }
        Ok(())
    }
}
