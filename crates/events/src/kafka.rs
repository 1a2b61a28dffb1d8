//! Kafka client settings in one place: the idempotent producer (acks=all) the relay uses and the
//! consumer that stores offsets only after its transaction committed.

use rdkafka::ClientConfig;

pub fn producer_config(brokers: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("max.in.flight.requests.per.connection", "5")
        // A batch that cannot be delivered fails within this time and is retried from the outbox.
        .set("message.timeout.ms", "30000")
        .set("linger.ms", "5")
        .set("compression.type", "lz4");
    config
}

pub fn consumer_config(brokers: &str, group: &str, fetch_wait_ms: u64) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .set("enable.auto.commit", "true")
        .set("auto.commit.interval.ms", "1000")
        // Offsets are stored by hand, after the effect's transaction committed.
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "10000")
        // A handler gets `events.handler_time_limit_ms` (60 s) per event, then the event is
        // parked: the consumer polls again well within this.
        .set("max.poll.interval.ms", "300000")
        // How long the broker may hold a fetch while it has nothing new
        // (`events.fetch_wait_ms`).
        .set("fetch.wait.max.ms", fetch_wait_ms.to_string())
        .set("isolation.level", "read_committed")
        // Each partition's lag, for `xinfang.consumer.lag`.
        .set(
            "statistics.interval.ms",
            crate::lag::STATISTICS_MS.to_string(),
        );
    config
}
