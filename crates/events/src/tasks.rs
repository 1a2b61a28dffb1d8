//! A service's event plumbing beside its API: its outbox relay (when the node runs Kafka) and its
//! subscription to other services' events, started together and joined together at shutdown.

use crate::consumer::EventHandler;
use sea_orm::DatabaseConnection;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use xinfang_platform::config::EventSettings;

pub struct EventTasks {
    relay: Option<JoinHandle<()>>,
    consumer: JoinHandle<anyhow::Result<()>>,
}

impl EventTasks {
    /// Starts `service`'s relay and its subscription to `sources` (its consumer group and inbox
    /// carry the service's name); both stop when `shutdown` is cancelled.
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
        Ok(Self { relay, consumer })
    }

    /// Waits for both to finish (after shutdown).
    pub async fn join(self) -> anyhow::Result<()> {
        self.consumer.await??;
        if let Some(relay) = self.relay {
            relay.await?;
        }
        Ok(())
    }
}
