//! `xinfang supervise …`: a supervisor's and a leader's view — due and overdue items,
//! supervision orders and replies, metrics, the petition index and the monthly bulletin.

use super::connection::{Connection, request, status};
use xinfang_proto::xinfang::supervision::v1::supervision_service_client::SupervisionServiceClient;
use xinfang_proto::xinfang::supervision::v1::*;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Items due or overdue in the caller's scope, by due date.
    Due {
        #[command(flatten)]
        conn: Connection,
        #[arg(long)]
        overdue: bool,
    },
    /// Supervision orders (督办单) in the caller's scope.
    Orders {
        #[command(flatten)]
        conn: Connection,
    },
    /// The organ's written reply to an order.
    Reply {
        #[command(flatten)]
        conn: Connection,
        order: String,
        #[arg(long)]
        complied: bool,
        #[arg(long)]
        text: String,
    },
    /// 矛盾纠纷排查: a screening report of the caller's unit naming a matter (`<category>:<region>`).
    Screen {
        #[command(flatten)]
        conn: Connection,
        #[arg(long)]
        region: String,
        #[arg(long)]
        matter: String,
        #[arg(long)]
        summary: String,
    },
    /// Every metric by region (or --by organ / channel) over a period.
    Metrics {
        #[command(flatten)]
        conn: Connection,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long, default_value = "region", value_parser = ["region", "organ", "channel"])]
        by: String,
    },
    /// 信访指数 per region over a period.
    Index {
        #[command(flatten)]
        conn: Connection,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
    /// 月度通报 as XLSX (or --csv), written to a file.
    Bulletin {
        #[command(flatten)]
        conn: Connection,
        /// YYYY-MM
        month: String,
        #[arg(long)]
        csv: bool,
    },
}

type Client = SupervisionServiceClient<tonic::transport::Channel>;

async fn client(conn: &Connection) -> anyhow::Result<(Client, Option<String>)> {
    let (channel, token) = conn.channel(|s| s.listen.supervision).await?;
    Ok((SupervisionServiceClient::new(channel), token))
}

fn ratio(v: &MetricValue) -> String {
    xinfang_domain::metrics::figure_text(v.ratio, v.numerator, v.denominator)
}

fn metric_name(metric: i32) -> String {
    xinfang_proto::convert::metric_of(metric)
        .map_or_else(|| metric.to_string(), |m| m.name_zh().to_owned())
}

impl Command {
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            Command::Due { conn, overdue } => {
                let (mut c, token) = client(&conn).await?;
                let message = ListDueItemsRequest {
                    overdue_only: overdue,
                    ..Default::default()
                };
                let r = c
                    .list_due_items(request(message, &token)?)
                    .await
                    .map_err(status)?
                    .into_inner();
                for i in r.items {
                    let d = i.deadline.unwrap_or_default();
                    let mark = if i.overdue {
                        "逾期"
                    } else if i.warned {
                        "预警"
                    } else {
                        ""
                    };
                    println!(
                        "{}  {}  {:<10} due {}  {mark:<4} {}",
                        i.petition_id, i.case_number, d.limit_name, d.due_date, i.organ_code
                    );
                }
            }
            Command::Orders { conn } => {
                let (mut c, token) = client(&conn).await?;
                let r = c
                    .list_supervision_orders(request(
                        ListSupervisionOrdersRequest::default(),
                        &token,
                    )?)
                    .await
                    .map_err(status)?
                    .into_inner();
                for o in r.orders {
                    let state = match (o.replied, o.escalated) {
                        (true, _) => format!("replied: {}", o.reply_text),
                        (false, true) => "escalated one level".to_owned(),
                        (false, false) => "awaiting reply".to_owned(),
                    };
                    println!(
                        "{}  {}  to {}  reply by {}  {}  — {}",
                        o.id, o.petition_id, o.organ_code, o.reply_due_date, o.reason, state
                    );
                }
            }
            Command::Reply {
                conn,
                order,
                complied,
                text,
            } => {
                let (mut c, token) = client(&conn).await?;
                let message = ReplyToSupervisionOrderRequest {
                    order_id: order,
                    complied,
                    text,
                };
                let o = c
                    .reply_to_supervision_order(request(message, &token)?)
                    .await
                    .map_err(status)?
                    .into_inner();
                println!(
                    "order {} replied (complied: {}, escalated: {})",
                    o.id, o.complied, o.escalated
                );
            }
            Command::Screen {
                conn,
                region,
                matter,
                summary,
            } => {
                let (mut c, token) = client(&conn).await?;
                let message = FileScreeningReportRequest {
                    region_code: region,
                    matter_key: matter,
                    summary,
                };
                let r = c
                    .file_screening_report(request(message, &token)?)
                    .await
                    .map_err(status)?
                    .into_inner();
                println!(
                    "screening report {}  {}  {}",
                    r.id, r.region_code, r.matter_key
                );
            }
            Command::Metrics { conn, from, to, by } => {
                let (mut c, token) = client(&conn).await?;
                let dimension = match by.as_str() {
                    "organ" => Dimension::Organ,
                    "channel" => Dimension::Channel,
                    _ => Dimension::Region,
                };
                let message = GetMetricsRequest {
                    from,
                    to,
                    dimension: dimension as i32,
                    basis: DateBasis::Registered as i32,
                    ..Default::default()
                };
                let r = c
                    .get_metrics(request(message, &token)?)
                    .await
                    .map_err(status)?
                    .into_inner();
                for v in r.values {
                    println!(
                        "{:<10} {:<12} {}",
                        v.group,
                        metric_name(v.metric),
                        ratio(&v)
                    );
                }
            }
            Command::Index { conn, from, to } => {
                let (mut c, token) = client(&conn).await?;
                let message = GetPetitionIndexRequest {
                    from,
                    to,
                    ..Default::default()
                };
                let r = c
                    .get_petition_index(request(message, &token)?)
                    .await
                    .map_err(status)?
                    .into_inner();
                for region in r.regions {
                    let index = region
                        .index
                        .map_or_else(|| "无数据".to_owned(), |i| format!("{i:.1}"));
                    println!("{:<10} 信访指数 {index}", region.region_code);
                }
            }
            Command::Bulletin { conn, month, csv } => {
                let (mut c, token) = client(&conn).await?;
                let format = if csv {
                    ExportFormat::Csv
                } else {
                    ExportFormat::Xlsx
                };
                let message = ExportMonthlyBulletinRequest {
                    month,
                    format: format as i32,
                };
                let r = c
                    .export_monthly_bulletin(request(message, &token)?)
                    .await
                    .map_err(status)?
                    .into_inner();
                std::fs::write(&r.file_name, &r.content)?;
                println!("wrote {} ({} bytes)", r.file_name, r.content.len());
            }
        }
        Ok(())
    }
}
