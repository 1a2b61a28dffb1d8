//! Running the intake service: its gRPC API, its subscription to dispatch's events (public
//! steps), and, when events go to Kafka, its outbox relay. All stop when `shutdown` is cancelled.

use crate::api::IntakeApi;
use crate::dispatch_events::DispatchEvents;
use crate::store::{SERVICE, Store};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use xinfang_events::tasks::EventTasks;
use xinfang_platform::auth::Authenticator;
use xinfang_platform::clock::NodeClock;
use xinfang_platform::config::Settings;
use xinfang_platform::pii::PiiVault;
use xinfang_platform::public_calls::PublicCallLimiter;
use xinfang_platform::reference::ReferenceStore;
use xinfang_platform::server::GrpcServer;
use xinfang_proto::xinfang::intake::v1::intake_service_server::IntakeServiceServer;
use xinfang_store::UnitOfWork;

pub async fn run(
    settings: &Settings,
    db: DatabaseConnection,
    reference: ReferenceStore,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let uow = UnitOfWork::new(db.clone(), SERVICE, &settings.node.region);
    let api = IntakeApi {
        store: Store::new(db.clone()),
        uow: uow.clone(),
        reference,
        vault: PiiVault::new(&settings.pii)?,
        policy: settings.screening.policy(),
        node: settings.node.region.clone(),
        public_calls: PublicCallLimiter::per_minute(settings.auth.public_calls_per_minute),
        clock: NodeClock::new(&settings.clock).map_err(anyhow::Error::msg)?,
    };
    let handler = DispatchEvents {
        uow,
        vault: api.vault.clone(),
        reference: api.reference.clone(),
    };
    let events = EventTasks::start(
        &settings.events,
        &db,
        SERVICE,
        &["dispatch"],
        handler,
        &shutdown,
    )?;
    let auth = Authenticator::new(&settings.auth);
    let served = GrpcServer::new(auth)
        .add_service(IntakeServiceServer::new(api))
        .serve(listener, shutdown.clone().cancelled_owned())
        .await;
    shutdown.cancel();
    events.join().await?;
    Ok(served?)
}
