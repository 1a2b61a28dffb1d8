//! A real Kafka-protocol broker per test: the tansu broker (memory storage) on a free port,
//! stopped and started again on the same port to test a broker outage. `TANSU_BIN` names the
//! binary (default: `tansu` on PATH, then `~/.cargo/bin/tansu`); `.ci/run` installs it.

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Broker {
    port: u16,
    child: Option<Child>,
}

fn binary() -> String {
    if let Ok(bin) = std::env::var("TANSU_BIN") {
        return bin;
    }
    let home = std::env::var("HOME").unwrap_or_default();
    let cargo_bin = format!("{home}/.cargo/bin/tansu");
    if std::path::Path::new(&cargo_bin).exists() {
        cargo_bin
    } else {
        "tansu".into()
    }
}

impl Broker {
    pub async fn start() -> Self {
        let port = crate::processes::free_port();
        let mut broker = Self { port, child: None };
        broker.resume().await;
        broker
    }

    /// A broker with the services' topics made, one partition each (a consumer subscribing to
    /// a topic that does not exist yet waits for it).
    pub async fn with_service_topics() -> Self {
        let broker = Self::start().await;
        for service in [
            "intake",
            "dispatch",
            "supervision",
            "evaluation",
            "jointmeeting",
        ] {
            broker
                .create_topic(&format!("xinfang.{service}.events"), 1)
                .await;
        }
        broker
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Kills the broker process (its memory storage goes with it).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the broker again on the same port and waits until it accepts connections.
    pub async fn resume(&mut self) {
        let url = format!("tcp://{}", self.address());
        let child = Command::new(binary())
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "memory://tansu/", "--silent"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the tansu broker must be installed (see .ci/run)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(self.address()).is_err() {
            assert!(
                Instant::now() < deadline,
                "tansu did not start listening on {}",
                self.address()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Creates a topic through the Kafka admin API.
    pub async fn create_topic(&self, name: &str, partitions: i32) {
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", self.address())
            .create()
            .expect("admin client");
        let results = admin
            .create_topics(
                &[NewTopic::new(name, partitions, TopicReplication::Fixed(1))],
                &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
            )
            .await
            .expect("create topics request");
        for result in results {
            if let Err((topic, code)) = result {
                assert_eq!(
                    code,
                    rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists,
                    "creating {topic}"
                );
            }
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}
