//! A Kafka consumer whose closing never blocks the runtime. librdkafka's close polls until the
//! group coordinator has answered the leave and the final commit — forever when the broker is
//! gone (rust-rdkafka #509) — and a tokio worker stuck there stops the whole process from
//! shutting down. The close therefore runs on a thread of its own; an orderly stop waits for it
//! a bounded time, a dropped consumer not at all.

use crate::lag::LagContext;
use rdkafka::consumer::StreamConsumer;

type Inner = StreamConsumer<LagContext>;
use std::ops::Deref;
use std::time::Duration;

pub struct GroupConsumer(Option<Inner>);

impl GroupConsumer {
    pub fn new(consumer: Inner) -> Self {
        Self(Some(consumer))
    }

    /// Closes the consumer (committing the stored offsets) and waits at most `wait` for it.
    /// Offsets not committed in time are redelivered later, where the inbox ignores them.
    pub async fn close(mut self, group: &str, wait: Duration) {
        let Some(closed) = self.close_on_own_thread() else {
            return;
        };
        if tokio::time::timeout(wait, closed).await.is_err() {
            tracing::warn!(
                %group,
                ?wait,
                "consumer: the broker did not answer the close in time; events applied since the last commit will be redelivered and skipped by the inbox"
            );
        }
    }

    /// Hands the consumer to a thread that drops (closes) it; completes when it is closed.
    fn close_on_own_thread(&mut self) -> Option<tokio::sync::oneshot::Receiver<()>> {
        let consumer = self.0.take()?;
        let (done, closed) = tokio::sync::oneshot::channel();
        let spawned = std::thread::Builder::new()
            .name("kafka-consumer-close".into())
            .spawn(move || {
                drop(consumer);
                let _ = done.send(());
            });
        if let Err(err) = spawned {
            tracing::warn!(%err, "consumer: no thread to close the consumer on; it is leaked");
        }
        Some(closed)
    }
}

impl Deref for GroupConsumer {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        self.0.as_ref().expect("a consumer until it is closed")
    }
}

impl Drop for GroupConsumer {
    fn drop(&mut self) {
        self.close_on_own_thread();
    }
}
