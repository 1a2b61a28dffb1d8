//! A service's event plumbing beside its API: its outbox relay (when the node runs Kafka), its
//! subscription to other services' events and the retention of its event rows, started together
//! and joined together at shutdown.

use crate::consumer::EventHandler;
use sea_orm::DatabaseConnection;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use xinfang_platform::config::EventSettings;

pub struct EventTasks {
    relay: Option<JoinHandle<()>>,
    consumer: JoinHandle<anyhow::Result<()>>,
    retention: JoinHandle<()>,
}

impl EventTasks {
    /// Starts `service`'s relay, its subscription to `sources` (its consumer group and inbox
    /// carry the service's name) and its retention sweep; all three stop when `shutdown` is
    /// cancelled.
    pub fn start<H: EventHandler + 'static>(
        settings: &EventSettings,
        db: &DatabaseConnection,
        service: &'static str,
        sources: &'static [&'static str],
        handler: H,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<Self> {
        let relay = crate::relay::spawn(
            settings,
            db.clone(),
            service,
            shutdown.clone().cancelled_owned(),
        )?;
        let consumer = crate::subscription::spawn(
            settings,
            db.clone(),
            service,
            service,
            sources,
            handler,
            shutdown.clone().cancelled_owned(),
        );
        let retention = tokio::spawn(crate::retention::run(
            db.clone(),
            service,
            settings.retention_days,
            shutdown.clone().cancelled_owned(),
        ));
        Ok(Self {
            relay,
            consumer,
            retention,
        })
    }

    /// Waits for all three to finish (after shutdown).
    pub async fn join(self) -> anyhow::Result<()> {
        self.consumer.await??;
        self.retention.await?;
        if let Some(relay) = self.relay {
            relay.await?;
        }
        Ok(())
    }
}
