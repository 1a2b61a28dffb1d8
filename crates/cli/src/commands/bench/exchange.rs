//! `xinfang bench exchange`: records pushed from a node to the provincial hub on PostgreSQL —
//! records per second, and how long the node takes to go on after the hub is killed in the
//! middle (its task aborted mid-batch: the batch's transaction never commits). The node's
//! records are made up front (not measured): valid items of the node's region; then the hub and
//! the node's pusher run in this process, as `xinfang serve exchange` runs them, over gRPC on
//! loopback. In the end the hub must hold every number exactly once.

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use prost::Message;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use xinfang_platform::auth::{Claims, SigningKey};
use xinfang_platform::config::{ExchangeRole, Settings};
use xinfang_platform::reference::ReferenceStore;
use xinfang_proto::xinfang::exchange::v1::{self as ex, UpRecord, up_record::Record};

#[derive(clap::Args)]
pub struct Args {
    /// The node's database (PostgreSQL), made empty of exchange records first.
    #[arg(long)]
    node_db: String,
    /// The hub's database (PostgreSQL), made empty of hub records first.
    #[arg(long)]
    hub_db: String,
    #[arg(long, default_value_t = 1_000_000)]
    records: u64,
    /// Kill the hub once it acknowledged this many (0: never).
    #[arg(long, default_value_t = 500_000)]
    kill_at: u64,
    /// Records per batch.
    #[arg(long, default_value_t = 500)]
    batch: u32,
}

fn item(sequence: u64) -> Vec<u8> {
    let code = |c: &str| {
        Some(ex::MappedCode {
            local: c.into(),
            province: c.into(),
            mapping_version: "2026.1".into(),
        })
    };
    UpRecord {
        sequence,
        record: Some(Record::Item(ex::ExchangeItem {
            numbers: Some(ex::ItemNumbers {
                local: format!("bench-{sequence:012}"),
                city: format!("340100-2026-{sequence:07}"),
                province: String::new(),
            }),
            channel: code("0200"),
            content_category: code("020100"),
            region: code("340102001"),
            title: "拖欠工资".into(),
            due_date: "2026-03-20".into(),
            ..Default::default()
        })),
        corrects: 0,
    }
    .encode_to_vec()
}

async fn exec(db: &DatabaseConnection, sql: &str) -> anyhow::Result<()> {
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .with_context(|| sql.to_owned())?;
    Ok(())
}

async fn one(db: &DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .context("a row")?;
    Ok(row.try_get_by_index(0)?)
}

/// The node's records 1..=n, made with multi-row inserts.
async fn fill(node: &DatabaseConnection, n: u64) -> anyhow::Result<()> {
    exec(node, "DELETE FROM exchange_up_record").await?;
    let bar = ProgressBar::new(n).with_style(ProgressStyle::with_template(
        "making records {bar:40} {pos}/{len} {per_sec}",
    )?);
    let mut next = 1;
    while next <= n {
        let last = (next + 999).min(n);
        let rows: Vec<String> = (next..=last)
            .map(|s| {
                let hex = hex::encode(item(s));
                format!(
                    "({s}, 'bench-{s:012}', '340100-2026-{s:07}', 'item', '\\x{hex}', 'pending', 0, '', '', now())"
                )
            })
            .collect();
        exec(
            node,
            &format!(
                "INSERT INTO exchange_up_record (sequence, petition_id, case_number, kind, body, status, reject_code, reason, province_number, created_at) VALUES {}",
                rows.join(",")
            ),
        )
        .await?;
        bar.inc(last - next + 1);
        next = last + 1;
    }
    bar.finish();
    exec(
        node,
        &format!(
            "UPDATE exchange_link SET last_sequence = {n}, acknowledged_through = 0, last_error = '' WHERE id = 1"
        ),
    )
    .await
}

struct Hub {
    stop: CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

async fn hub(
    settings: &Settings,
    db: &DatabaseConnection,
    addr: std::net::SocketAddr,
) -> anyhow::Result<Hub> {
    let listener = TcpListener::bind(addr).await?;
    let stop = CancellationToken::new();
    let (s, db, r, t) = (
        settings.clone(),
        db.clone(),
        ReferenceStore::open(settings.reference.dir.as_deref())?,
        stop.clone(),
    );
    let task =
        tokio::spawn(async move { xinfang_exchange::run::run(&s, db, r, listener, t).await });
    Ok(Hub { stop, task })
}

async fn acknowledged(node: &DatabaseConnection) -> anyhow::Result<u64> {
    Ok(one(
        node,
        "SELECT acknowledged_through FROM exchange_link WHERE id = 1",
    )
    .await? as u64)
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let node = Database::connect(&args.node_db).await?;
    let hub_db = Database::connect(&args.hub_db).await?;
    for db in [&node, &hub_db] {
        xinfang_migrations::migrate_service(db, "exchange").await?;
    }
    exec(&hub_db, "DELETE FROM exchange_hub_record").await?;
    exec(&hub_db, "DELETE FROM exchange_hub_node").await?;
    fill(&node, args.records).await?;

    // An identity provider of the bench's own: the hub trusts its key, the node holds its token.
    let scratch = std::env::temp_dir().join(format!("xinfang-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let key = SigningKey::generate();
    let jwks = scratch.join("jwks.json");
    std::fs::write(&jwks, key.jwks().to_string())?;
    let mut settings = Settings::load(&[])?;
    settings.auth.jwks = Some(jwks.to_string_lossy().into_owned());
    settings.exchange.role = ExchangeRole::Hub;
    settings.database.url = args.hub_db.clone();
    let token = scratch.join("exchange.jwt");
    std::fs::write(
        &token,
        key.sign(&Claims::new(
            &settings.auth,
            "bench",
            "交换",
            "city-xfj",
            &["exchange"],
            3600,
        )),
    )?;
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let mut the_hub = hub(&settings, &hub_db, addr).await?;

    let stop = CancellationToken::new();
    let pusher = xinfang_exchange::push::Pusher {
        db: node.clone(),
        hub: xinfang_exchange::credential::Credential {
            url: format!("http://{addr}"),
            token_file: token.to_string_lossy().into_owned(),
            setting: "the bench's token file",
            tls: None,
        },
        // The bench's records are items: nothing to hand over.
        intake: None,
        node: settings.node.region.clone(),
        interval: Duration::from_millis(50),
        batch: u64::from(args.batch),
    };
    let pushing = tokio::spawn(pusher.run(stop.clone()));
    let bar = ProgressBar::new(args.records).with_style(ProgressStyle::with_template(
        "pushing {bar:40} {pos}/{len} {per_sec} {msg}",
    )?);
    let started = Instant::now();
    let mut resumed = None;
    let mut killed = args.kill_at == 0;
    let mut progress = (0, Instant::now());
    loop {
        let through = acknowledged(&node).await?;
        bar.set_position(through);
        if through >= args.records {
            break;
        }
        if through > progress.0 {
            progress = (through, Instant::now());
        } else if progress.1.elapsed() > Duration::from_secs(30) {
            let error = node
                .query_one_raw(Statement::from_string(
                    node.get_database_backend(),
                    "SELECT last_error FROM exchange_link WHERE id = 1",
                ))
                .await?
                .map(|r| r.try_get::<String>("", "last_error"))
                .transpose()?
                .unwrap_or_default();
            anyhow::bail!("no progress for 30 s at {through}: {error}");
        }
        if !killed && through >= args.kill_at {
            // The hub dies where it stands, and comes back on the same address.
            the_hub.task.abort();
            let _ = (&mut the_hub.task).await;
            the_hub.stop.cancel();
            killed = true;
            let at = Instant::now();
            the_hub = hub(&settings, &hub_db, addr).await?;
            while acknowledged(&node).await? <= through {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            resumed = Some(at.elapsed());
            bar.set_message(format!(
                "hub killed at {through}, node went on after {:.2} s",
                at.elapsed().as_secs_f64()
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    bar.finish();
    stop.cancel();
    pushing.await?;
    the_hub.stop.cancel();
    the_hub.task.await??;

    let held = one(
        &hub_db,
        "SELECT COUNT(*) FROM exchange_hub_record WHERE node = '340100'",
    )
    .await?;
    let distinct = one(
        &hub_db,
        "SELECT COUNT(DISTINCT sequence) FROM exchange_hub_record WHERE node = '340100'",
    )
    .await?;
    let highest = one(
        &hub_db,
        "SELECT COALESCE(MAX(sequence), 0) FROM exchange_hub_record WHERE node = '340100'",
    )
    .await?;
    let accepted = one(
        &hub_db,
        "SELECT COUNT(*) FROM exchange_hub_record WHERE node = '340100' AND accepted",
    )
    .await?;
    println!(
        "{} records in {:.1} s: {:.0} records/s (batches of {}), {} accepted",
        args.records,
        elapsed.as_secs_f64(),
        args.records as f64 / elapsed.as_secs_f64(),
        args.batch,
        accepted
    );
    if let Some(resumed) = resumed {
        println!(
            "hub killed after {} acknowledged: the node went on {:.2} s after the hub was back",
            args.kill_at,
            resumed.as_secs_f64()
        );
    }
    let gaps = highest - held;
    let duplicates = held - distinct;
    println!("hub holds {held} records, highest {highest}: {duplicates} duplicates, {gaps} gaps");
    std::fs::remove_dir_all(&scratch).ok();
    anyhow::ensure!(
        held as u64 == args.records && duplicates == 0 && gaps == 0,
        "the hub does not hold every record exactly once"
    );
    Ok(())
}
