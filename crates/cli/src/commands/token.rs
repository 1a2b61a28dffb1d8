//! `xinfang token`: a bearer token signed with the embedded node's own dev key, for trying the
//! node out. Production tokens come from the identity provider; this command refuses there.

use anyhow::Context;
use xinfang_platform::auth::{Claims, SigningKey};
use xinfang_platform::config::Settings;

#[derive(clap::Args)]
pub struct Args {
    /// Organisational unit code from the organisation tree, e.g. city-xfj, east-t1.
    #[arg(long)]
    unit: String,
    #[arg(long, default_value = "clerk")]
    user: String,
    /// clerk, handler, leader, supervisor or admin (repeat for several).
    #[arg(long = "role", default_value = "clerk")]
    roles: Vec<String>,
    /// Validity in hours.
    #[arg(long, default_value_t = 12)]
    hours: u64,
}

/// A token for a user of `unit`, signed with the embedded node's dev key.
pub fn dev_token(
    settings: &Settings,
    user: &str,
    unit: &str,
    roles: &[&str],
    valid_secs: u64,
) -> anyhow::Result<String> {
    anyhow::ensure!(
        settings.embedded(),
        "tokens come from the identity provider outside the embedded node; set XINFANG_TOKEN"
    );
    let path = &settings.auth.dev_signing_key;
    let pem = std::fs::read_to_string(path).with_context(|| {
        format!(
            "the dev signing key {} (start `xinfang dev` once to make it)",
            path.display()
        )
    })?;
    let key = SigningKey::from_pem(&pem).map_err(anyhow::Error::msg)?;
    Ok(key.sign(&Claims::new(
        &settings.auth,
        user,
        user,
        unit,
        roles,
        valid_secs,
    )))
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let settings = Settings::load(&[]).context("configuration")?;
    let roles: Vec<&str> = args.roles.iter().map(String::as_str).collect();
    println!(
        "{}",
        dev_token(&settings, &args.user, &args.unit, &roles, args.hours * 3600)?
    );
    Ok(())
}
