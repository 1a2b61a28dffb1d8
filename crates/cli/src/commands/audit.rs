//! `xinfang audit verify`: walks every service's audit log (审计日志) link by link and tells the
//! first break of each aggregate: a row changed, deleted, inserted or moved, or an aggregate
//! whose last rows are gone. Exits with failure when it finds one.

use anyhow::Context;
use xinfang_platform::config::Settings;
use xinfang_store::audit::{self, AuditChain, Audited};

/// How many breaks of one service are shown.
const SHOWN: usize = 20;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Check every link of the audit logs of intake, dispatch and supervision.
    Verify,
}

impl Command {
    pub async fn run(self) -> anyhow::Result<()> {
        let Command::Verify = self;
        let settings = Settings::load(&[]).context("configuration")?;
        let chain = AuditChain::new(&settings.audit)?;
        let db = xinfang_platform::database::connect(&settings.database)
            .await
            .context("database.url")?;
        let services: [(&str, &[Audited]); 5] = [
            ("intake", xinfang_intake::run::AUDITED),
            ("dispatch", xinfang_dispatch::run::AUDITED),
            ("supervision", xinfang_supervision::run::AUDITED),
            ("evaluation", xinfang_evaluation::run::AUDITED),
            ("jointmeeting", xinfang_jointmeeting::run::AUDITED),
        ];
        let mut broken = 0;
        for (service, audited) in services {
            let found = audit::verify(&db, service, &chain, audited)
                .await
                .with_context(|| format!("reading {service}_audit"))?;
            let mark = if found.breaks.is_empty() {
                "✓"
            } else {
                "✗"
            };
            println!(
                "{mark} {service}: {} rows of {} aggregates checked, {} broken{}",
                found.rows,
                found.aggregates,
                found.breaks.len(),
                match found.unchained {
                    0 => String::new(),
                    n => format!(" ({n} rows from before the chain, not protected)"),
                }
            );
            for b in found.breaks.iter().take(SHOWN) {
                println!("    {} version {}: {}", b.aggregate, b.version, b.what);
            }
            if found.breaks.len() > SHOWN {
                println!("    … and {} more", found.breaks.len() - SHOWN);
            }
            broken += found.breaks.len();
        }
        anyhow::ensure!(
            broken == 0,
            "{broken} audit logs are broken: someone changed them outside the platform"
        );
        Ok(())
    }
}
