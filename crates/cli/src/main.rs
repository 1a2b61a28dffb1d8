//! `xinfang`: run a node, one service, the migrations, or petition commands against a node.

mod closed_pipe;
mod commands;
mod node;

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    closed_pipe::stop_quietly_when_closed();
    commands::Cli::parse().run().await
}
