//! `xinfang report …`: the annual report (年度信访工作报告, Art. 41) of the caller's scope, as a
//! spreadsheet and a Chinese text draft, and the records behind any of its figures.

use super::connection::Connection;
use anyhow::Context;
use std::path::PathBuf;
use xinfang_proto::xinfang::supervision::v1::supervision_service_client::SupervisionServiceClient;
use xinfang_proto::xinfang::supervision::v1::*;

#[derive(clap::Subcommand)]
pub enum Command {
    /// The year's figures: printed, and written to OUT as `<year>年度信访工作报告-<scope>.xlsx`
    /// (figures, and every figure's records) and `.txt` (the draft).
    Annual {
        #[command(flatten)]
        conn: Connection,
        year: i32,
        /// A region inside the caller's scope; default: all of it.
        #[arg(long, default_value = "")]
        region: String,
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// The records one figure counts (its key, e.g. meeting.studied), one per line.
    Drill {
        #[command(flatten)]
        conn: Connection,
        year: i32,
        key: String,
        #[arg(long, default_value = "")]
        region: String,
    },
}

type Client = SupervisionServiceClient<tonic::transport::Channel>;

async fn call<Req, Resp, F, Fut>(conn: &Connection, message: Req, f: F) -> anyhow::Result<Resp>
where
    F: FnOnce(Client, tonic::Request<Req>) -> Fut,
    Fut: std::future::Future<Output = Result<tonic::Response<Resp>, tonic::Status>>,
{
    conn.call(|s| s.listen.supervision, Client::new, message, f)
        .await
}

impl Command {
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            Command::Annual {
                conn,
                year,
                region,
                out,
            } => {
                let message = GetAnnualReportRequest {
                    year,
                    region_code: region,
                };
                let report = call(&conn, message.clone(), |mut c, r| async move {
                    c.get_annual_report(r).await
                })
                .await?;
                for f in &report.figures {
                    let rate = match (f.rate, f.of_key.is_empty()) {
                        (Some(r), _) => format!("  {:.1}%", r * 100.0),
                        (None, false) => "  无数据".to_owned(),
                        (None, true) => String::new(),
                    };
                    println!(
                        "{}  {}  {}{}{rate}  [{}]",
                        f.section, f.label, f.count, f.unit, f.key
                    );
                }
                let sheet = call(&conn, message, |mut c, r| async move {
                    c.export_annual_report(r).await
                })
                .await?;
                std::fs::create_dir_all(&out)
                    .with_context(|| format!("creating {}", out.display()))?;
                let xlsx = out.join(&sheet.file_name);
                std::fs::write(&xlsx, &sheet.content)
                    .with_context(|| format!("writing {}", xlsx.display()))?;
                let text = xlsx.with_extension("txt");
                std::fs::write(&text, &report.draft)
                    .with_context(|| format!("writing {}", text.display()))?;
                println!("wrote {} and {}", xlsx.display(), text.display());
            }
            Command::Drill {
                conn,
                year,
                key,
                region,
            } => {
                let mut token = String::new();
                loop {
                    let message = DrillDownAnnualFigureRequest {
                        year,
                        region_code: region.clone(),
                        key: key.clone(),
                        page_size: 500,
                        page_token: token,
                    };
                    let page = call(&conn, message, |mut c, r| async move {
                        c.drill_down_annual_figure(r).await
                    })
                    .await?;
                    for r in &page.records {
                        println!("{}  {}", r.id, r.case_number);
                    }
                    if page.next_page_token.is_empty() {
                        break;
                    }
                    token = page.next_page_token;
                }
            }
        }
        Ok(())
    }
}
