//! Reading a topic back with a real Kafka consumer, as another service would.

use prost::Message as _;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use std::time::Duration;
use xinfang_events::Envelope;

/// One record as read: its key, the event id header, and the decoded envelope.
#[derive(Debug, Clone)]
pub struct Record {
    pub partition: i32,
    pub offset: i64,
    pub key: String,
    pub event_id_header: String,
    pub traceparent_header: String,
    pub envelope: Envelope,
    pub raw: Vec<u8>,
}

/// Reads `topic` from the beginning with a fresh group until `done` holds for what was read or
/// `seconds` pass; returns everything read.
pub async fn read_until(
    brokers: &str,
    topic: &str,
    seconds: u64,
    done: impl Fn(&[Record]) -> bool,
) -> Vec<Record> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("test-reader-{}", uuid::Uuid::new_v4()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("test consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    let mut records = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    while !done(&records) && tokio::time::Instant::now() < deadline {
        let Ok(Ok(message)) =
            tokio::time::timeout(Duration::from_millis(500), consumer.recv()).await
        else {
            continue;
        };
        let raw = message.payload().unwrap_or_default().to_vec();
        let header = |name: &str| {
            message
                .headers()
                .and_then(|h| {
                    use rdkafka::message::Headers;
                    h.iter().find(|h| h.key == name).and_then(|h| h.value)
                })
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .unwrap_or_default()
        };
        records.push(Record {
            partition: message.partition(),
            offset: message.offset(),
            key: message
                .key()
                .map(|k| String::from_utf8_lossy(k).into_owned())
                .unwrap_or_default(),
            event_id_header: header("event_id"),
            traceparent_header: header("traceparent"),
            envelope: Envelope::decode(raw.as_slice()).expect("an Envelope on the topic"),
            raw,
        });
    }
    records
}

/// The offsets consumer group `group` committed, by partition (-1: none).
pub fn committed(brokers: &str, group: &str, topic: &str, partitions: i32) -> Vec<i64> {
    let probe: rdkafka::consumer::BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .create()
        .expect("offset probe");
    let mut list = TopicPartitionList::new();
    for p in 0..partitions {
        list.add_partition(topic, p);
    }
    let committed = probe
        .committed_offsets(list, Duration::from_secs(5))
        .expect("committed offsets");
    (0..partitions)
        .map(
            |p| match committed.find_partition(topic, p).map(|e| e.offset()) {
                Some(Offset::Offset(o)) => o,
                _ => -1,
            },
        )
        .collect()
}

/// Whether consumer group `group` has committed offsets up to the end of every partition.
pub fn group_caught_up(brokers: &str, group: &str, topic: &str) -> bool {
    let probe: rdkafka::consumer::BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .create()
        .expect("offset probe");
    let timeout = Duration::from_secs(5);
    let Ok(metadata) = probe.fetch_metadata(Some(topic), timeout) else {
        return false;
    };
    let Some(partitions) = metadata
        .topics()
        .first()
        .map(|t| t.partitions().len() as i32)
    else {
        return false;
    };
    let mut list = TopicPartitionList::new();
    for p in 0..partitions {
        list.add_partition(topic, p);
    }
    let Ok(committed) = probe.committed_offsets(list, timeout) else {
        return false;
    };
    (0..partitions).all(|p| {
        let Ok((_, high)) = probe.fetch_watermarks(topic, p, timeout) else {
            return false;
        };
        let done = match committed.find_partition(topic, p).map(|e| e.offset()) {
            Some(Offset::Offset(o)) => o,
            _ => 0,
        };
        done >= high
    })
}

/// Publishes `events` to `topic` in order, keyed by petition, as a producing service's relay does.
pub async fn publish(brokers: &str, topic: &str, events: &[Envelope]) {
    use prost::Message as _;
    use rdkafka::producer::{FutureProducer, FutureRecord};
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("enable.idempotence", "true")
        .create()
        .expect("test producer");
    for envelope in events {
        producer
            .send(
                FutureRecord::to(topic)
                    .key(&envelope.petition_id)
                    .payload(&envelope.encode_to_vec()),
                Duration::from_secs(30),
            )
            .await
            .expect("published");
    }
}

/// Everything on `topic` now: reads until each partition's high watermark, as read at the start.
pub async fn read_all(brokers: &str, topic: &str) -> Vec<Record> {
    let probe: rdkafka::consumer::BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .expect("watermark probe");
    let timeout = Duration::from_secs(10);
    let metadata = probe
        .fetch_metadata(Some(topic), timeout)
        .expect("topic metadata");
    let partitions = metadata.topics()[0].partitions().len() as i32;
    let ends: Vec<i64> = (0..partitions)
        .map(|p| {
            probe
                .fetch_watermarks(topic, p, timeout)
                .expect("watermarks")
                .1
        })
        .collect();
    let total: i64 = ends.iter().sum();
    read_until(brokers, topic, 60, |r| r.len() as i64 >= total).await
}
