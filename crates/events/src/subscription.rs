//! Subscribing a service's handler to other services' events, whichever log the node runs:
//! Kafka topics, or the outbox tables (the embedded default). Services do not know which.

use crate::consumer::{EventConsumer, EventHandler};
use crate::envelope::topic_of;
use crate::sql_log::SqlLogConsumer;
use sea_orm::DatabaseConnection;
use std::future::Future;
use std::time::Duration;
use xinfang_platform::config::{EventBackend, EventSettings};

/// Runs `handler` on the events of `sources` (producing services) until `shutdown`.
/// `service` owns the inbox; `group` names the consumer (the Kafka consumer group).
pub async fn subscribe<H: EventHandler>(
    settings: &EventSettings,
    db: DatabaseConnection,
    service: &str,
    group: &str,
    sources: &[&str],
    handler: H,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    match settings.backend {
        EventBackend::Kafka => {
            let topics: Vec<String> = sources.iter().map(|s| topic_of(s)).collect();
            let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
            EventConsumer::new(db, service, group, settings, &topics, handler)?
                .run(shutdown)
                .await;
        }
        EventBackend::Sql => {
            let interval = Duration::from_millis(settings.relay_interval_ms);
            SqlLogConsumer::new(db, service, group, sources, handler, interval)
                .within(Duration::from_millis(settings.handler_time_limit_ms))
                .batch(settings.consumer_batch as usize)
                .run(shutdown)
                .await;
        }
    }
    Ok(())
}

/// [`subscribe`] on its own task, for a service's run function.
pub fn spawn<H: EventHandler + 'static>(
    settings: &EventSettings,
    db: DatabaseConnection,
    service: &'static str,
    group: &'static str,
    sources: Vec<&'static str>,
    handler: H,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> tokio::task::JoinHandle<anyhow::Result<()>> {
    let settings = settings.clone();
    tokio::spawn(async move {
        subscribe(&settings, db, service, group, &sources, handler, shutdown).await
    })
}
