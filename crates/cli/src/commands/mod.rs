//! The command line.

mod audit;
mod bench;
mod case;
mod certs;
mod check;
mod connection;
mod dev;
mod events;
mod keys;
mod meeting;
mod migrate;
mod petition;
mod pii;
mod reception;
mod recount;
mod report;
mod review;
mod serve;
mod supervise;
mod token;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "xinfang",
    version,
    about = "信访 petition platform: run a node, a service, migrations, petition commands"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole node in one process on SQLite under ./data (the embedded default).
    Dev(dev::Args),
    /// Run one service (production: one process per service, migrations run beforehand).
    Serve(serve::Args),
    /// Apply pending migrations of every service, or of one.
    Migrate(migrate::Args),
    /// Sign a bearer token with the configured secret (embedded node and tests only).
    Token(token::Args),
    /// Fresh keys for a deployment: token signing key and JWKS, personal-data keys, a Secret.
    #[command(subcommand)]
    Keys(keys::Command),
    /// A dev CA and certificates for the province link's mutual TLS (hub and city nodes).
    Certs(certs::Args),
    /// Personal data on older keys, and its rotation onto the newest.
    #[command(subcommand)]
    Pii(pii::Command),
    /// Register, track, get and list petitions on a running node.
    #[command(subcommand)]
    Petition(petition::Command),
    /// Work queues, routing, acceptance, extension and answers on a running node.
    #[command(subcommand)]
    Case(case::Command),
    /// After the answer: evaluation, revisit, review, re-examination, hearing, termination.
    #[command(subcommand)]
    Review(review::Command),
    /// Joint meetings (联席会议): convene, agenda, decisions, follow-up, certified resolution.
    #[command(subcommand)]
    Meeting(meeting::Command),
    /// Leader receptions (领导接访 / 约访): the calendar, bookings, the items received.
    #[command(subcommand)]
    Reception(reception::Command),
    /// The annual report (年度信访工作报告) and the records behind each of its figures.
    #[command(subcommand)]
    Report(report::Command),
    /// Due and overdue items, supervision orders, metrics, the index and the monthly bulletin.
    #[command(subcommand)]
    Supervise(supervise::Command),
    /// What needs the operators: the calendar's reach, parked and unpublished events, registered
    /// items without a case.
    Check,
    /// Whether the audit logs are as the platform wrote them.
    #[command(subcommand)]
    Audit(audit::Command),
    /// Events parked because they can never apply as they are, and their replay.
    #[command(subcommand)]
    Events(events::Command),
    /// The load generator: register, get, track, list, pipeline; latency quantiles and errors.
    #[command(subcommand)]
    Bench(bench::Command),
    /// Rebuild supervision's metric counts after a change of a [default] metric definition
    /// (`--check`: compare them with a recount, changing nothing).
    Recount(recount::Args),
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Dev(args) => dev::run(args).await,
            Command::Serve(args) => serve::run(args).await,
            Command::Migrate(args) => migrate::run(args).await,
            Command::Token(args) => token::run(args),
            Command::Keys(command) => command.run(),
            Command::Certs(args) => certs::run(args),
            Command::Pii(command) => command.run().await,
            Command::Petition(command) => command.run().await,
            Command::Case(command) => command.run().await,
            Command::Review(command) => command.run().await,
            Command::Meeting(command) => command.run().await,
            Command::Reception(command) => command.run().await,
            Command::Report(command) => command.run().await,
            Command::Supervise(command) => command.run().await,
            Command::Check => check::run().await,
            Command::Events(command) => command.run().await,
            Command::Audit(command) => command.run().await,
            Command::Recount(args) => recount::run(args).await,
            Command::Bench(command) => command.run().await,
        }
    }
}
