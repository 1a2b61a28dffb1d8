//! `xinfang token`: a bearer token signed with the embedded node's own dev key, for trying the
//! node out. Production tokens come from the identity provider; this command refuses there, unless
//! it is given the provider's key (`--signing-key`, as `xinfang keys generate` writes it), which is
//! how a load test or a smoke test gets its token for a deployment it set up itself.

use anyhow::Context;
use std::path::Path;
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
    /// Sign with this Ed25519 key (PEM) instead of the embedded node's, e.g.
    /// `idp-signing-key.pem` of `xinfang keys generate`.
    #[arg(long)]
    signing_key: Option<std::path::PathBuf>,
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
    let claims = Claims::new(&settings.auth, user, user, unit, roles, valid_secs);
    sign(&settings.auth.dev_signing_key, &claims)
        .context("the dev signing key (start `xinfang dev` once to make it)")
}

/// `claims` signed with the Ed25519 key in the PEM file at `path`.
fn sign(path: &Path, claims: &Claims) -> anyhow::Result<String> {
    let pem =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let key = SigningKey::from_pem(&pem).map_err(anyhow::Error::msg)?;
    Ok(key.sign(claims))
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let settings = Settings::load(&[]).context("configuration")?;
    let roles: Vec<&str> = args.roles.iter().map(String::as_str).collect();
    let valid_secs = args.hours * 3600;
    let token = match &args.signing_key {
        Some(path) => {
            let claims = Claims::new(
                &settings.auth,
                &args.user,
                &args.user,
                &args.unit,
                &roles,
                valid_secs,
            );
            sign(path, &claims)?
        }
        None => dev_token(&settings, &args.user, &args.unit, &roles, valid_secs)?,
    };
    println!("{token}");
    Ok(())
}
