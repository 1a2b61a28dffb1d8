//! `xinfang bench …`: the load generator. Drives a running intake over gRPC as clerks and citizens
//! would, and reports latency quantiles, errors by status code and the rate; `register --ceiling`
//! also measures what PostgreSQL alone does with the same rows, `pipeline` how long an item takes
//! to become a case. Figures in the README come from here.

mod calls;
mod ceiling;
mod exchange;
mod load;
mod pipeline;
mod report;

use super::connection::{Connection, request};
use anyhow::Context;
use calls::{Intake, code, register, registration};
use load::{Plan, drive};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use xinfang_platform::config::Settings;
use xinfang_proto::xinfang::intake::v1::{
    GetPetitionRequest, ListPetitionsRequest, TrackByQueryCodeRequest,
};

#[derive(clap::Subcommand)]
pub enum Command {
    /// RegisterPetition (登记), each call a new person's first petition.
    Register {
        #[command(flatten)]
        conn: Connection,
        #[command(flatten)]
        plan: Plan,
        /// Then run the same rows as raw SQL with pgbench (bench/ceiling-registration.sql) at the
        /// same concurrency and time, and print the ratio.
        #[arg(long)]
        ceiling: bool,
        /// The node's database, for --ceiling; defaults to database.url.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// GetPetition of items registered first (--seed of them).
    Get(Reads),
    /// TrackByQueryCode (查询码) of items registered first, as citizens do (no token).
    Track(Reads),
    /// ListPetitions, the first page of the caller's scope.
    List {
        #[command(flatten)]
        conn: Connection,
        #[command(flatten)]
        plan: Plan,
    },
    /// Records from a node to the provincial hub (数据交换) on PostgreSQL: records/s, and the time
    /// the node takes to go on after the hub is killed in the middle.
    Exchange(exchange::Args),
    /// Registrations (use --rate), then the time from each one's PetitionRegistered to dispatch's
    /// CaseOpened, from the events' outbox timestamps.
    Pipeline {
        #[command(flatten)]
        conn: Connection,
        #[command(flatten)]
        plan: Plan,
        /// The node's database (PostgreSQL); defaults to database.url.
        #[arg(long)]
        database_url: Option<String>,
    },
}

/// Reads of items the run registers first.
#[derive(clap::Args)]
pub struct Reads {
    #[command(flatten)]
    conn: Connection,
    #[command(flatten)]
    plan: Plan,
    /// Items registered before the load (not measured), read in turn.
    #[arg(long, default_value_t = 200)]
    seed: u64,
}

impl Command {
    pub async fn run(self) -> anyhow::Result<()> {
        let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
        match self {
            Command::Exchange(args) => exchange::run(args).await?,
            Command::Register {
                conn,
                plan,
                ceiling,
                database_url,
            } => {
                let (intake, token) = connect(&conn).await?;
                let report = drive(&plan, move |n| {
                    let (intake, token, run) = (intake.clone(), token.clone(), run.clone());
                    async move {
                        register(intake, &token, registration(&run, n))
                            .await
                            .map(drop)
                    }
                })
                .await;
                println!("register, c={}: {report}", plan.concurrency);
                if ceiling {
                    let seconds = report.elapsed.as_secs().max(1);
                    let url = database_url_or_configured(database_url)?;
                    let tps = ceiling::measure(&url, plan.concurrency, seconds).await?;
                    println!(
                        "raw ceiling (pgbench, the same four rows, c={}, {seconds} s): {tps:.0} tx/s; \
                         intake reaches {:.2} of it",
                        plan.concurrency,
                        report.rate() / tps
                    );
                }
            }
            Command::Get(Reads { conn, plan, seed }) => {
                let (intake, token) = connect(&conn).await?;
                let items = Arc::new(seed_items(&intake, &token, &run, seed).await?);
                let report = drive(&plan, move |n| {
                    let (mut intake, token, items) = (intake.clone(), token.clone(), items.clone());
                    async move {
                        let id = items[n as usize % items.len()].0.clone();
                        let message = request(GetPetitionRequest { id }, &token)
                            .map_err(|e| e.to_string())?;
                        intake.get_petition(message).await.map(drop).map_err(code)
                    }
                })
                .await;
                println!("get, c={}: {report}", plan.concurrency);
            }
            Command::Track(Reads { conn, plan, seed }) => {
                let (intake, token) = connect(&conn).await?;
                let items = Arc::new(seed_items(&intake, &token, &run, seed).await?);
                let report = drive(&plan, move |n| {
                    let (mut intake, items) = (intake.clone(), items.clone());
                    async move {
                        let query_code = items[n as usize % items.len()].1.clone();
                        let message = tonic::Request::new(TrackByQueryCodeRequest { query_code });
                        intake
                            .track_by_query_code(message)
                            .await
                            .map(drop)
                            .map_err(code)
                    }
                })
                .await;
                println!("track, c={}: {report}", plan.concurrency);
            }
            Command::List { conn, plan } => {
                let (intake, token) = connect(&conn).await?;
                let report = drive(&plan, move |_| {
                    let (mut intake, token) = (intake.clone(), token.clone());
                    async move {
                        let message = request(ListPetitionsRequest::default(), &token)
                            .map_err(|e| e.to_string())?;
                        intake.list_petitions(message).await.map(drop).map_err(code)
                    }
                })
                .await;
                println!("list, c={}: {report}", plan.concurrency);
            }
            Command::Pipeline {
                conn,
                plan,
                database_url,
            } => {
                let url = database_url_or_configured(database_url)?;
                anyhow::ensure!(
                    url.starts_with("postgres"),
                    "pipeline reads both services' outboxes on PostgreSQL (database.url is {url})"
                );
                let (intake, token) = connect(&conn).await?;
                let registered = Arc::new(Mutex::new(Vec::new()));
                let report = {
                    let registered = registered.clone();
                    drive(&plan, move |n| {
                        let (intake, token, run) = (intake.clone(), token.clone(), run.clone());
                        let registered = registered.clone();
                        async move {
                            let (id, _) = register(intake, &token, registration(&run, n)).await?;
                            registered.lock().expect("the id list").push(id);
                            Ok(())
                        }
                    })
                    .await
                };
                println!("register, c={}: {report}", plan.concurrency);
                let ids = std::mem::take(&mut *registered.lock().expect("the id list"));
                let cases = pipeline::latencies(&url, &ids, Duration::from_secs(120)).await?;
                println!(
                    "registered → case opened, {} of {} items:\n{}\n{}",
                    cases.latencies.len(),
                    ids.len(),
                    cases.quantiles(),
                    cases.error_lines()
                );
            }
        }
        Ok(())
    }
}

async fn connect(conn: &Connection) -> anyhow::Result<(Intake, Option<String>)> {
    let (channel, token) = conn.channel(|s| s.listen.intake).await?;
    Ok((Intake::new(channel), token))
}

/// Registers `n` items first (not measured) and answers their ids and query codes.
async fn seed_items(
    intake: &Intake,
    token: &Option<String>,
    run: &str,
    n: u64,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut items = Vec::new();
    for i in 0..n.max(1) {
        let item = register(
            intake.clone(),
            token,
            registration(&format!("{run}-seed"), i),
        )
        .await
        .map_err(|code| anyhow::anyhow!("registering the items to read: {code}"))?;
        items.push(item);
    }
    Ok(items)
}

fn database_url_or_configured(url: Option<String>) -> anyhow::Result<String> {
    match url {
        Some(url) => Ok(url),
        None => Ok(Settings::load(&[]).context("configuration")?.database.url),
    }
}
