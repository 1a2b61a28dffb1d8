//! Running the evaluation service: its gRPC API, its subscription to intake's and dispatch's
//! events (and on a node linked to the province, the exchange's), the watcher that closes items whose window passed, and (on Kafka) its outbox relay.
//! All stop when `shutdown` is cancelled.

use crate::SERVICE;
use crate::api::EvaluationApi;
use crate::desk::Desk;
use crate::follow::Follower;
use crate::watch::Watcher;
use sea_orm::DatabaseConnection;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use xinfang_events::tasks::EventTasks;
use xinfang_platform::auth::Authenticator;
use xinfang_platform::clock::NodeClock;
use xinfang_platform::config::Settings;
use xinfang_platform::pii::PiiVault;
use xinfang_platform::public_calls::PublicLimits;
use xinfang_platform::reference::ReferenceStore;
use xinfang_platform::server::GrpcServer;
use xinfang_proto::xinfang::evaluation::v1::evaluation_service_server::EvaluationServiceServer;
use xinfang_store::reference_updates::{self, Update};
use xinfang_store::{Audited, UnitOfWork};

/// The aggregate evaluation keeps, whose versions its audit log must reach.
pub const AUDITED: &[Audited] = &[Audited {
    kind: "evaluation",
    table: "evaluation_item",
    id: "t.petition_id",
}];

/// The services whose events evaluation follows.
pub const SOURCES: &[&str] = &["intake", "dispatch"];

/// Evaluation's handler of intake's and dispatch's events, as the service runs it (and
/// `xinfang events replay`).
pub fn follower(
    settings: &Settings,
    db: DatabaseConnection,
    reference: ReferenceStore,
) -> anyhow::Result<Follower> {
    Ok(Follower {
        desk: Desk {
            uow: UnitOfWork::new(db, SERVICE, settings)?,
            reference,
            limits: settings.limits(),
            clock: NodeClock::new(&settings.clock).map_err(anyhow::Error::msg)?,
        },
    })
}

pub async fn run(
    settings: &Settings,
    db: DatabaseConnection,
    reference: ReferenceStore,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    // What the province sent down before, before any window is counted.
    reference_updates::restore(&db, SERVICE, &reference, &Update::ALL).await?;
    let handler = follower(settings, db.clone(), reference)?;
    let desk = handler.desk.clone();
    let api = EvaluationApi {
        desk: desk.clone(),
        vault: PiiVault::new(&settings.pii)?,
        public: PublicLimits::new(db.clone(), SERVICE, &settings.public),
    };
    let events = EventTasks::start(settings, &db, SERVICE, SOURCES, handler, &shutdown).await?;
    let watching = {
        let watcher = Watcher {
            desk: desk.clone(),
            interval: Duration::from_millis(settings.supervision.sweep_interval_ms),
        };
        let stop = shutdown.clone();
        tokio::spawn(async move { watcher.run(stop.cancelled_owned()).await })
    };
    let auth = Authenticator::start(&settings.auth, settings.embedded()).await?;
    let served = GrpcServer::new(auth, &settings.input)
        .watch_calendar(&desk.reference, desk.clock)
        .add_service(EvaluationServiceServer::new(api))
        .serve(listener, shutdown.clone().cancelled_owned())
        .await;
    shutdown.cancel();
    events.join().await?;
    watching.await?;
    Ok(served?)
}
