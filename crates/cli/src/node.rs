//! Start-up shared by every command that runs services: settings, telemetry, database,
//! reference data, and the shutdown token that SIGTERM / Ctrl-C cancels.

use anyhow::Context;
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;
use xinfang_platform::clock::NodeClock;
use xinfang_platform::config::Settings;
use xinfang_platform::reference::ReferenceStore;
use xinfang_platform::telemetry::{self, TelemetryGuard};

pub struct Node {
    pub settings: Settings,
    pub db: DatabaseConnection,
    pub reference: ReferenceStore,
    pub shutdown: CancellationToken,
    _telemetry: TelemetryGuard,
}

impl Node {
    pub async fn start(overrides: &[(&str, &str)]) -> anyhow::Result<Self> {
        let settings = Settings::load(overrides).context("configuration")?;
        let telemetry = telemetry::init(&settings.telemetry)?;
        let reference = ReferenceStore::open(settings.reference.dir.as_deref())
            .map_err(|e| anyhow::anyhow!("reference data: {e}"))?;
        let db = xinfang_platform::database::connect(&settings.database)
            .await
            .with_context(|| format!("database.url {}", redact(&settings.database.url)))?;
        let clock = NodeClock::new(&settings.clock).map_err(anyhow::Error::msg)?;
        if let Some(warning) = reference.calendar_warning(clock.today()) {
            tracing::warn!("{warning}");
        }
        let shutdown = CancellationToken::new();
        tokio::spawn(on_signals(shutdown.clone(), reference.clone(), clock));
        Ok(Self {
            settings,
            db,
            reference,
            shutdown,
            _telemetry: telemetry,
        })
    }
}

/// SIGTERM / Ctrl-C stop the node; SIGHUP reloads the reference data.
async fn on_signals(shutdown: CancellationToken, reference: ReferenceStore, clock: NodeClock) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut hup) = signal(SignalKind::hangup()) {
            let reload = async move {
                while hup.recv().await.is_some() {
                    match reference.reload() {
                        Ok(()) => {
                            tracing::info!("reference data reloaded");
                            if let Some(warning) = reference.calendar_warning(clock.today()) {
                                tracing::warn!("{warning}");
                            }
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "reference data rejected; the previous data stays")
                        }
                    }
                }
            };
            tokio::select! {
                _ = xinfang_platform::server::shutdown_signal() => {}
                _ = reload => {}
            }
            shutdown.cancel();
            return;
        }
    }
    let _ = (&reference, clock);
    xinfang_platform::server::shutdown_signal().await;
    shutdown.cancel();
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***{}", &url[..scheme], &url[at..])
        }
        _ => url.to_owned(),
    }
}
