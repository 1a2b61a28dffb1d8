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
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let node = Node::start(&[]).await?;
    match args.service {
        Service::Intake => {
            let addr = node.settings.listen.intake;
            let listener = TcpListener::bind(addr)
                .await
                .with_context(|| format!("listen.intake {addr}"))?;
            tracing::info!(%addr, "intake serving");
            xinfang_intake::run::run(
                &node.settings,
                node.db.clone(),
                node.reference.clone(),
                listener,
                node.shutdown.clone(),
            )
            .await
        }
    }
}
