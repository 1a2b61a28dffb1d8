//! `xinfang recount`: rebuilds supervision's kept metric counts from its items, after a change
//! of a [default] metric definition (`supervision.definitions`).

use anyhow::Context;
use xinfang_platform::config::Settings;

pub async fn run() -> anyhow::Result<()> {
    let settings = Settings::load(&[]).context("configuration")?;
    let db = xinfang_platform::database::connect(&settings.database)
        .await
        .context("database.url")?;
    let started = std::time::Instant::now();
    xinfang_supervision::counts::rebuild(&db, &settings.supervision.definitions).await?;
    println!(
        "metric counts rebuilt in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
