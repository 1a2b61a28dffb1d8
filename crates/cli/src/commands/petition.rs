//! `xinfang petition …`: a clerk's (or a citizen's) view of a running node over gRPC.

use super::connection::{Connection, local_time, request, status};
use xinfang_proto::xinfang::intake::v1::intake_service_client::IntakeServiceClient;
use xinfang_proto::xinfang::intake::v1::*;
use xinfang_proto::xinfang::petition::v1::{IdType, PetitionState, Petitioner};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Register a petition (登记).
    Register {
        #[command(flatten)]
        conn: Connection,
        /// Channel code, e.g. 0100 online, 0200 letter, 0300 visit, 0400 phone.
        #[arg(long)]
        channel: String,
        /// Region the matter concerns (6 or 9 digits).
        #[arg(long)]
        region: String,
        /// Content category, e.g. 020100 (拖欠工资).
        #[arg(long)]
        category: String,
        #[arg(long)]
        content: String,
        #[arg(long, default_value = "")]
        title: String,
        #[arg(long)]
        name: String,
        /// Resident ID number (18 characters).
        #[arg(long)]
        id_number: String,
        #[arg(long, default_value = "")]
        phone: String,
        /// Idempotency key; a fresh one when omitted.
        #[arg(long)]
        key: Option<String>,
    },
    /// Track an item with its query code (查询码), as the petitioner does.
    Track {
        #[command(flatten)]
        conn: Connection,
        code: String,
    },
    /// Show one petition.
    Get {
        #[command(flatten)]
        conn: Connection,
        id: String,
    },
    /// List petitions in the caller's scope, newest first.
    List {
        #[command(flatten)]
        conn: Connection,
        #[arg(long, default_value_t = 20)]
        page_size: i32,
    },
}

impl Command {
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            Command::Register {
                conn,
                channel,
                region,
                category,
                content,
                title,
                name,
                id_number,
                phone,
                key,
            } => {
                let request = RegisterPetitionRequest {
                    idempotency_key: key.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
                    channel_code: channel,
                    region_code: region,
                    content_category: category,
                    title,
                    content,
                    petitioners: vec![Petitioner {
                        name,
                        id_type: IdType::ResidentId as i32,
                        id_number,
                        phone,
                        ..Default::default()
                    }],
                    ..Default::default()
                };
                let response = call(&conn, request, |mut c, r| async move {
                    c.register_petition(r).await
                })
                .await?;
                let petition = response.petition.unwrap_or_default();
                print_petition(&petition);
                println!("query code (查询码): {}", response.query_code);
            }
            Command::Track { conn, code } => {
                let message = TrackByQueryCodeRequest { query_code: code };
                let r = call(&conn, message, |mut c, r| async move {
                    c.track_by_query_code(r).await
                })
                .await?;
                println!("{}  {}  {}", r.case_number, state_name(r.state), r.title);
                println!("petitioners: {}", r.petitioner_names.join(", "));
                for step in r.steps {
                    let at = local_time(step.occurred_at);
                    println!("  {at}  {}  {}  {}", step.title, step.organ_name, step.text);
                }
            }
            Command::Get { conn, id } => {
                let p = call(&conn, GetPetitionRequest { id }, |mut c, r| async move {
                    c.get_petition(r).await
                })
                .await?;
                print_petition(&p);
            }
            Command::List { conn, page_size } => {
                let message = ListPetitionsRequest {
                    page_size,
                    ..Default::default()
                };
                let r = call(&conn, message, |mut c, r| async move {
                    c.list_petitions(r).await
                })
                .await?;
                for p in r.petitions {
                    println!(
                        "{}  {}  {:<14} {}  {}",
                        p.id,
                        p.case_number,
                        state_name(p.state),
                        p.region_code,
                        p.title
                    );
                }
            }
        }
        Ok(())
    }
}

/// Calls intake with the connection's token.
async fn call<Req, Resp, F, Fut>(conn: &Connection, message: Req, call: F) -> anyhow::Result<Resp>
where
    F: FnOnce(IntakeServiceClient<tonic::transport::Channel>, tonic::Request<Req>) -> Fut,
    Fut: std::future::Future<Output = Result<tonic::Response<Resp>, tonic::Status>>,
{
    let (channel, token) = conn.channel(|s| s.listen.intake).await?;
    let response = call(IntakeServiceClient::new(channel), request(message, &token)?).await;
    response.map(tonic::Response::into_inner).map_err(status)
}

pub fn state_name(state: i32) -> &'static str {
    PetitionState::try_from(state)
        .map(|s| s.as_str_name().trim_start_matches("PETITION_STATE_"))
        .unwrap_or("?")
}

fn print_petition(p: &Petition) {
    println!(
        "petition {}  case {}  state {}",
        p.id,
        p.case_number,
        state_name(p.state)
    );
    println!(
        "  {} / region {} / category {} / unit {}",
        p.channel_code, p.region_code, p.content_category, p.registering_unit
    );
    println!("  {}", p.title);
    for who in &p.petitioners {
        println!(
            "  petitioner {}  {}  {}",
            who.name, who.id_number, who.phone
        );
    }
    for flag in &p.flags {
        println!("  flag: {}", flag.explanation);
    }
    if !p.linked_petition_id.is_empty() {
        println!("  linked to {}", p.linked_petition_id);
    }
}
