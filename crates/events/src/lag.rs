//! Consumer lag (`xinfang.consumer.lag`): how many events of each partition a service's consumer
//! group has still to take, from librdkafka's statistics (every `STATISTICS_MS`), so an operator
//! sees a service falling behind before its users do.

use opentelemetry::KeyValue;
use opentelemetry::metrics::Gauge;
use rdkafka::ClientContext;
use rdkafka::consumer::ConsumerContext;
use rdkafka::statistics::Statistics;

/// How often librdkafka reports its statistics, in milliseconds.
pub const STATISTICS_MS: u64 = 5_000;

/// The consumer's context: records each partition's lag as the statistics come.
pub struct LagContext {
    group: String,
    lag: Gauge<f64>,
}

impl LagContext {
    pub fn new(group: &str) -> Self {
        Self {
            group: group.to_owned(),
            lag: xinfang_platform::metrics::gauge(
                "xinfang.consumer.lag",
                "{event}",
                "Events of a partition the service's consumer group has not taken yet",
            ),
        }
    }
}

impl ClientContext for LagContext {
    fn stats(&self, statistics: Statistics) {
        for (topic, t) in &statistics.topics {
            // Partition -1 is librdkafka's placeholder for messages not yet partitioned.
            for p in t.partitions.values().filter(|p| p.partition >= 0) {
                if p.consumer_lag < 0 {
                    continue;
                }
                self.lag.record(
                    p.consumer_lag as f64,
                    &[
                        KeyValue::new("messaging.consumer.group.name", self.group.clone()),
                        KeyValue::new("messaging.destination.name", topic.clone()),
                        KeyValue::new(
                            "messaging.destination.partition.id",
                            p.partition.to_string(),
                        ),
                    ],
                );
            }
        }
    }
}

impl ConsumerContext for LagContext {}
