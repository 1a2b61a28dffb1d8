//! Running the dispatch service: its gRPC API, its subscription to intake's events, and (on
//! Kafka) its outbox relay. All stop when `shutdown` is cancelled.

use crate::api::DispatchApi;
use crate::intake_events::IntakeEvents;
use crate::store::{SERVICE, Store};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use xinfang_events::tasks::EventTasks;
use xinfang_platform::auth::Authenticator;
use xinfang_platform::clock::NodeClock;
use xinfang_platform::config::Settings;
use xinfang_platform::reference::ReferenceStore;
use xinfang_platform::server::GrpcServer;
use xinfang_proto::xinfang::dispatch::v1::dispatch_service_server::DispatchServiceServer;

pub async fn run(
    settings: &Settings,
    db: DatabaseConnection,
    reference: ReferenceStore,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let clock = NodeClock::new(&settings.clock).map_err(anyhow::Error::msg)?;
    let api = DispatchApi {
        store: Store::new(db.clone()),
        reference: reference.clone(),
        limits: settings.limits.clone(),
        clock,
        node: settings.node.region.clone(),
    };
    let handler = IntakeEvents {
        reference,
        limits: settings.limits.clone(),
        clock,
        node: settings.node.region.clone(),
    };
    let events = EventTasks::start(
        &settings.events,
        &db,
        SERVICE,
        &["intake"],
        handler,
        &shutdown,
    )?;
    let served = GrpcServer::new(Authenticator::new(&settings.auth))
        .add_service(DispatchServiceServer::new(api))
        .serve(listener, shutdown.clone().cancelled_owned())
        .await;
    shutdown.cancel();
    events.join().await?;
    Ok(served?)
}
