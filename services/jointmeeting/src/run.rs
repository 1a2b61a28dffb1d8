//! Running the joint meeting service: its gRPC API, its subscription to intake's events (the
//! node's items), and (on Kafka) its outbox relay. All stop when `shutdown` is cancelled.

use crate::SERVICE;
use crate::api::JointMeetingApi;
use crate::follow::Items;
use sea_orm::DatabaseConnection;
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
use xinfang_proto::xinfang::jointmeeting::v1::joint_meeting_service_server::JointMeetingServiceServer;
use xinfang_store::reference_updates::{self, Update};
use xinfang_store::{Audited, UnitOfWork};

/// The aggregate the joint meeting service keeps, whose versions its audit log must reach.
pub const AUDITED: &[Audited] = &[
    Audited {
        kind: "meeting",
        table: "jointmeeting_meeting",
        id: "t.id",
    },
    Audited {
        kind: "roster",
        table: "jointmeeting_roster",
        id: "t.id",
    },
    Audited {
        kind: "reception",
        table: "jointmeeting_reception",
        id: "t.id",
    },
];

/// The services whose events the joint meeting service follows.
pub const SOURCES: &[&str] = &["intake"];

/// The handler of intake's events, as the service runs it (and `xinfang events replay`).
pub fn follower(reference: ReferenceStore) -> Items {
    Items { reference }
}

pub async fn run(
    settings: &Settings,
    db: DatabaseConnection,
    reference: ReferenceStore,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    // What the province sent down before, before any call is answered.
    reference_updates::restore(&db, SERVICE, &reference, &Update::ALL).await?;
    let items = follower(reference.clone());
    let api = JointMeetingApi {
        uow: UnitOfWork::new(db.clone(), SERVICE, settings)?,
        reference,
        clock: NodeClock::new(&settings.clock).map_err(anyhow::Error::msg)?,
        vault: PiiVault::new(&settings.pii)?,
        public: PublicLimits::new(db.clone(), SERVICE, &settings.public),
    };
    let events = EventTasks::start(settings, &db, SERVICE, SOURCES, items, &shutdown).await?;
    let auth = Authenticator::start(&settings.auth, settings.embedded()).await?;
    let served = GrpcServer::new(auth, &settings.input)
        .watch_calendar(&api.reference, api.clock)
        .add_service(JointMeetingServiceServer::new(api))
        .serve(listener, shutdown.clone().cancelled_owned())
        .await;
    shutdown.cancel();
    events.join().await?;
    Ok(served?)
}
