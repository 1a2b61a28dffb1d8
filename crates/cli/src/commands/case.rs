//! `xinfang case …`: the dispatch work of clerks and handlers — queues, routing, acceptance,
//! extension and the answer.

use super::connection::{Connection, local_time, request, status};
use super::petition::state_name;
use xinfang_proto::xinfang::dispatch::v1::dispatch_service_client::DispatchServiceClient;
use xinfang_proto::xinfang::dispatch::v1::*;
use xinfang_proto::xinfang::petition::v1::HandlingOpinion;

#[derive(clap::Subcommand)]
pub enum Command {
    /// The caller's work queue.
    Queue {
        #[command(flatten)]
        conn: Connection,
        #[arg(long)]
        overdue: bool,
    },
    /// One case with every step and its deadlines.
    Show {
        #[command(flatten)]
        conn: Connection,
        id: String,
    },
    /// The routing table's proposal for a case.
    Route {
        #[command(flatten)]
        conn: Connection,
        id: String,
    },
    /// 转送 to an organ.
    Forward {
        #[command(flatten)]
        conn: Connection,
        id: String,
        #[arg(long)]
        to: String,
    },
    /// 转有权处理地: the item belongs to another city (its node's region code), and goes there
    /// through the province.
    TransferOut {
        #[command(flatten)]
        conn: Connection,
        id: String,
        #[arg(long)]
        to_node: String,
        #[arg(long)]
        reason: String,
    },
    /// 受理, with the notice to the petitioner.
    Accept {
        #[command(flatten)]
        conn: Connection,
        id: String,
        #[arg(long, default_value = "您的信访事项已受理，将在法定期限内办理并答复。")]
        notice: String,
    },
    /// 延期申请 (once, at most 30 days).
    Extend {
        #[command(flatten)]
        conn: Connection,
        id: String,
        #[arg(long)]
        days: i32,
        #[arg(long)]
        reason: String,
    },
    /// 延期审批 (a leader of the organ, or a unit above it).
    ApproveExtension {
        #[command(flatten)]
        conn: Connection,
        id: String,
    },
    /// The clock stops for a hearing, an appraisal or an inspection (听证, 鉴定, 核查) from START.
    Pause {
        #[command(flatten)]
        conn: Connection,
        id: String,
        #[arg(long, value_parser = ["hearing", "appraisal", "inspection"])]
        kind: String,
        #[arg(long)]
        reason: String,
        /// YYYY-MM-DD
        #[arg(long)]
        start: String,
    },
    /// The clock runs again; the pause's last day was END (YYYY-MM-DD).
    Resume {
        #[command(flatten)]
        conn: Connection,
        id: String,
        #[arg(long)]
        end: String,
    },
    /// 处理意见: support, explain or not-support.
    Answer {
        #[command(flatten)]
        conn: Connection,
        id: String,
        #[arg(long, value_parser = OPINIONS)]
        opinion: String,
        #[arg(long)]
        text: String,
    },
}

impl Command {
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            Command::Queue { conn, overdue } => {
                let (client, token) = client(&conn).await?;
                let message = ListCasesRequest {
                    overdue_only: overdue,
                    ..Default::default()
                };
                let cases = send(client, request(message, &token)?, |mut c, r| async move {
                    c.list_cases(r).await
                })
                .await?;
                for case in cases.cases {
                    let due = case
                        .current_deadline
                        .map(|d| d.due_date)
                        .unwrap_or_default();
                    println!(
                        "{}  {}  {:<12} due {:<10}  organ {}",
                        case.petition_id,
                        case.case_number,
                        state_name(case.state),
                        due,
                        case.responsible_organ_code
                    );
                }
                Ok(())
            }
            Command::Show { conn, id } => {
                let (client, token) = client(&conn).await?;
                let message = GetCaseRequest { petition_id: id };
                let case = send(client, request(message, &token)?, |mut c, r| async move {
                    c.get_case(r).await
                })
                .await?;
                print_case(&case);
                Ok(())
            }
            Command::Route { conn, id } => {
                let (client, token) = client(&conn).await?;
                let message = ProposeRouteRequest { petition_id: id };
                let r = send(client, request(message, &token)?, |mut c, r| async move {
                    c.propose_route(r).await
                })
                .await?;
                println!("{}\n  {}", r.explanation, r.organ_codes.join(", "));
                Ok(())
            }
            Command::Forward { conn, id, to } => {
                let message = ForwardRequest {
                    petition_id: id,
                    organ_code: to,
                    note: String::new(),
                };
                step(&conn, message, |mut c, r| async move { c.forward(r).await }).await
            }
            Command::TransferOut {
                conn,
                id,
                to_node,
                reason,
            } => {
                let message = MarkForeignRequest {
                    petition_id: id,
                    node_region_code: to_node,
                    reason,
                };
                step(
                    &conn,
                    message,
                    |mut c, r| async move { c.mark_foreign(r).await },
                )
                .await
            }
            Command::Accept { conn, id, notice } => {
                let message = AcceptRequest {
                    petition_id: id,
                    notice_text: notice,
                };
                step(&conn, message, |mut c, r| async move { c.accept(r).await }).await
            }
            Command::Extend {
                conn,
                id,
                days,
                reason,
            } => {
                let message = RequestExtensionRequest {
                    petition_id: id,
                    days,
                    reason,
                };
                step(&conn, message, |mut c, r| async move {
                    c.request_extension(r).await
                })
                .await
            }
            Command::ApproveExtension { conn, id } => {
                let message = DecideExtensionRequest {
                    petition_id: id,
                    approved: true,
                    reason: String::new(),
                };
                step(&conn, message, |mut c, r| async move {
                    c.decide_extension(r).await
                })
                .await
            }
            Command::Pause {
                conn,
                id,
                kind,
                reason,
                start,
            } => {
                let kind = match kind.as_str() {
                    "hearing" => PauseKind::Hearing,
                    "appraisal" => PauseKind::Appraisal,
                    _ => PauseKind::Inspection,
                };
                let message = StartPauseRequest {
                    petition_id: id,
                    kind: kind as i32,
                    reason,
                    start_date: start,
                };
                step(
                    &conn,
                    message,
                    |mut c, r| async move { c.start_pause(r).await },
                )
                .await
            }
            Command::Resume { conn, id, end } => {
                let message = EndPauseRequest {
                    petition_id: id,
                    end_date: end,
                };
                step(
                    &conn,
                    message,
                    |mut c, r| async move { c.end_pause(r).await },
                )
                .await
            }
            Command::Answer {
                conn,
                id,
                opinion: named,
                text,
            } => {
                let message = AnswerRequest {
                    petition_id: id,
                    opinion: opinion(&named) as i32,
                    text,
                };
                step(&conn, message, |mut c, r| async move { c.answer(r).await }).await
            }
        }
    }
}

/// The handling opinions (处理意见) as typed: 支持, 解释说明, 不予支持.
pub const OPINIONS: [&str; 3] = ["support", "explain", "not-support"];

pub fn opinion(name: &str) -> HandlingOpinion {
    match name {
        "support" => HandlingOpinion::Support,
        "explain" => HandlingOpinion::Explain,
        _ => HandlingOpinion::NotSupport,
    }
}

type Client = DispatchServiceClient<tonic::transport::Channel>;

async fn client(conn: &Connection) -> anyhow::Result<(Client, Option<String>)> {
    let (channel, token) = conn.channel(|s| s.listen.dispatch).await?;
    Ok((DispatchServiceClient::new(channel), token))
}

async fn send<Req, Resp, F, Fut>(
    client: Client,
    request: tonic::Request<Req>,
    call: F,
) -> anyhow::Result<Resp>
where
    F: FnOnce(Client, tonic::Request<Req>) -> Fut,
    Fut: std::future::Future<Output = Result<tonic::Response<Resp>, tonic::Status>>,
{
    call(client, request)
        .await
        .map(tonic::Response::into_inner)
        .map_err(status)
}

/// One step on a case, then the case as it stands.
async fn step<Req, F, Fut>(conn: &Connection, message: Req, call: F) -> anyhow::Result<()>
where
    F: FnOnce(Client, tonic::Request<Req>) -> Fut,
    Fut: std::future::Future<Output = Result<tonic::Response<Case>, tonic::Status>>,
{
    let (client, token) = client(conn).await?;
    let case = send(client, request(message, &token)?, call).await?;
    print_case(&case);
    Ok(())
}

fn print_case(case: &Case) {
    println!(
        "case {}  {}  state {}  organ {}",
        case.petition_id,
        case.case_number,
        state_name(case.state),
        case.responsible_organ_code
    );
    if let Some(p) = &case.running_pause {
        println!("  clock stopped since {} — {}", p.start_date, p.reason);
    } else if let Some(d) = &case.current_deadline {
        println!("  due {} — {}", d.due_date, d.explanation);
    }
    for s in &case.steps {
        let at = local_time(s.occurred_at);
        println!("  {at}  {:<18} {}  {}", s.action, s.text, s.reason);
    }
}
