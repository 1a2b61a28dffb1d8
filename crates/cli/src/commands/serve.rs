//! `xinfang serve <service>`: one service per process, configured by file and environment.

use crate::node::Node;
use anyhow::Context;
use tokio::net::TcpListener;

#[derive(clap::Args)]
pub struct Args {
    #[arg(value_enum)]
    service: Service,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Service {
    Intake,
    Dispatch,
    Supervision,
    Evaluation,
    Jointmeeting,
    /// The province exchange: a node's link, or the hub (`exchange.role`).
    Exchange,
    /// The web portal (HTTP): the citizen's pages, the staff console, Open311.
    Portal,
}

impl Service {
    /// The name its traces and metrics carry (`service.name`).
    fn telemetry_name(self) -> &'static str {
        match self {
            Service::Intake => "xinfang-intake",
            Service::Dispatch => "xinfang-dispatch",
            Service::Supervision => "xinfang-supervision",
            Service::Evaluation => "xinfang-evaluation",
            Service::Jointmeeting => "xinfang-jointmeeting",
            Service::Exchange => "xinfang-exchange",
            Service::Portal => "xinfang-portal",
        }
    }
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let node = Node::start(&[("telemetry.service_name", args.service.telemetry_name())]).await?;
    node.settings
        .refuse_built_in_secrets()
        .map_err(|e| anyhow::anyhow!("refusing to start: {e}"))?;
    let (s, db, r, stop) = (
        &node.settings,
        node.db.clone(),
        node.reference.clone(),
        node.shutdown.clone(),
    );
    match args.service {
        Service::Intake => {
            let listener = bind("listen.intake", s.listen.intake).await?;
            xinfang_intake::run::run(s, db, r, listener, stop).await
        }
        Service::Dispatch => {
            let listener = bind("listen.dispatch", s.listen.dispatch).await?;
            xinfang_dispatch::run::run(s, db, r, listener, stop).await
        }
        Service::Supervision => {
            let listener = bind("listen.supervision", s.listen.supervision).await?;
            xinfang_supervision::run::run(s, db, r, listener, stop).await
        }
        Service::Evaluation => {
            let listener = bind("listen.evaluation", s.listen.evaluation).await?;
            xinfang_evaluation::run::run(s, db, r, listener, stop).await
        }
        Service::Jointmeeting => {
            let listener = bind("listen.jointmeeting", s.listen.jointmeeting).await?;
            xinfang_jointmeeting::run::run(s, db, r, listener, stop).await
        }
        Service::Exchange => {
            let listener = bind("listen.exchange", s.listen.exchange).await?;
            xinfang_exchange::run::run(s, db, r, listener, stop).await
        }
        Service::Portal => {
            let listener = bind("listen.portal", s.listen.portal).await?;
            xinfang_portal::run::run(s, r, listener, stop).await
        }
    }
}

pub async fn bind(key: &str, addr: std::net::SocketAddr) -> anyhow::Result<TcpListener> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("{key} {addr}"))?;
    tracing::info!(%addr, "{key}: serving");
    Ok(listener)
}
