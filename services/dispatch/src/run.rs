//! Running the dispatch service: its gRPC API, its subscription to intake's events, the recount
//! of provisional deadlines when the calendar changes, and (on Kafka) its outbox relay. All stop
//! when `shutdown` is cancelled.

use crate::api::DispatchApi;
use crate::cases::Cases;
use crate::intake_events::IntakeEvents;
use crate::queues::{Queues, SERVICE};
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
use xinfang_store::reference_updates::{self, Update};
use xinfang_store::{Audited, UnitOfWork};

/// The aggregates dispatch keeps, whose versions its audit log must reach.
pub const AUDITED: &[Audited] = &[Audited {
    kind: "case",
    table: "dispatch_case",
    id: "t.petition_id",
}];

/// The services whose events dispatch follows.
pub const SOURCES: &[&str] = &["intake"];

/// What every decision on a case is made with, from the node's settings.
pub fn cases(
    settings: &Settings,
    db: DatabaseConnection,
    reference: ReferenceStore,
) -> anyhow::Result<Cases> {
    Ok(Cases {
        uow: UnitOfWork::new(db.clone(), SERVICE, settings)?,
        queues: Queues::new(db),
        reference,
        limits: settings.limits(),
        clock: NodeClock::new(&settings.clock).map_err(anyhow::Error::msg)?,
        node: settings.node.region.clone(),
    })
}

/// Dispatch's handler of intake's events, as the service runs it (and `xinfang events replay`).
pub fn follower(
    settings: &Settings,
    db: DatabaseConnection,
    reference: ReferenceStore,
) -> anyhow::Result<IntakeEvents> {
    Ok(IntakeEvents {
        cases: cases(settings, db, reference)?,
    })
}

pub async fn run(
    settings: &Settings,
    db: DatabaseConnection,
    reference: ReferenceStore,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    // What the province sent down before, before any deadline is counted.
    reference_updates::restore(&db, SERVICE, &reference, &Update::ALL).await?;
    let handler = follower(settings, db.clone(), reference)?;
    let cases = handler.cases.clone();
    let events = EventTasks::start(settings, &db, SERVICE, SOURCES, handler, &shutdown).await?;
    let calendar = tokio::spawn(
        cases
            .clone()
            .follow_the_calendar(shutdown.clone().cancelled_owned()),
    );
    let auth = Authenticator::start(&settings.auth, settings.embedded()).await?;
    let served = GrpcServer::new(auth, &settings.input)
        .watch_calendar(&cases.reference, cases.clock)
        .add_service(DispatchServiceServer::new(DispatchApi { cases }))
        .serve(listener, shutdown.clone().cancelled_owned())
        .await;
    shutdown.cancel();
    events.join().await?;
    calendar.await?;
    Ok(served?)
}
