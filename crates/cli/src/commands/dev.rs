//! `xinfang dev`: every built service in one process, SQLite under ./data, the outbox tables as
//! the event log, the demo organisation. Nothing is lost across a restart: it is all in the file.

use crate::node::Node;
use anyhow::Context;
use tokio::net::TcpListener;

#[derive(clap::Args)]
pub struct Args {
    /// The data folder (SQLite file).
    #[arg(long, default_value = "data")]
    data: String,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let url = format!(
        "sqlite://{}/xinfang.db?mode=rwc",
        args.data.trim_end_matches('/')
    );
    let node = Node::start(&[("database.url", &url)]).await?;
    // The embedded default migrates at start; production runs `xinfang migrate` as a Job.
    xinfang_migrations::migrate_all(&node.db)
        .await
        .context("migrations")?;

    let intake_addr = node.settings.listen.intake;
    let intake = TcpListener::bind(intake_addr)
        .await
        .with_context(|| format!("listen.intake {intake_addr}"))?;
    println!("xinfang node {} ({})", node.settings.node.region, url);
    println!("  intake   grpc://{intake_addr}   xinfang.intake.v1.IntakeService");
    println!("  events   SQL log in the outbox tables of {url}");
    println!("  a clerk token:  xinfang token --unit city-xfj --role clerk");
    println!("Ctrl-C stops the node.");
    xinfang_intake::run::run(
        &node.settings,
        node.db.clone(),
        node.reference.clone(),
        intake,
        node.shutdown.clone(),
    )
    .await?;
    node.db.close().await?;
    Ok(())
}
