//! Running the supervision service: its gRPC API, its subscription to intake's and dispatch's
//! events, the watcher, and (on Kafka) its outbox relay. All stop when `shutdown` is cancelled.

use crate::SERVICE;
use crate::api::SupervisionApi;
use crate::facts::Facts;
use crate::oversight::Oversight;
use crate::watch::Watcher;
use sea_orm::DatabaseConnection;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use xinfang_events::tasks::EventTasks;
use xinfang_platform::auth::Authenticator;
use xinfang_platform::clock::NodeClock;
use xinfang_platform::config::Settings;
use xinfang_platform::reference::ReferenceStore;
use xinfang_platform::server::GrpcServer;
use xinfang_proto::xinfang::supervision::v1::supervision_service_server::SupervisionServiceServer;
use xinfang_store::reference_updates::{self, Update};
use xinfang_store::{Audited, UnitOfWork};

/// The aggregates supervision keeps, whose versions its audit log must reach.
pub const AUDITED: &[Audited] = &[
    Audited {
        kind: "item",
        table: "supervision_item",
        id: "t.petition_id",
    },
    Audited {
        kind: "order",
        table: "supervision_order",
        id: "t.id",
    },
    Audited {
        kind: "backlog",
        table: "supervision_backlog_item",
        id: "t.list_id || '/' || t.petition_id",
    },
];

/// The services whose events supervision follows (evaluation: 参评率, 满意率, reviews;
/// jointmeeting: meetings and leader receptions for the annual report).
pub const SOURCES: &[&str] = &["intake", "dispatch", "evaluation", "jointmeeting"];

/// Supervision's handler of intake's and dispatch's events, as the service runs it (and
/// `xinfang events replay`).
pub fn follower(
    settings: &Settings,
    db: DatabaseConnection,
    reference: ReferenceStore,
) -> anyhow::Result<Facts> {
    Ok(Facts {
        oversight: Oversight {
            uow: UnitOfWork::new(db, SERVICE, settings)?,
            reference,
            settings: settings.supervision.clone(),
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
    // What the province sent down before, before any clock is watched.
    reference_updates::restore(&db, SERVICE, &reference, &Update::ALL).await?;
    let handler = follower(settings, db.clone(), reference)?;
    let oversight = handler.oversight.clone();
    let events = EventTasks::start(settings, &db, SERVICE, SOURCES, handler, &shutdown).await?;
    let watching = {
        let watcher = Watcher {
            oversight: oversight.clone(),
        };
        let stop = shutdown.clone();
        tokio::spawn(async move { watcher.run(stop.cancelled_owned()).await })
    };
    let overdue = tokio::spawn(crate::overdue_gauge::run(
        db.clone(),
        oversight.clock,
        Duration::from_secs(settings.telemetry.metrics_interval_secs.max(1)),
        shutdown.clone().cancelled_owned(),
    ));
    let auth = Authenticator::start(&settings.auth, settings.embedded()).await?;
    let served = GrpcServer::new(auth, &settings.input)
        .watch_calendar(&oversight.reference, oversight.clock)
        .add_service(SupervisionServiceServer::new(SupervisionApi { oversight }))
        .serve(listener, shutdown.clone().cancelled_owned())
        .await;
    shutdown.cancel();
    events.join().await?;
    watching.await?;
    overdue.await?;
    Ok(served?)
}
