//! Running the supervision service: its gRPC API, its subscription to intake's and dispatch's
//! events, the watcher, and (on Kafka) its outbox relay. All stop when `shutdown` is cancelled.

use crate::SERVICE;
use crate::api::SupervisionApi;
use crate::facts::Facts;
use crate::watch::Watcher;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use xinfang_events::tasks::EventTasks;
use xinfang_platform::auth::Authenticator;
use xinfang_platform::clock::NodeClock;
use xinfang_platform::config::Settings;
use xinfang_platform::reference::ReferenceStore;
use xinfang_platform::server::GrpcServer;
use xinfang_proto::xinfang::supervision::v1::supervision_service_server::SupervisionServiceServer;

pub async fn run(
    settings: &Settings,
    db: DatabaseConnection,
    reference: ReferenceStore,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let clock = NodeClock::new(&settings.clock).map_err(anyhow::Error::msg)?;
    let watcher = Arc::new(Watcher {
        db: db.clone(),
        reference: reference.clone(),
        settings: settings.supervision.clone(),
        limits: settings.limits.clone(),
        clock,
        node: settings.node.region.clone(),
    });
    let facts = Facts {
        reference,
        limits: settings.limits.clone(),
        clock,
        warn_days: settings.supervision.warn_days_before,
        definitions: settings.supervision.definitions,
    };
    let events = EventTasks::start(
        &settings.events,
        &db,
        SERVICE,
        &["intake", "dispatch"],
        facts,
        &shutdown,
    )?;
    let watching = {
        let watcher = watcher.clone();
        let stop = shutdown.clone();
        tokio::spawn(async move { watcher.run(stop.cancelled_owned()).await })
    };
    let api = SupervisionApi { db, watcher };
    let served = GrpcServer::new(Authenticator::new(&settings.auth))
        .add_service(SupervisionServiceServer::new(api))
        .serve(listener, shutdown.clone().cancelled_owned())
        .await;
    shutdown.cancel();
    events.join().await?;
    watching.await?;
    Ok(served?)
}
