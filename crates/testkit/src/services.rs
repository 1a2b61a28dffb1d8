//! Services spawned in the test process on random ports, with the same `run` functions the
//! `xinfang` binary uses.

use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use xinfang_platform::config::Settings;
use xinfang_platform::reference::ReferenceStore;
use xinfang_proto::xinfang::dispatch::v1::dispatch_service_client::DispatchServiceClient;
use xinfang_proto::xinfang::evaluation::v1::evaluation_service_client::EvaluationServiceClient;
use xinfang_proto::xinfang::exchange::v1::exchange_admin_service_client::ExchangeAdminServiceClient;
use xinfang_proto::xinfang::exchange::v1::exchange_service_client::ExchangeServiceClient;
use xinfang_proto::xinfang::intake::v1::Petition;
use xinfang_proto::xinfang::intake::v1::intake_service_client::IntakeServiceClient;
use xinfang_proto::xinfang::jointmeeting::v1::joint_meeting_service_client::JointMeetingServiceClient;
use xinfang_proto::xinfang::supervision::v1::supervision_service_client::SupervisionServiceClient;

pub struct RunningService {
    pub addr: SocketAddr,
    /// The service's reference data (reload it as SIGHUP would).
    pub reference: ReferenceStore,
    shutdown: CancellationToken,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
}

impl RunningService {
    /// Stops the service gracefully and waits for it (and its relay) to finish.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(handle) = self.handle.take() {
            handle
                .await
                .expect("service task")
                .expect("service ran cleanly");
        }
    }

    pub async fn dispatch_client(&self) -> DispatchServiceClient<Channel> {
        DispatchServiceClient::connect(format!("http://{}", self.addr))
            .await
            .expect("connect to dispatch")
    }

    pub async fn supervision_client(&self) -> SupervisionServiceClient<Channel> {
        SupervisionServiceClient::connect(format!("http://{}", self.addr))
            .await
            .expect("connect to supervision")
    }

    pub async fn evaluation_client(&self) -> EvaluationServiceClient<Channel> {
        EvaluationServiceClient::connect(format!("http://{}", self.addr))
            .await
            .expect("connect to evaluation")
    }

    pub async fn jointmeeting_client(&self) -> JointMeetingServiceClient<Channel> {
        JointMeetingServiceClient::connect(format!("http://{}", self.addr))
            .await
            .expect("connect to the joint meeting service")
    }

    pub async fn exchange_client(&self) -> ExchangeServiceClient<Channel> {
        ExchangeServiceClient::connect(format!("http://{}", self.addr))
            .await
            .expect("connect to the exchange")
    }

    pub async fn exchange_admin_client(&self) -> ExchangeAdminServiceClient<Channel> {
        ExchangeAdminServiceClient::connect(format!("http://{}", self.addr))
            .await
            .expect("connect to the exchange")
    }

    pub async fn intake_client(&self) -> IntakeServiceClient<Channel> {
        IntakeServiceClient::connect(format!("http://{}", self.addr))
            .await
            .expect("connect to intake")
    }

    /// A clerk of 长江街道 (east-t1) registers [`crate::wage_claim`] with idempotency key `key`,
    /// by the person numbered `n`; answers the petition as registered.
    pub async fn register_wage_claim(&self, key: &str, n: u32) -> Petition {
        self.intake_client()
            .await
            .register_petition(crate::authed(
                crate::wage_claim(key, &crate::resident_id(n)),
                &crate::token("east-t1"),
            ))
            .await
            .expect("the registration is accepted")
            .into_inner()
            .petition
            .expect("the registered petition")
    }
}

impl Drop for RunningService {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Settings for a service under test: this database, these brokers (none: the SQL log).
pub fn settings(database_url: &str, brokers: Option<&str>) -> Settings {
    settings_with(database_url, brokers, &[])
}

/// The same, with more overrides (a clock start, a limit).
pub fn settings_with(database_url: &str, brokers: Option<&str>, more: &[(&str, &str)]) -> Settings {
    let mut overrides = vec![
        ("database.url", database_url),
        ("events.relay_interval_ms", "50"),
        ("telemetry.log_filter", "info"),
    ];
    overrides.extend(crate::identity::overrides());
    if let Some(brokers) = brokers {
        overrides.push(("events.backend", "kafka"));
        overrides.push(("events.brokers", brokers));
    }
    overrides.extend_from_slice(more);
    Settings::load(&overrides).expect("test settings")
}

/// The process-wide telemetry of the test binary, as a service process has it.
fn telemetry(settings: &Settings) {
    static GUARD: std::sync::OnceLock<xinfang_platform::telemetry::TelemetryGuard> =
        std::sync::OnceLock::new();
    GUARD
        .get_or_init(|| xinfang_platform::telemetry::init(&settings.telemetry).expect("telemetry"));
}

pub async fn spawn_intake(settings: Settings) -> RunningService {
    spawn(settings, |s, db, r, l, t| async move {
        xinfang_intake::run::run(&s, db, r, l, t).await
    })
    .await
}

pub async fn spawn_dispatch(settings: Settings) -> RunningService {
    spawn(settings, |s, db, r, l, t| async move {
        xinfang_dispatch::run::run(&s, db, r, l, t).await
    })
    .await
}

pub async fn spawn_evaluation(settings: Settings) -> RunningService {
    spawn(settings, |s, db, r, l, t| async move {
        xinfang_evaluation::run::run(&s, db, r, l, t).await
    })
    .await
}

pub async fn spawn_jointmeeting(settings: Settings) -> RunningService {
    spawn(settings, |s, db, r, l, t| async move {
        xinfang_jointmeeting::run::run(&s, db, r, l, t).await
    })
    .await
}

/// The exchange, in the role its settings name (`exchange.role`).
pub async fn spawn_exchange(settings: Settings) -> RunningService {
    spawn(settings, |s, db, r, l, t| async move {
        xinfang_exchange::run::run(&s, db, r, l, t).await
    })
    .await
}

pub async fn spawn_supervision(settings: Settings) -> RunningService {
    spawn(settings, |s, db, r, l, t| async move {
        xinfang_supervision::run::run(&s, db, r, l, t).await
    })
    .await
}

async fn spawn<F, Fut>(settings: Settings, run: F) -> RunningService
where
    F: FnOnce(
        Settings,
        sea_orm::DatabaseConnection,
        ReferenceStore,
        TcpListener,
        CancellationToken,
    ) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    telemetry(&settings);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let addr = listener.local_addr().expect("bound address");
    let db = xinfang_platform::database::connect(&settings.database)
        .await
        .expect("service database");
    let reference =
        ReferenceStore::open(settings.reference.dir.as_deref()).expect("reference data");
    let shutdown = CancellationToken::new();
    let handle = tokio::spawn(run(
        settings,
        db,
        reference.clone(),
        listener,
        shutdown.clone(),
    ));
    RunningService {
        addr,
        reference,
        shutdown,
        handle: Some(handle),
    }
}
