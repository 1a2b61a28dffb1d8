//! `xinfang keys generate`: fresh keys for a deployment: an Ed25519 signing key and its JWKS
//! (for an identity provider that has none, or for a test one), personal-data seal and hash keys
//! and the audit chain key, with dated ids, and a Kubernetes Secret holding what the services read.

use anyhow::Context;
use std::path::{Path, PathBuf};
use xinfang_platform::auth::SigningKey;
use xinfang_platform::clock::NodeClock;
use xinfang_platform::config::Settings;
use xinfang_platform::keyring;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Write idp-signing-key.pem, jwks.json and secret.yaml into a new directory.
    Generate {
        #[arg(long, default_value = "xinfang-keys")]
        out: PathBuf,
        /// Name of the Kubernetes Secret.
        #[arg(long, default_value = "xinfang-keys")]
        secret: String,
    },
}

impl Command {
    pub fn run(self) -> anyhow::Result<()> {
        let Command::Generate { out, secret } = self;
        std::fs::create_dir(&out)
            .with_context(|| format!("{} (it must not exist yet)", out.display()))?;
        let signing = SigningKey::generate();
        let jwks = serde_json::to_string_pretty(&signing.jwks())?;
        let settings = Settings::load(&[]).context("configuration")?;
        let clock = NodeClock::new(&settings.clock).map_err(anyhow::Error::msg)?;
        let day = clock.today().format("%Y%m%d");
        let seal = keyring::generate(&format!("s{day}"));
        let hash = keyring::generate(&format!("h{day}"));
        let chain = keyring::generate(&format!("a{day}"));
        write_private(&out.join("idp-signing-key.pem"), &signing.to_pem())?;
        std::fs::write(out.join("jwks.json"), &jwks)?;
        let keys = [&*seal, &*hash, &*chain];
        write_private(&out.join("secret.yaml"), &manifest(&secret, &keys, &jwks))?;
        write_private(&out.join("keys.env"), &environment(&keys))?;
        println!(
            "{dir}/idp-signing-key.pem  signs tokens (key id {kid}); keep it with the identity \
             provider only\n{dir}/jwks.json            its public key: auth.jwks\n{dir}/secret.yaml  \
             \x20        Secret {secret}: pii and audit keys, jwks.json\n{dir}/keys.env     \
             \x20        the same keys as an env file (docker/compose.yaml)\n\nA first deployment uses the \
             keys as they are. To rotate, put the new key first and keep the old after it until \
             `xinfang pii rotate` is done:\n  XINFANG__PII__SEAL_KEYS={seal_id},<old>\n  \
             XINFANG__PII__HASH_KEYS={hash_id},<old>",
            dir = out.display(),
            kid = signing.kid(),
            seal_id = seal.split(':').next().unwrap_or_default().to_owned() + ":…",
            hash_id = hash.split(':').next().unwrap_or_default().to_owned() + ":…",
        );
        Ok(())
    }
}

/// A file readable by its owner only: it holds secrets.
pub(super) fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    std::fs::write(path, contents).with_context(|| path.display().to_string())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// The key lists as the services' environment (`docker compose`'s env_file).
fn environment([seal, hash, chain]: &[&str; 3]) -> String {
    format!(
        "XINFANG__PII__SEAL_KEYS={seal}\nXINFANG__PII__HASH_KEYS={hash}\n\
         XINFANG__AUDIT__CHAIN_KEYS={chain}\n"
    )
}

/// The Secret: the key lists as the services' environment, and the JWKS as a file to mount.
fn manifest(name: &str, [seal, hash, chain]: &[&str; 3], jwks: &str) -> String {
    let jwks: String = jwks.lines().map(|l| format!("    {l}\n")).collect();
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\ntype: Opaque\nstringData:\n  \
         XINFANG__PII__SEAL_KEYS: \"{seal}\"\n  XINFANG__PII__HASH_KEYS: \"{hash}\"\n  \
         XINFANG__AUDIT__CHAIN_KEYS: \"{chain}\"\n  jwks.json: |\n{jwks}"
    )
}
