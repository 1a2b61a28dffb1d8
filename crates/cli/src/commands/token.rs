//! `xinfang token`: a bearer token signed with the configured secret, for the embedded node.

use anyhow::Context;
use xinfang_platform::auth::Authenticator;
use xinfang_platform::config::Settings;

#[derive(clap::Args)]
pub struct Args {
    /// Organisational unit code from the organisation tree, e.g. city-xfj, east-t1.
    #[arg(long)]
    unit: String,
    #[arg(long, default_value = "clerk")]
    user: String,
    #[arg(long = "role", default_value = "clerk")]
    roles: Vec<String>,
    /// Validity in hours.
    #[arg(long, default_value_t = 12)]
    hours: u64,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let settings = Settings::load(&[]).context("configuration")?;
    let roles: Vec<&str> = args.roles.iter().map(String::as_str).collect();
    let token = Authenticator::new(&settings.auth).issue(
        &args.user,
        &args.user,
        &args.unit,
        &roles,
        args.hours * 3600,
    );
    println!("{token}");
    Ok(())
}
