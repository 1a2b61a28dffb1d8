//! Services as production runs them: each a `xinfang serve <service>` process of its own, with
//! its configuration in the environment (`XINFANG__SECTION__KEY`), the tests' identity provider
//! and keys, and a port of its own.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

pub struct ServiceProcess {
    pub addr: SocketAddr,
    child: Child,
}

/// A port on the loopback interface for a service to listen on, nobody listening there now.
/// Chosen below the range the kernel hands out to outgoing connections and to `bind(0)`
/// (32768–60999 by default): a port taken from that range and let go until the service binds
/// it was once taken meanwhile by a test's own connection (`Address already in use`). Never the
/// same twice in one test process.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<std::collections::BTreeSet<u16>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    loop {
        let port = rand::random_range(20_000..32_000);
        let mut given = GIVEN.lock().unwrap_or_else(|p| p.into_inner());
        if !given.contains(&port) && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            given.insert(port);
            return port;
        }
    }
}

/// The environment variable of a settings key: `clock.start` → `XINFANG__CLOCK__START`.
fn variable(key: &str) -> String {
    format!("XINFANG__{}", key.replace('.', "__").to_uppercase())
}

/// Starts `binary serve <service>` on this database and these brokers, with `more` settings
/// (`("clock.start", …)`), and waits until it listens.
pub async fn serve(
    binary: &Path,
    service: &str,
    database_url: &str,
    brokers: &str,
    more: &[(&str, &str)],
) -> ServiceProcess {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port())
        .parse()
        .expect("an address");
    serve_on(binary, service, addr, database_url, brokers, more).await
}

/// As [`serve`], on `addr` (a service started again where its clients expect it).
pub async fn serve_on(
    binary: &Path,
    service: &str,
    addr: SocketAddr,
    database_url: &str,
    brokers: &str,
    more: &[(&str, &str)],
) -> ServiceProcess {
    let listen = format!("listen.{service}");
    let addr_text = addr.to_string();
    let mut settings: Vec<(&str, &str)> = vec![
        ("database.url", database_url),
        ("events.backend", "kafka"),
        ("events.brokers", brokers),
        ("events.relay_interval_ms", "50"),
        ("telemetry.log_filter", "warn"),
        (&listen, &addr_text),
    ];
    settings.extend(crate::identity::overrides());
    settings.extend_from_slice(more);
    let mut command = Command::new(binary);
    command.args(["serve", service]).kill_on_drop(true);
    for (key, value) in settings {
        command.env(variable(key), value);
    }
    let child = command.spawn().expect("xinfang serve starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(
            Instant::now() < deadline,
            "xinfang serve {service} did not listen on {addr}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ServiceProcess { addr, child }
}

impl ServiceProcess {
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGTERM, then waits for the orderly stop (relay and consumer included).
    pub async fn stop(mut self) {
        let pid = self.child.id().expect("running").to_string();
        let signalled = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(signalled.success());
        let exit = tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .expect("the service stops within a minute")
            .expect("its exit status");
        assert!(exit.success(), "the service stopped cleanly: {exit}");
    }

    /// SIGHUP: the service reads its reference data again.
    pub fn reload(&self) {
        let pid = self.child.id().expect("running").to_string();
        let signalled = std::process::Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .expect("kill runs");
        assert!(signalled.success());
    }

    /// SIGKILL: the process dies where it stands, as a crashed pod does.
    pub async fn kill(mut self) {
        self.child.kill().await.expect("the service is killed");
    }
}
