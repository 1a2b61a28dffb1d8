//! `xinfang pii`: personal data and its keys. `status` counts the values still on an older key;
//! `rotate` moves them onto the newest, a batch per transaction while the services run, and may
//! be stopped and run again.

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use xinfang_intake::pii_rotation;
use xinfang_platform::config::Settings;
use xinfang_platform::pii::PiiVault;

#[derive(clap::Subcommand)]
pub enum Command {
    /// How many petitions and petitioners are still sealed or hashed with an older key.
    Status,
    /// Seal and hash every value again with the first key of `pii.seal_keys` and `pii.hash_keys`.
    Rotate {
        /// Rows per transaction.
        #[arg(long, default_value_t = 500)]
        batch: u64,
    },
}

impl Command {
    pub async fn run(self) -> anyhow::Result<()> {
        let settings = Settings::load(&[]).context("configuration")?;
        let vault = PiiVault::new(&settings.pii)?;
        let db = xinfang_platform::database::connect(&settings.database)
            .await
            .context("database.url")?;
        let (seal, hash) = vault.newest();
        let left = pii_rotation::remaining(&db, &vault).await?;
        let batch = match self {
            Command::Status => {
                println!(
                    "on older keys than seal key {seal} and hash key {hash}: {} petitions, {} \
                     petitioners",
                    left.petitions, left.petitioners
                );
                return Ok(());
            }
            Command::Rotate { batch } => batch.max(1),
        };
        let bar = ProgressBar::new(left.petitions + left.petitioners).with_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} rows {msg}")
                .expect("a valid template"),
        );
        loop {
            let moved = pii_rotation::rotate_batch(&db, &vault, batch).await?;
            if moved.none() {
                break;
            }
            bar.inc(moved.petitions + moved.petitioners);
        }
        bar.finish();
        println!(
            "every value is sealed with key {seal} and hashed with key {hash}; other keys can \
             now be removed from pii.seal_keys and pii.hash_keys"
        );
        Ok(())
    }
}
