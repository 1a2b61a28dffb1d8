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
    /// Also run a provincial hub (its own SQLite file, `hub.db`) and push this node's records
    /// to it, so that the exchange's path is visible on one machine.
    #[arg(long)]
    with_hub: bool,
    /// Where the hub listens, with --with-hub.
    #[arg(long, default_value = "127.0.0.1:50057")]
    hub_listen: std::net::SocketAddr,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let data = args.data.trim_end_matches('/');
    let url = format!("sqlite://{data}/xinfang.db?mode=rwc");
    let key = format!("{data}/dev-signing-key.pem");
    let hub_url = format!("http://{}", args.hub_listen);
    let credential = format!("{data}/exchange.jwt");
    let mut overrides = vec![
        ("database.url", url.as_str()),
        ("auth.dev_signing_key", key.as_str()),
    ];
    if args.with_hub {
        // The same credential serves at the hub and at the node: both trust the dev key.
        overrides.extend([
            ("exchange.hub_url", hub_url.as_str()),
            ("exchange.token_file", credential.as_str()),
            ("exchange.node_token_file", credential.as_str()),
        ]);
    }
    let mut node = Node::start(&overrides).await?;
    if args.with_hub {
        // What the province assigns is registered by this node's own intake.
        node.settings.exchange.intake_url = format!("http://{}", node.settings.listen.intake);
    }
    // The portal relays the citizen's calls from this machine, and is tried over plain HTTP.
    node.settings.public.trusted_proxies = vec!["127.0.0.1".into(), "::1".into()];
    node.settings.portal.secure_cookies = false;
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
    let exchange = bind("listen.exchange", s.listen.exchange).await?;
    let portal = bind("listen.portal", s.listen.portal).await?;
    let hub = if args.with_hub {
        Some(Hub::start(s, data, args.hub_listen, &credential).await?)
    } else {
        None
    };
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
        (
            "exchange",
            s.listen.exchange,
            "xinfang.exchange.v1.ExchangeAdminService",
        ),
    ] {
        println!("  {name:<12} grpc://{addr}   {service}");
    }
    if args.with_hub {
        println!(
            "  {:<12} grpc://{}   xinfang.exchange.v1.ExchangeService (the province, {data}/hub.db)",
            "hub", args.hub_listen
        );
    }
    println!(
        "  {:<12} http://{}   阳光信访 pages, the staff console (dev login), Open311 /open311/v2",
        "portal", s.listen.portal
    );
    println!("  {:<12} SQL log in the outbox tables of {url}", "events");
    println!(
        "  {:<12} {today} (clock.start and clock.offset_days move it)",
        "today"
    );
    println!("  a clerk token:  xinfang token --unit city-xfj");
    println!("Ctrl-C stops the node.");
    let (intake, dispatch, supervision, evaluation, jointmeeting, exchange, portal, hub) = tokio::join!(
        xinfang_intake::run::run(s, db.clone(), r.clone(), intake, stop.clone()),
        xinfang_dispatch::run::run(s, db.clone(), r.clone(), dispatch, stop.clone()),
        xinfang_supervision::run::run(s, db.clone(), r.clone(), supervision, stop.clone()),
        xinfang_evaluation::run::run(s, db.clone(), r.clone(), evaluation, stop.clone()),
        xinfang_jointmeeting::run::run(s, db.clone(), r.clone(), jointmeeting, stop.clone()),
        xinfang_exchange::run::run(s, db.clone(), r.clone(), exchange, stop.clone()),
        xinfang_portal::run::run(s, r.clone(), portal, stop.clone()),
        async {
            match hub {
                Some(hub) => hub.run(stop.clone()).await,
                None => Ok(()),
            }
        },
    );
    intake
        .and(dispatch)
        .and(supervision)
        .and(evaluation)
        .and(jointmeeting)
        .and(exchange)
        .and(portal)
        .and(hub)?;
    xinfang_platform::database::close(node.db).await?;
    Ok(())
}

/// The provincial hub beside the embedded node: the exchange in hub role on its own SQLite file,
/// trusting the node's dev key, and the node's credential for it.
struct Hub {
    settings: xinfang_platform::config::Settings,
    db: sea_orm::DatabaseConnection,
    listener: tokio::net::TcpListener,
}

impl Hub {
    async fn start(
        node: &xinfang_platform::config::Settings,
        data: &str,
        listen: std::net::SocketAddr,
        credential: &str,
    ) -> anyhow::Result<Hub> {
        let mut settings = node.clone();
        settings.exchange.role = xinfang_platform::config::ExchangeRole::Hub;
        settings.database.url = format!("sqlite://{data}/hub.db?mode=rwc");
        let db = xinfang_platform::database::connect(&settings.database)
            .await
            .context("the hub's database")?;
        xinfang_migrations::migrate_service(&db, "exchange")
            .await
            .context("the hub's migrations")?;
        let token =
            super::token::dev_token(node, "exchange", "city-xfj", &["exchange"], 365 * 24 * 3600)?;
        std::fs::write(credential, token).with_context(|| format!("writing {credential}"))?;
        let listener = bind("the hub", listen).await?;
        Ok(Hub {
            settings,
            db,
            listener,
        })
    }

    /// Serves with the province's demo organisation above the node.
    async fn run(self, stop: tokio_util::sync::CancellationToken) -> anyhow::Result<()> {
        let reference = xinfang_platform::reference::ReferenceStore::province_demo()?;
        xinfang_exchange::run::run(&self.settings, self.db, reference, self.listener, stop).await
    }
}
