//! `xinfang`: run a node, one service, the migrations, or petition commands against a node.

mod commands;
mod node;

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    commands::Cli::parse().run().await
}
