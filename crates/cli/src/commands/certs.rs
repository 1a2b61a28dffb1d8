//! `xinfang certs`: a dev CA and the certificates of the province link's mutual TLS — the hub's
//! (for its host names and addresses) and one per city node (naming its region) — as PEM files
//! for `exchange.tls.*`. For development and tests: a deployment's come from its own CA.

use super::keys::write_private;
use anyhow::Context;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// A new directory for ca.pem, hub.pem, hub-key.pem, node-<region>.pem, node-<region>-key.pem.
    #[arg(long, default_value = "xinfang-certs")]
    out: PathBuf,
    /// The hub's host names or addresses (repeat for several).
    #[arg(long = "hub-name", default_values_t = ["localhost".to_owned(), "127.0.0.1".to_owned()])]
    hub_names: Vec<String>,
    /// A city node's region code (repeat for several).
    #[arg(long = "node", required = true)]
    nodes: Vec<String>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    for node in &args.nodes {
        xinfang_domain::region::RegionCode::parse(node)
            .map_err(|e| anyhow::anyhow!("--node {node}: {e}"))?;
    }
    std::fs::create_dir(&args.out)
        .with_context(|| format!("{} (it must not exist yet)", args.out.display()))?;
    let set = xinfang_exchange::tls::dev_certificates(&args.hub_names, &args.nodes)?;
    for (name, pem) in &set.files {
        let path = args.out.join(name);
        if name.ends_with("-key.pem") {
            write_private(&path, pem)?;
        } else {
            std::fs::write(&path, pem).with_context(|| path.display().to_string())?;
        }
        println!("{}", path.display());
    }
    Ok(())
}
