//! The raw ceiling: what PostgreSQL does with the rows of one registration and nothing else —
//! pgbench running `bench/ceiling-registration.sql` at the same concurrency and for the same time
//! as the load, on copies of intake's tables (dropped afterwards).

use anyhow::Context;
use sea_orm::{ConnectionTrait, Database};
use tokio::process::Command;

const SETUP: &str = include_str!("../../../bench/ceiling-setup.sql");
const SCRIPT: &str = include_str!("../../../bench/ceiling-registration.sql");
const TEARDOWN: &str = "DROP TABLE IF EXISTS bench_ceiling_petitioner, bench_ceiling_petition, \
                        bench_ceiling_outbox, bench_ceiling_audit";

/// Transactions per second pgbench reached with `clients` for `seconds` on `database_url`.
pub async fn measure(database_url: &str, clients: usize, seconds: u64) -> anyhow::Result<f64> {
    anyhow::ensure!(
        database_url.starts_with("postgres"),
        "--ceiling measures PostgreSQL (database.url is {database_url})"
    );
    let db = Database::connect(database_url).await?;
    db.execute_unprepared(TEARDOWN).await?;
    db.execute_unprepared(SETUP)
        .await
        .context("creating the ceiling's tables (is intake migrated here?)")?;
    let script = std::env::temp_dir().join(format!("xinfang-ceiling-{}.sql", std::process::id()));
    std::fs::write(&script, SCRIPT)?;
    let threads = clients.min(std::thread::available_parallelism().map_or(2, |n| n.get()));
    // The tables go whatever pgbench did, then its outcome is looked at.
    let output = Command::new("pgbench")
        .args(["--no-vacuum", "--protocol=prepared"])
        .arg(format!("--client={clients}"))
        .arg(format!("--jobs={threads}"))
        .arg(format!("--time={seconds}"))
        .arg(format!("--file={}", script.display()))
        .arg(database_url)
        .output()
        .await;
    std::fs::remove_file(&script).ok();
    db.execute_unprepared(TEARDOWN).await?;
    let output = output.context("running pgbench (Debian: postgresql-client)")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "pgbench failed: {}{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    tps(&stdout).with_context(|| format!("no tps in pgbench's report:\n{stdout}"))
}

/// `tps = 4321.123456 (without initial connection time)` → 4321.12.
fn tps(report: &str) -> Option<f64> {
    report
        .lines()
        .find_map(|line| line.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_rate_from_pgbench_report() {
        let report = "number of failed transactions: 0 (0.000%)\n\
                      latency average = 7.1 ms\n\
                      initial connection time = 12.3 ms\n\
                      tps = 4321.123456 (without initial connection time)\n";
        assert_eq!(super::tps(report), Some(4321.123456));
        assert_eq!(super::tps("pgbench: error"), None);
    }
}
