//! `xinfang migrate`: applies pending migrations (a Kubernetes Job before each rollout).

use anyhow::Context;
use xinfang_platform::config::Settings;

#[derive(clap::Args)]
pub struct Args {
    /// Only this service's migrations.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(xinfang_migrations::SERVICES))]
    service: Option<String>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let settings = Settings::load(&[]).context("configuration")?;
    let db = xinfang_platform::database::connect(&settings.database)
        .await
        .context("database.url")?;
    match args.service {
        Some(service) => xinfang_migrations::migrate_service(&db, &service).await?,
        None => xinfang_migrations::migrate_all(&db).await?,
    }
    println!("migrations applied");
    Ok(())
}
