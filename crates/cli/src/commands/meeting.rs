//! `xinfang meeting …`: joint meetings (联席会议) — convene, put items on the agenda, decide,
//! follow up, certify resolution, and the year's figures.

use super::connection::Connection;
use xinfang_proto::xinfang::jointmeeting::v1::joint_meeting_service_client::JointMeetingServiceClient;
use xinfang_proto::xinfang::jointmeeting::v1::*;

#[derive(clap::Subcommand)]
pub enum Command {
    /// 召开联席会议, convened by the caller's unit.
    Convene {
        #[command(flatten)]
        conn: Connection,
        #[arg(long)]
        title: String,
        /// YYYY-MM-DD
        #[arg(long)]
        date: String,
        #[arg(long = "member", required = true)]
        members: Vec<String>,
    },
    /// Items on the agenda; `--dispute A,B` marks a jurisdiction dispute between organs A and B.
    Agenda {
        #[command(flatten)]
        conn: Connection,
        meeting: String,
        #[arg(long = "item", required = true)]
        items: Vec<String>,
        #[arg(long, value_delimiter = ',')]
        dispute: Vec<String>,
    },
    /// The meeting's decision on an item.
    Decide {
        #[command(flatten)]
        conn: Connection,
        meeting: String,
        item: String,
        #[arg(long)]
        lead: String,
        #[arg(long = "with")]
        cooperating: Vec<String>,
        #[arg(long = "measure", value_parser = ["summons", "circular", "listed-supervision"])]
        measures: Vec<String>,
        /// YYYY-MM-DD
        #[arg(long)]
        deadline: String,
        #[arg(long)]
        text: String,
    },
    /// Progress on a decided item.
    FollowUp {
        #[command(flatten)]
        conn: Connection,
        meeting: String,
        item: String,
        #[arg(long)]
        text: String,
    },
    /// 化解 certified (the convener or a unit above the lead organ).
    Certify {
        #[command(flatten)]
        conn: Connection,
        meeting: String,
        item: String,
    },
    Show {
        #[command(flatten)]
        conn: Connection,
        meeting: String,
    },
    /// 联席会议纪要 as a Word document, written to the current folder.
    Minutes {
        #[command(flatten)]
        conn: Connection,
        meeting: String,
    },
    /// 一局一周: the caller's reception roster of YEAR, each `--week MONDAY=DEPT[,DEPT]`.
    Roster {
        #[command(flatten)]
        conn: Connection,
        #[arg(long)]
        year: i32,
        #[arg(long = "week", required = true)]
        weeks: Vec<String>,
    },
    /// One department hands its week (any day of it) to another.
    Swap {
        #[command(flatten)]
        conn: Connection,
        #[arg(long)]
        week: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        reason: String,
    },
    /// Who is on duty in an office's reception hall on DATE (default: today).
    Duty {
        #[command(flatten)]
        conn: Connection,
        /// The petition office; default: the caller's unit.
        #[arg(long, default_value = "")]
        office: String,
        #[arg(long, default_value = "")]
        date: String,
    },
    /// The caller's meetings of YEAR with the figures of the annual report.
    List {
        #[command(flatten)]
        conn: Connection,
        #[arg(long, default_value_t = 0)]
        year: i32,
    },
}

type Client = JointMeetingServiceClient<tonic::transport::Channel>;

/// One call on the joint meeting service (receptions too).
pub(super) async fn call<Req, Resp, F, Fut>(
    conn: &Connection,
    message: Req,
    f: F,
) -> anyhow::Result<Resp>
where
    F: FnOnce(Client, tonic::Request<Req>) -> Fut,
    Fut: std::future::Future<Output = Result<tonic::Response<Resp>, tonic::Status>>,
{
    conn.call(|s| s.listen.jointmeeting, Client::new, message, f)
        .await
}

fn measure(name: &str) -> i32 {
    (match name {
        "summons" => Measure::Summons,
        "circular" => Measure::Circular,
        _ => Measure::ListedSupervision,
    }) as i32
}

impl Command {
    pub async fn run(self) -> anyhow::Result<()> {
        let meeting = match self {
            Command::Convene {
                conn,
                title,
                date,
                members,
            } => {
                let message = ConveneMeetingRequest {
                    title,
                    held_date: date,
                    member_organ_codes: members,
                };
                call(&conn, message, |mut c, r| async move {
                    c.convene_meeting(r).await
                })
                .await?
            }
            Command::Agenda {
                conn,
                meeting,
                items,
                dispute,
            } => {
                let message = AddAgendaItemsRequest {
                    meeting_id: meeting,
                    items: items
                        .into_iter()
                        .map(|petition_id| NewAgendaItem {
                            petition_id,
                            disputing_organ_codes: dispute.clone(),
                        })
                        .collect(),
                };
                call(&conn, message, |mut c, r| async move {
                    c.add_agenda_items(r).await
                })
                .await?
            }
            Command::Decide {
                conn,
                meeting,
                item,
                lead,
                cooperating,
                measures,
                deadline,
                text,
            } => {
                let message = RecordDecisionRequest {
                    meeting_id: meeting,
                    petition_id: item,
                    decision: Some(Decision {
                        lead_organ_code: lead,
                        cooperating_organ_codes: cooperating,
                        measures: measures.iter().map(|m| measure(m)).collect(),
                        deadline,
                        text,
                    }),
                };
                call(&conn, message, |mut c, r| async move {
                    c.record_decision(r).await
                })
                .await?
            }
            Command::FollowUp {
                conn,
                meeting,
                item,
                text,
            } => {
                let message = RecordFollowUpRequest {
                    meeting_id: meeting,
                    petition_id: item,
                    text,
                };
                call(&conn, message, |mut c, r| async move {
                    c.record_follow_up(r).await
                })
                .await?
            }
            Command::Certify {
                conn,
                meeting,
                item,
            } => {
                let message = CertifyResolutionRequest {
                    meeting_id: meeting,
                    petition_id: item,
                };
                call(&conn, message, |mut c, r| async move {
                    c.certify_resolution(r).await
                })
                .await?
            }
            Command::Show { conn, meeting } => {
                let message = GetMeetingRequest {
                    meeting_id: meeting,
                };
                call(
                    &conn,
                    message,
                    |mut c, r| async move { c.get_meeting(r).await },
                )
                .await?
            }
            Command::Minutes { conn, meeting } => {
                let message = GetMeetingRequest {
                    meeting_id: meeting,
                };
                let minutes = call(&conn, message, |mut c, r| async move {
                    c.export_minutes(r).await
                })
                .await?;
                std::fs::write(&minutes.file_name, &minutes.content)?;
                println!("{} ({} bytes)", minutes.file_name, minutes.content.len());
                return Ok(());
            }
            Command::Roster { conn, year, weeks } => {
                let weeks = weeks
                    .iter()
                    .map(|w| {
                        let (start, units) = w.split_once('=').ok_or_else(|| {
                            anyhow::anyhow!("--week {w}: MONDAY=DEPT[,DEPT] expected")
                        })?;
                        Ok(RosterWeek {
                            week_start: start.to_owned(),
                            organ_codes: units.split(',').map(str::to_owned).collect(),
                        })
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?;
                let message = PublishRosterRequest { year, weeks };
                let roster = call(&conn, message, |mut c, r| async move {
                    c.publish_roster(r).await
                })
                .await?;
                print_roster(&roster);
                return Ok(());
            }
            Command::Swap {
                conn,
                week,
                from,
                to,
                reason,
            } => {
                let message = SwapDutyRequest {
                    week_start: week,
                    from_organ_code: from,
                    to_organ_code: to,
                    reason,
                };
                let roster = call(
                    &conn,
                    message,
                    |mut c, r| async move { c.swap_duty(r).await },
                )
                .await?;
                print_roster(&roster);
                return Ok(());
            }
            Command::Duty { conn, office, date } => {
                let message = GetRosterRequest {
                    office_code: office,
                    date,
                };
                let roster = call(
                    &conn,
                    message,
                    |mut c, r| async move { c.get_roster(r).await },
                )
                .await?;
                println!("on duty: {}", roster.on_duty_organ_codes.join(", "));
                return Ok(());
            }
            Command::List { conn, year } => {
                let message = ListMeetingsRequest { year };
                let list = call(&conn, message, |mut c, r| async move {
                    c.list_meetings(r).await
                })
                .await?;
                for m in &list.meetings {
                    println!(
                        "{}  {}  {}  {} items",
                        m.id,
                        m.held_date,
                        m.title,
                        m.items.len()
                    );
                }
                if let Some(f) = list.figures {
                    let rate = xinfang_domain::metrics::rate_text(f.resolution_rate);
                    println!(
                        "召开联席会议 {} 次，研究事项 {} 件，化解 {} 件，化解率 {rate}",
                        f.meetings, f.items_studied, f.items_resolved
                    );
                }
                return Ok(());
            }
        };
        print_meeting(&meeting);
        Ok(())
    }
}

fn print_roster(r: &Roster) {
    println!("roster of {} for {}", r.office_code, r.year);
    for w in &r.weeks {
        println!("  {}  {}", w.week_start, w.organ_codes.join(", "));
    }
    for s in &r.swaps {
        println!(
            "  swap {}: {} → {} ({}) on {}",
            s.week_start, s.from_organ_code, s.to_organ_code, s.reason, s.date
        );
    }
}

fn print_meeting(m: &Meeting) {
    println!(
        "meeting {}  {}  {}  convened by {}  members {}",
        m.id,
        m.held_date,
        m.title,
        m.convener_organ_code,
        m.member_organ_codes.join(", ")
    );
    for i in &m.items {
        let dispute = if i.disputing_organ_codes.is_empty() {
            String::new()
        } else {
            format!("  管辖争议 {}", i.disputing_organ_codes.join(" / "))
        };
        println!("  {}  {}{dispute}", i.petition_id, i.case_number);
        if let Some(d) = &i.decision {
            println!(
                "    lead {}  with {}  by {} — {}",
                d.lead_organ_code,
                d.cooperating_organ_codes.join(", "),
                d.deadline,
                d.text
            );
        }
        for f in &i.follow_ups {
            println!("    follow-up by {}: {}", f.unit_code, f.text);
        }
        if i.resolved {
            println!(
                "    化解 {} (certified by {})",
                i.resolved_date, i.certified_by
            );
        }
    }
}
