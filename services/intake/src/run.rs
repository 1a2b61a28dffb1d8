//! Running the intake service: its gRPC API, its subscription to dispatch's and evaluation's
//! events (public steps, 终结) and, on a node linked to the province, the exchange's; and, when
//! events go to Kafka, its outbox relay. All stop when `shutdown` is cancelled.

use crate::api::IntakeApi;
use crate::case_numbers::CaseNumbers;
use crate::followed_steps::FollowedSteps;
use crate::store::{SERVICE, Store};
use sea_orm::DatabaseConnection;
use std::sync::Arc;
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
use xinfang_proto::xinfang::intake::v1::intake_service_server::IntakeServiceServer;
use xinfang_store::reference_updates::{self, Update};
use xinfang_store::{Audited, UnitOfWork};

/// The aggregates intake keeps, whose versions its audit log must reach.
pub const AUDITED: &[Audited] = &[Audited {
    kind: "petition",
    table: "intake_petition",
    id: "t.id",
}];

/// The services whose events intake follows: each public step of the item, and 终结.
pub const SOURCES: &[&str] = &["dispatch", "evaluation"];

/// Intake's handler of dispatch's and evaluation's events, as the service runs it (and `xinfang events replay`).
pub fn follower(
    settings: &Settings,
    db: DatabaseConnection,
    reference: ReferenceStore,
) -> anyhow::Result<FollowedSteps> {
    Ok(FollowedSteps {
        uow: UnitOfWork::new(db, SERVICE, settings)?,
        vault: PiiVault::new(&settings.pii)?,
        reference,
    })
}

pub async fn run(
    settings: &Settings,
    db: DatabaseConnection,
    reference: ReferenceStore,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    // What the province sent down before, before any registration is checked against it.
    reference_updates::restore(&db, SERVICE, &reference, &Update::ALL).await?;
    let handler = follower(settings, db.clone(), reference)?;
    let api = IntakeApi {
        store: Store::new(db.clone()),
        uow: handler.uow.clone(),
        reference: handler.reference.clone(),
        vault: handler.vault.clone(),
        policy: settings.screening.policy(),
        node: settings.node.region.clone(),
        public: PublicLimits::new(db.clone(), SERVICE, &settings.public),
        clock: NodeClock::new(&settings.clock).map_err(anyhow::Error::msg)?,
        case_numbers: Arc::new(CaseNumbers::new(db.clone())),
    };
    let events = EventTasks::start(settings, &db, SERVICE, SOURCES, handler, &shutdown).await?;
    let auth = Authenticator::start(&settings.auth, settings.embedded()).await?;
    let served = GrpcServer::new(auth, &settings.input)
        .watch_calendar(&api.reference, api.clock)
        .add_service(IntakeServiceServer::new(api))
        .serve(listener, shutdown.clone().cancelled_owned())
        .await;
    shutdown.cancel();
    events.join().await?;
    Ok(served?)
}
