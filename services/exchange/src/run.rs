//! Running the exchange service: in node role its numbering of this node's events, its pusher
//! and its operators' API; in hub role the provincial side's API. All stop when `shutdown` is
//! cancelled.

use crate::SERVICE;
use crate::admin::Admin;
use crate::credential::Credential;
use crate::follow::Numbering;
use crate::hub::Hub;
use crate::mapping::SentTables;
use crate::pull::Puller;
use crate::push::Pusher;
use sea_orm::DatabaseConnection;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use xinfang_events::tasks::EventTasks;
use xinfang_platform::auth::Authenticator;
use xinfang_platform::config::{ExchangeRole, Settings};
use xinfang_platform::pii::PiiVault;
use xinfang_platform::reference::ReferenceStore;
use xinfang_platform::server::GrpcServer;
use xinfang_proto::xinfang::exchange::v1::exchange_admin_service_server::ExchangeAdminServiceServer;
use xinfang_proto::xinfang::exchange::v1::exchange_service_server::ExchangeServiceServer;
use xinfang_store::reference_updates::{self, Update};

/// The services whose events a node sends to the province.
pub const SOURCES: &[&str] = &["intake", "dispatch", "evaluation"];

/// The node's handler of those events, as the service runs it (and `xinfang events replay`),
/// with the code tables the province sent down.
pub async fn follower(
    db: &DatabaseConnection,
    reference: ReferenceStore,
) -> anyhow::Result<Numbering> {
    Ok(Numbering {
        reference,
        sent: SentTables::load(db).await?,
    })
}

pub async fn run(
    settings: &Settings,
    db: DatabaseConnection,
    reference: ReferenceStore,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let x = &settings.exchange;
    let node = x.role == ExchangeRole::Node;
    if node {
        // The organisation the province sent before, before anything is registered with it.
        reference_updates::restore(&db, SERVICE, &reference, &[Update::Organisation]).await?;
    }
    let numbering = follower(&db, reference.clone()).await?;
    let sent = numbering.sent.clone();
    let events = if node {
        Some(EventTasks::start(settings, &db, SERVICE, SOURCES, numbering, &shutdown).await?)
    } else {
        None
    };
    let tls = x.tls.enabled();
    if !tls && (!node || !x.hub_url.is_empty()) {
        // Assigned items cross the link with the petitioners' numbers in full.
        tracing::warn!(
            "exchange: the province link runs without mutual TLS (exchange.tls.*): use it \
             wherever the link leaves a trusted network"
        );
    }
    let hub = Credential {
        url: x.hub_url.clone(),
        token_file: x.token_file.clone(),
        setting: "exchange.token_file",
        tls: (node && tls)
            .then(|| crate::tls::client(&x.tls))
            .transpose()?,
    };
    let linked = node && !x.hub_url.is_empty();
    // The node's intake registers what comes down and hands over what goes to another city.
    let intake = (!x.intake_url.is_empty()).then(|| Credential {
        url: x.intake_url.clone(),
        token_file: x.node_token_file.clone(),
        setting: "exchange.node_token_file",
        tls: None,
    });
    let pushing = linked.then(|| {
        let pusher = Pusher {
            db: db.clone(),
            hub: hub.clone(),
            intake: intake.clone(),
            node: settings.node.region.clone(),
            interval: Duration::from_millis(x.push_interval_ms),
            batch: u64::from(x.batch.max(1)),
        };
        tokio::spawn(pusher.run(shutdown.clone()))
    });
    if linked && x.intake_url.is_empty() {
        tracing::warn!(
            "exchange.intake_url is not set: the node does not pull its queue, and transfers to \
             other cities wait"
        );
    }
    let pulling = intake.filter(|_| linked).map(|intake| {
        let puller = Puller {
            db: db.clone(),
            hub,
            intake,
            reference: reference.clone(),
            sent: sent.clone(),
            node: settings.node.region.clone(),
            interval: Duration::from_millis(x.push_interval_ms),
            batch: x.batch.max(1),
        };
        tokio::spawn(puller.run(shutdown.clone()))
    });
    let auth = Authenticator::start(&settings.auth, settings.embedded()).await?;
    let mut server = GrpcServer::new(auth, &settings.input);
    if !node && tls {
        server = server.tls(crate::tls::server(&x.tls)?);
    }
    let served = server
        .add_service(ExchangeServiceServer::new(Hub {
            db: db.clone(),
            reference: reference.clone(),
            vault: PiiVault::new(&settings.pii)?,
            serving: !node,
            mutual_tls: !node && tls,
        }))
        .add_service(ExchangeAdminServiceServer::new(Admin {
            db,
            reference,
            sent,
        }))
        .serve(listener, shutdown.clone().cancelled_owned())
        .await;
    shutdown.cancel();
    if let Some(events) = events {
        events.join().await?;
    }
    for task in [pushing, pulling].into_iter().flatten() {
        task.await?;
    }
    Ok(served?)
}
