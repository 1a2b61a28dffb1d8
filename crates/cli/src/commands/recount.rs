//! `xinfang recount`: rebuilds supervision's kept metric counts from its items, in one
//! transaction while the services run, after a change of a [default] metric definition
//! (`supervision.definitions`); `--check` compares the kept counts with a recount and reports
//! every difference and every count below zero.

use anyhow::Context;
use xinfang_platform::config::Settings;

#[derive(clap::Args)]
pub struct Args {
    /// Compare only; change nothing. Fails when a count differs or is below zero.
    #[arg(long)]
    check: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let settings = Settings::load(&[]).context("configuration")?;
    let db = xinfang_platform::database::connect(&settings.database)
        .await
        .context("database.url")?;
    let definitions = &settings.supervision.definitions;
    let started = std::time::Instant::now();
    if !args.check {
        xinfang_supervision::counts::rebuild(&db, definitions).await?;
        println!(
            "metric counts rebuilt in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    let check = xinfang_supervision::counts::verify(&db, definitions).await?;
    for (key, n) in &check.negative {
        println!("below zero: {} = {n}", key.join(" "));
    }
    for (key, kept, recounted) in &check.differing {
        println!(
            "differs: {} kept {kept}, recounted {recounted}",
            key.join(" ")
        );
    }
    println!(
        "{} kept counts checked in {:.1} s: {}",
        check.checked,
        started.elapsed().as_secs_f64(),
        if check.is_sound() {
            "all equal a recount"
        } else {
            "NOT sound (run `xinfang recount`)"
        }
    );
    anyhow::ensure!(check.is_sound(), "the kept counts differ from a recount");
    Ok(())
}
