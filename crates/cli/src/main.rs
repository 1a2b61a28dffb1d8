//! `xinfang`: run a node, one service, the migrations, or petition commands against a node.

mod closed_pipe;
mod commands;
mod node;

use clap::Parser;

/// mimalloc instead of glibc's allocator: a registration allocates and frees thousands of small
/// buffers (statements, rows, messages), and glibc's malloc and free took about 6 % of the
/// machine in intake at 32 concurrent registrations (issue #9).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    closed_pipe::stop_quietly_when_closed();
    commands::Cli::parse().run().await
}
