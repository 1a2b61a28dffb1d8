//! `xinfang review …`: what follows an answer — the petitioner's evaluation (满意度评价, by the
//! SMS code or entered by a proxy), the revisit (回访), review and re-examination (复查, 复核) with
//! hearings (听证), termination (终结), spot checks (抽查) and the province's evaluation (报省评议).

use super::case::{OPINIONS, opinion};
use super::connection::{Connection, local_time};
use super::petition::state_name;
use xinfang_proto::convert::{satisfaction_from_wire, stage_from_wire};
use xinfang_proto::xinfang::evaluation::v1::evaluation_service_client::EvaluationServiceClient;
use xinfang_proto::xinfang::evaluation::v1::*;
use xinfang_proto::xinfang::petition::v1::Satisfaction;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Everything after the answer: evaluations, revisits, reviews, hearings, termination.
    Show {
        #[command(flatten)]
        conn: Connection,
        id: String,
    },
    /// 满意度评价: as the citizen (--query-code and --code from the SMS, no --as-unit) or as a
    /// proxy (代评) for the item ID.
    Evaluate {
        #[command(flatten)]
        conn: Connection,
        /// The item, when a clerk enters the evaluation for the petitioner.
        id: Option<String>,
        #[arg(long)]
        query_code: Option<String>,
        /// The evaluation code (评价码) of the SMS.
        #[arg(long)]
        code: Option<String>,
        /// Who entered it for the petitioner (代评人).
        #[arg(long)]
        proxy: Option<String>,
        /// Of the petition office: satisfied, basically, dissatisfied.
        #[arg(long, value_parser = SATISFACTION)]
        office: String,
        /// Of the handling organ.
        #[arg(long, value_parser = SATISFACTION)]
        organ: String,
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// 回访 after 不满意, with the analysis of why.
    Revisit {
        #[command(flatten)]
        conn: Connection,
        id: String,
        #[arg(long)]
        text: String,
        #[arg(long)]
        analysis: String,
        #[arg(long, default_value = "")]
        outcome: String,
    },
    /// 复查申请 or 复核申请 (--re-examination), recorded as the petitioner made it.
    Request {
        #[command(flatten)]
        conn: Connection,
        id: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        re_examination: bool,
        /// The organ the petitioner addressed, if they named one.
        #[arg(long, default_value = "")]
        to: String,
    },
    /// 复查意见 or 复核意见 (--re-examination): support, explain or not-support.
    Decide {
        #[command(flatten)]
        conn: Connection,
        id: String,
        #[arg(long, value_parser = OPINIONS)]
        opinion: String,
        #[arg(long)]
        text: String,
        #[arg(long)]
        re_examination: bool,
        /// Publish the opinion (after a hearing).
        #[arg(long)]
        publish: bool,
    },
    /// 听证 of a re-examination from START (YYYY-MM-DD): its days do not count.
    Hearing {
        #[command(flatten)]
        conn: Connection,
        id: String,
        #[arg(long)]
        start: String,
        #[arg(long)]
        place: String,
        #[arg(long = "participant")]
        participants: Vec<String>,
    },
    /// The hearing's last day was END (YYYY-MM-DD), with its record.
    HearingEnd {
        #[command(flatten)]
        conn: Connection,
        id: String,
        #[arg(long)]
        end: String,
        #[arg(long)]
        record: String,
    },
    /// 终结 after the re-examination (Art. 36).
    Terminate {
        #[command(flatten)]
        conn: Connection,
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Terminated items of the caller's scope (终结公示), of YEAR or every year.
    Terminated {
        #[command(flatten)]
        conn: Connection,
        #[arg(long, default_value_t = 0)]
        year: i32,
    },
    /// 抽查 of a terminated item (a supervisor).
    SpotCheck {
        #[command(flatten)]
        conn: Connection,
        id: String,
        #[arg(long)]
        findings: String,
        #[arg(long, default_value = "")]
        corrections: String,
    },
    /// 报省评议.
    ReportToProvince {
        #[command(flatten)]
        conn: Connection,
        id: String,
        #[arg(long)]
        reason: String,
    },
}

const SATISFACTION: [&str; 3] = ["satisfied", "basically", "dissatisfied"];

fn satisfaction(name: &str) -> i32 {
    (match name {
        "satisfied" => Satisfaction::Satisfied,
        "basically" => Satisfaction::BasicallySatisfied,
        _ => Satisfaction::Dissatisfied,
    }) as i32
}

fn satisfaction_zh(value: i32) -> &'static str {
    satisfaction_from_wire(value).map_or("", |s| s.label())
}

fn stage_zh(stage: i32) -> &'static str {
    stage_from_wire(stage).map_or("", |s| s.label())
}

type Client = EvaluationServiceClient<tonic::transport::Channel>;

/// One call on the evaluation service.
async fn call<Req, Resp, F, Fut>(conn: &Connection, message: Req, f: F) -> anyhow::Result<Resp>
where
    F: FnOnce(Client, tonic::Request<Req>) -> Fut,
    Fut: std::future::Future<Output = Result<tonic::Response<Resp>, tonic::Status>>,
{
    conn.call(|s| s.listen.evaluation, Client::new, message, f)
        .await
}

impl Command {
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            Command::Show { conn, id } => {
                let message = GetRecordRequest { petition_id: id };
                let record = call(
                    &conn,
                    message,
                    |mut c, r| async move { c.get_record(r).await },
                )
                .await?;
                print_record(&record);
            }
            Command::Evaluate {
                conn,
                id,
                query_code,
                code,
                proxy,
                office,
                organ,
                comment,
            } => {
                let message = SubmitEvaluationRequest {
                    query_code: query_code.unwrap_or_default(),
                    token: code.unwrap_or_default(),
                    petition_id: id.unwrap_or_default(),
                    proxy_name: proxy.unwrap_or_default(),
                    department: satisfaction(&office),
                    handling_organ: satisfaction(&organ),
                    comment,
                    channel: 0,
                };
                let e = call(&conn, message, |mut c, r| async move {
                    c.submit_evaluation(r).await
                })
                .await?;
                println!(
                    "evaluated {} ({})  信访部门 {}  责任单位 {}  {}",
                    e.petition_id,
                    stage_zh(e.stage),
                    satisfaction_zh(e.department),
                    satisfaction_zh(e.handling_organ),
                    local_time(e.evaluated_at)
                );
            }
            Command::Revisit {
                conn,
                id,
                text,
                analysis,
                outcome,
            } => {
                let message = RecordRevisitRequest {
                    petition_id: id,
                    text,
                    analysis,
                    outcome,
                };
                let v = call(&conn, message, |mut c, r| async move {
                    c.record_revisit(r).await
                })
                .await?;
                println!(
                    "revisit by {} recorded {}",
                    v.organ_code,
                    local_time(v.recorded_at)
                );
            }
            Command::Request {
                conn,
                id,
                reason,
                re_examination,
                to,
            } => {
                let message = RequestReviewRequest {
                    petition_id: id,
                    reason,
                    organ_code: to,
                };
                let case = if re_examination {
                    call(&conn, message, |mut c, r| async move {
                        c.request_re_examination(r).await
                    })
                    .await?
                } else {
                    call(&conn, message, |mut c, r| async move {
                        c.request_review(r).await
                    })
                    .await?
                };
                print_review(&case);
            }
            Command::Decide {
                conn,
                id,
                opinion: o,
                text,
                re_examination,
                publish,
            } => {
                let message = DecideReviewRequest {
                    petition_id: id,
                    opinion: opinion(&o) as i32,
                    text,
                    publish_opinion: publish,
                };
                let case = if re_examination {
                    call(&conn, message, |mut c, r| async move {
                        c.decide_re_examination(r).await
                    })
                    .await?
                } else {
                    call(&conn, message, |mut c, r| async move {
                        c.decide_review(r).await
                    })
                    .await?
                };
                print_review(&case);
            }
            Command::Hearing {
                conn,
                id,
                start,
                place,
                participants,
            } => {
                let message = ScheduleHearingRequest {
                    petition_id: id,
                    start_date: start,
                    place,
                    participants,
                };
                let case = call(&conn, message, |mut c, r| async move {
                    c.schedule_hearing(r).await
                })
                .await?;
                print_review(&case);
            }
            Command::HearingEnd {
                conn,
                id,
                end,
                record,
            } => {
                let message = EndHearingRequest {
                    petition_id: id,
                    end_date: end,
                    record,
                };
                let case = call(
                    &conn,
                    message,
                    |mut c, r| async move { c.end_hearing(r).await },
                )
                .await?;
                print_review(&case);
            }
            Command::Terminate { conn, id, reason } => {
                let message = TerminateRequest {
                    petition_id: id,
                    reason,
                };
                let record = call(
                    &conn,
                    message,
                    |mut c, r| async move { c.terminate(r).await },
                )
                .await?;
                print_record(&record);
            }
            Command::Terminated { conn, year } => {
                let message = ListTerminatedRequest { year };
                let list = call(&conn, message, |mut c, r| async move {
                    c.list_terminated(r).await
                })
                .await?;
                for r in list.records {
                    println!(
                        "{}  {}  终结 {}  {}",
                        r.petition_id, r.case_number, r.terminated_date, r.termination_reason
                    );
                }
            }
            Command::SpotCheck {
                conn,
                id,
                findings,
                corrections,
            } => {
                let message = RecordSpotCheckRequest {
                    petition_id: id,
                    findings,
                    corrections,
                };
                let record = call(&conn, message, |mut c, r| async move {
                    c.record_spot_check(r).await
                })
                .await?;
                print_record(&record);
            }
            Command::ReportToProvince { conn, id, reason } => {
                let message = ReportToProvinceRequest {
                    petition_id: id,
                    reason,
                };
                let record = call(&conn, message, |mut c, r| async move {
                    c.report_to_province(r).await
                })
                .await?;
                print_record(&record);
            }
        }
        Ok(())
    }
}

fn print_review(case: &ReviewCase) {
    let stage = stage_zh(case.stage);
    if !case.accepted {
        println!(
            "{stage}申请不予受理（{}）：{}",
            case.requested_date, case.notice
        );
        return;
    }
    println!(
        "{stage} by {}  requested {}",
        case.organ_code, case.requested_date
    );
    if let Some(d) = &case.deadline {
        println!("  due {} — {}", d.due_date, d.explanation);
    }
    for h in &case.hearings {
        let end = if h.end_date.is_empty() {
            "…"
        } else {
            &h.end_date
        };
        println!("  听证 {} – {end}  {}", h.start_date, h.place);
    }
    if !case.decided_date.is_empty() {
        println!("  decided {}: {}", case.decided_date, case.text);
    }
}

fn print_record(record: &Record) {
    println!(
        "{}  {}  state {}  answered {} by {}",
        record.petition_id,
        record.case_number,
        state_name(record.state),
        record.answered_date,
        record.answering_organ_code
    );
    if let Some(w) = &record.evaluation_window {
        println!("  evaluation until {}", w.due_date);
    }
    if let Some(w) = &record.request_window {
        println!("  next request until {} — {}", w.due_date, w.explanation);
    }
    for e in &record.evaluations {
        let proxy = if e.proxy_name.is_empty() {
            String::new()
        } else {
            format!("  代评 {} ({})", e.proxy_name, e.proxy_unit)
        };
        println!(
            "  评价 {}  信访部门 {}  责任单位 {}{proxy}",
            stage_zh(e.stage),
            satisfaction_zh(e.department),
            satisfaction_zh(e.handling_organ)
        );
    }
    for v in &record.revisits {
        let done = if v.recorded_at.is_some() {
            "done"
        } else {
            "open"
        };
        println!(
            "  回访 by {} due {}  {done}  {}",
            v.organ_code, v.due_date, v.analysis
        );
    }
    for case in &record.reviews {
        print_review(case);
    }
    if record.terminated {
        println!(
            "  终结 {}: {}",
            record.terminated_date, record.termination_reason
        );
    }
    for c in &record.spot_checks {
        println!(
            "  抽查 {} by {}: {}  {}",
            c.date, c.unit_code, c.findings, c.corrections
        );
    }
    if !record.reported_to_province_date.is_empty() {
        println!("  报省评议 {}", record.reported_to_province_date);
    }
}
