//! `xinfang events`: the events a consumer parked because they can never apply as they are (and
//! the rows a relay parked because the broker can never take them), and replaying parked events
//! once their cause is fixed — each applied exactly once.

use crate::node::Node;
use anyhow::Context;
use sea_orm::DatabaseConnection;
use xinfang_events::consumer::EventHandler;
use xinfang_events::parked::{self, Replay};
use xinfang_platform::clock::NodeClock;

#[derive(clap::Subcommand)]
pub enum Command {
    /// List parked events, oldest first (times in the node's time zone).
    Parked {
        /// Also those replayed already.
        #[arg(long)]
        all: bool,
    },
    /// Apply parked events again: `SERVICE/ID` as `parked` lists them, or --all.
    Replay {
        #[arg(required_unless_present = "all")]
        ids: Vec<String>,
        #[arg(long)]
        all: bool,
    },
}

/// The services that consume events, each with its parked table.
const CONSUMERS: [&str; 6] = [
    "intake",
    "dispatch",
    "supervision",
    "evaluation",
    "jointmeeting",
    "exchange",
];

impl Command {
    pub async fn run(self) -> anyhow::Result<()> {
        let node = Node::start(&[]).await?;
        match self {
            Command::Parked { all } => list(&node, all).await,
            Command::Replay { ids, all } => {
                let wanted = if all {
                    pending(&node.db).await?
                } else {
                    ids.iter()
                        .map(|id| parse(id))
                        .collect::<anyhow::Result<_>>()?
                };
                let mut failed = 0;
                for (service, id) in wanted {
                    let outcome = replay(&node, &service, id).await?;
                    println!("{service}/{id}  {}", describe(&outcome));
                    failed += usize::from(matches!(outcome, Replay::StillRefused(_)));
                }
                anyhow::ensure!(failed == 0, "{failed} event(s) still cannot apply");
                Ok(())
            }
        }
    }
}

fn parse(id: &str) -> anyhow::Result<(String, i64)> {
    let (service, n) = id
        .split_once('/')
        .with_context(|| format!("{id:?}: give SERVICE/ID as `xinfang events parked` lists it"))?;
    anyhow::ensure!(
        CONSUMERS.contains(&service),
        "{service:?} is not one of {CONSUMERS:?}"
    );
    Ok((
        service.to_owned(),
        n.parse()
            .with_context(|| format!("{id:?}: ID is a number"))?,
    ))
}

async fn pending(db: &DatabaseConnection) -> anyhow::Result<Vec<(String, i64)>> {
    let mut all = Vec::new();
    for service in CONSUMERS {
        for p in parked::list(db, service, false).await? {
            all.push((service.to_owned(), p.id));
        }
    }
    Ok(all)
}

fn describe(outcome: &Replay) -> String {
    match outcome {
        Replay::Applied => "applied".into(),
        Replay::NotPending => "nothing to do: replayed before, or not parked".into(),
        Replay::StillRefused(reason) => format!("still parked: {reason}"),
    }
}

async fn replay(node: &Node, service: &str, id: i64) -> anyhow::Result<Replay> {
    let (s, db, r) = (&node.settings, node.db.clone(), node.reference.clone());
    match service {
        "intake" => {
            apply(
                &node.db,
                service,
                &xinfang_intake::run::follower(s, db, r)?,
                id,
            )
            .await
        }
        "dispatch" => {
            apply(
                &node.db,
                service,
                &xinfang_dispatch::run::follower(s, db, r)?,
                id,
            )
            .await
        }
        "jointmeeting" => {
            apply(
                &node.db,
                service,
                &xinfang_jointmeeting::run::follower(r),
                id,
            )
            .await
        }
        "evaluation" => {
            apply(
                &node.db,
                service,
                &xinfang_evaluation::run::follower(s, db, r)?,
                id,
            )
            .await
        }
        "exchange" => {
            let follower = xinfang_exchange::run::follower(&node.db, r).await?;
            apply(&node.db, service, &follower, id).await
        }
        _ => {
            apply(
                &node.db,
                service,
                &xinfang_supervision::run::follower(s, db, r)?,
                id,
            )
            .await
        }
    }
}

async fn apply<H: EventHandler>(
    db: &DatabaseConnection,
    service: &str,
    handler: &H,
    id: i64,
) -> anyhow::Result<Replay> {
    Ok(parked::replay(db, service, handler, id).await?)
}

async fn list(node: &Node, with_replayed: bool) -> anyhow::Result<()> {
    let clock = NodeClock::new(&node.settings.clock).map_err(anyhow::Error::msg)?;
    let time = |t| clock.show(t);
    let mut any = false;
    for service in CONSUMERS {
        for p in parked::list(&node.db, service, with_replayed).await? {
            any = true;
            let replayed = p
                .replayed_at
                .map(|t| format!("  replayed {}", time(t)))
                .unwrap_or_default();
            println!(
                "{service}/{}  {}  {} {}  {} ({})  parked {}{replayed}\n    {}",
                p.id,
                p.consumer,
                p.event_type,
                p.message_key,
                p.topic,
                p.position,
                time(p.parked_at),
                p.reason
            );
        }
    }
    for service in CONSUMERS {
        for row in xinfang_events::relay::unpublishable(&node.db, service).await? {
            any = true;
            println!(
                "{service} outbox row {}  {} {}  not publishable: {}",
                row.id, row.event_type, row.message_key, row.reason
            );
        }
    }
    if !any {
        println!("no parked events");
    }
    Ok(())
}
