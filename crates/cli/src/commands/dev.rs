//! `xinfang dev`: every built service in one process, SQLite under ./data, the outbox tables as
//! the event log, the demo organisation. Nothing is lost across a restart: it is all in the file.

use super::serve::bind;
use crate::node::Node;
use anyhow::Context;
use xinfang_platform::auth::SigningKey;
use xinfang_platform::clock::NodeClock;

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
    let key = format!("{}/dev-signing-key.pem", args.data.trim_end_matches('/'));
    let node = Node::start(&[("database.url", &url), ("auth.dev_signing_key", &key)]).await?;
    // The node's own signing key, made once, before its services read it.
    SigningKey::load_or_create(&node.settings.auth.dev_signing_key)
        .context("auth.dev_signing_key")?;
    // The embedded default migrates at start; production runs `xinfang migrate` as a Job.
    xinfang_migrations::migrate_all(&node.db)
        .await
        .context("migrations")?;

    let (s, db, r, stop) = (&node.settings, &node.db, &node.reference, &node.shutdown);
    let intake = bind("listen.intake", s.listen.intake).await?;
    let dispatch = bind("listen.dispatch", s.listen.dispatch).await?;
    let supervision = bind("listen.supervision", s.listen.supervision).await?;
    let evaluation = bind("listen.evaluation", s.listen.evaluation).await?;
    let jointmeeting = bind("listen.jointmeeting", s.listen.jointmeeting).await?;
    let today = NodeClock::new(&s.clock)
        .map_err(anyhow::Error::msg)?
        .today();
    println!("xinfang node {} ({url})", s.node.region);
    for (name, addr, service) in [
        ("intake", s.listen.intake, "xinfang.intake.v1.IntakeService"),
        (
            "dispatch",
            s.listen.dispatch,
            "xinfang.dispatch.v1.DispatchService",
        ),
        (
            "supervision",
            s.listen.supervision,
            "xinfang.supervision.v1.SupervisionService",
        ),
        (
            "evaluation",
            s.listen.evaluation,
            "xinfang.evaluation.v1.EvaluationService",
        ),
        (
            "jointmeeting",
            s.listen.jointmeeting,
            "xinfang.jointmeeting.v1.JointMeetingService",
        ),
    ] {
        println!("  {name:<12} grpc://{addr}   {service}");
    }
    println!("  {:<12} SQL log in the outbox tables of {url}", "events");
    println!(
        "  {:<12} {today} (clock.start and clock.offset_days move it)",
        "today"
    );
    println!("  a clerk token:  xinfang token --unit city-xfj");
    println!("Ctrl-C stops the node.");
    let (intake, dispatch, supervision, evaluation, jointmeeting) = tokio::join!(
        xinfang_intake::run::run(s, db.clone(), r.clone(), intake, stop.clone()),
        xinfang_dispatch::run::run(s, db.clone(), r.clone(), dispatch, stop.clone()),
        xinfang_supervision::run::run(s, db.clone(), r.clone(), supervision, stop.clone()),
        xinfang_evaluation::run::run(s, db.clone(), r.clone(), evaluation, stop.clone()),
        xinfang_jointmeeting::run::run(s, db.clone(), r.clone(), jointmeeting, stop.clone()),
    );
    intake
        .and(dispatch)
        .and(supervision)
        .and(evaluation)
        .and(jointmeeting)?;
    node.db.close().await?;
    Ok(())
}
