//! Pulling (node role): the node's downward queue at the hub, after its own cursor. Each record
//! is applied, then the record and the cursor are kept in one transaction, then the hub is told
//! the cursor: a record the node applied but did not acknowledge comes again and is applied
//! once (intake answers the same idempotency key with the same petition). An item the province
//! assigns (省交办) is registered by the node's intake for the unit that triages its region — the
//! township's — under its provincial number; so is an item another city transferred here
//! (转有权处理地), for the node's petition office, with what that city told the petitioner as its
//! first steps. A step of an item this node transferred, as the other city reported it, is
//! announced (`TransferredStepReceived`) for intake to show the petitioner. A holiday calendar
//! (节假日安排) or the node's organisation (组织机构) is announced to the node's services
//! (`CalendarPublished`, `OrganisationPublished`) in the transaction that keeps it; they lay it
//! over their reference data (and recount provisional deadlines with a calendar); the exchange
//! keeps the organisation too, for the units it registers for. A record the node cannot take (a
//! code it does not know, a region outside it, a text that does not parse, another node's
//! organisation) is kept as refused with the reason, and the queue goes on.

use crate::SERVICE;
use crate::credential::Credential;
use crate::entity::{down_record, link};
use crate::mapping::{self, SentTables, TABLES};
use crate::records::province_code;
use crate::rounds::{self, Round};
use anyhow::Context;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, DatabaseConnection, EntityTrait, IntoActiveModel, Set, TransactionTrait,
};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tonic::Code;
use tonic::transport::Channel;
use xinfang_domain::clock::Calendar;
use xinfang_domain::reference::{OrgTree, ReferenceData, Source, UnitKind};
use xinfang_domain::region::RegionCode;
use xinfang_events::Payload;
use xinfang_events::envelope::EventDraft;
use xinfang_events::outbox::{self, Position};
use xinfang_platform::database;
use xinfang_platform::reference::ReferenceStore;
use xinfang_proto::xinfang::events::v1::{
    CalendarPublished, OrganisationPublished, TransferredStepReceived,
};
use xinfang_proto::xinfang::exchange::v1::down_record::Record;
use xinfang_proto::xinfang::exchange::v1::exchange_service_client::ExchangeServiceClient;
use xinfang_proto::xinfang::exchange::v1::{
    AckPullRequest, CalendarUpdate, CodeMapping, DownRecord, ExchangeItem, OrganisationUpdate,
    PullBatchRequest, TransferredStep,
};
use xinfang_proto::xinfang::intake::v1::RegisterPetitionRequest;
use xinfang_proto::xinfang::intake::v1::intake_service_client::IntakeServiceClient;
use xinfang_proto::xinfang::petition::v1::PublicStep;
use xinfang_store::reference_updates::{self, Update};

pub struct Puller {
    pub db: DatabaseConnection,
    pub hub: Credential,
    pub intake: Credential,
    pub reference: ReferenceStore,
    /// The code tables the province sent down, reloaded when one more is kept.
    pub sent: SentTables,
    pub node: String,
    pub interval: Duration,
    pub batch: u32,
}

pub struct Clients {
    hub: ExchangeServiceClient<Channel>,
    intake: IntakeServiceClient<Channel>,
    /// The cursor the hub last confirmed over this connection (an acknowledgement that failed
    /// is made again with the next pull).
    acknowledged: i64,
}

/// What the node made of one record.
enum Outcome {
    /// 省交办 or 转有权处理地: registered by the node's intake.
    Registered {
        kind: &'static str,
        province_number: String,
        petition_id: String,
        case_number: String,
    },
    /// A step of an item this node transferred: the event that tells intake, kept with the
    /// record.
    Followed {
        province_number: String,
        petition_id: String,
        step: TransferredStepReceived,
        occurred_at: chrono::DateTime<chrono::Utc>,
    },
    /// A calendar or the organisation: the event that tells the node's services (of `kind`),
    /// kept with the record.
    Published(&'static str, Box<Payload>),
    /// A code table: laid over the node's mapping, kept with the record.
    Applied(CodeMapping),
    Refused {
        kind: &'static str,
        province_number: String,
        reason: String,
    },
}

impl Outcome {
    fn refused(kind: &'static str, province_number: &str, reason: String) -> Self {
        Outcome::Refused {
            kind,
            province_number: province_number.to_owned(),
            reason,
        }
    }

    /// The record as the operators list it.
    fn row(&self, cursor: i64) -> down_record::Model {
        let (kind, status, number, petition, case, reason) = match self {
            Outcome::Registered {
                kind,
                province_number,
                petition_id,
                case_number,
            } => (
                *kind,
                "registered",
                province_number.as_str(),
                petition_id.as_str(),
                case_number.as_str(),
                "",
            ),
            Outcome::Followed {
                province_number,
                petition_id,
                ..
            } => (
                "transferred_step",
                "published",
                province_number.as_str(),
                petition_id.as_str(),
                "",
                "",
            ),
            Outcome::Published(kind, _) => (*kind, "published", "", "", "", ""),
            Outcome::Applied(_) => ("code_table", "applied", "", "", "", ""),
            Outcome::Refused {
                kind,
                province_number,
                reason,
            } => (
                *kind,
                "refused",
                province_number.as_str(),
                "",
                "",
                reason.as_str(),
            ),
        };
        down_record::Model {
            cursor,
            kind: kind.into(),
            province_number: number.into(),
            petition_id: petition.into(),
            case_number: case.into(),
            status: status.into(),
            reason: reason.into(),
            received_at: chrono::Utc::now(),
        }
    }
}

impl Puller {
    pub async fn run(self, stop: CancellationToken) {
        rounds::repeat(&self, &self.db, self.interval, stop).await;
    }

    /// One batch: whether there was anything.
    async fn pull(&self, clients: &mut Option<Clients>) -> anyhow::Result<bool> {
        let cursor = link::Entity::find_by_id(1)
            .one(&self.db)
            .await?
            .context("the exchange link row is missing (run the migrations)")?
            .pull_cursor;
        let clients = match clients {
            Some(c) => c,
            None => clients.insert(Clients {
                hub: ExchangeServiceClient::new(self.hub.connect().await?),
                intake: IntakeServiceClient::new(self.intake.connect().await?),
                acknowledged: 0,
            }),
        };
        let records = clients
            .hub
            .pull_batch(self.hub.request(PullBatchRequest {
                node_region_code: self.node.clone(),
                after_cursor: cursor as u64,
                max_records: self.batch as i32,
            })?)
            .await?
            .into_inner()
            .records;
        let mut through = cursor;
        for record in records.into_iter().filter(|r| r.cursor as i64 > cursor) {
            let at = record.cursor as i64;
            let outcome = self.apply(&mut clients.intake, record).await?;
            self.keep(at, outcome).await?;
            through = at;
        }
        if through > clients.acknowledged {
            clients
                .hub
                .ack_pull(self.hub.request(AckPullRequest {
                    node_region_code: self.node.clone(),
                    through_cursor: through as u64,
                })?)
                .await?;
            clients.acknowledged = through;
        }
        Ok(through > cursor)
    }

    /// Applies one record; an error is passing (intake unreachable, say): the record comes again.
    async fn apply(
        &self,
        intake: &mut IntakeServiceClient<Channel>,
        record: DownRecord,
    ) -> anyhow::Result<Outcome> {
        let (kind, item, history, key) = match record.record {
            Some(Record::Assignment(item)) => {
                let key = format!("province:{}", number(&item));
                ("assignment", item, Vec::new(), key)
            }
            Some(Record::TransferIn(transfer)) => {
                let item = transfer.item.unwrap_or_default();
                let key = format!(
                    "transfer:{}:{}",
                    transfer.from_node_region_code,
                    number(&item)
                );
                ("transfer", item, transfer.history, key)
            }
            Some(Record::TransferredStep(step)) => return Ok(self.followed(step)),
            Some(Record::CalendarUpdate(update)) => return Ok(calendar(update)),
            Some(Record::OrganisationUpdate(update)) => {
                return Ok(organisation(update, &self.node));
            }
            Some(Record::CodeTableUpdate(table)) => return Ok(code_table(table)),
            None => return Ok(Outcome::refused("other", "", "an empty record".into())),
        };
        let province_number = number(&item);
        let refused = |reason| Outcome::refused(kind, &province_number, reason);
        let request = match registration(&self.reference.current(), &item, key, history) {
            Ok(r) => r,
            Err(reason) => return Ok(refused(reason)),
        };
        match intake
            .register_petition(self.intake.request(request)?)
            .await
        {
            Ok(answer) => {
                let petition = answer.into_inner().petition.unwrap_or_default();
                Ok(Outcome::Registered {
                    kind,
                    province_number: province_number.clone(),
                    petition_id: petition.id,
                    case_number: petition.case_number,
                })
            }
            Err(status) if permanent(status.code()) => {
                Ok(refused(status.message().chars().take(500).collect()))
            }
            Err(status) => Err(status).context("registering an item from the province with intake"),
        }
    }

    /// A step of an item this node transferred, as the city handling it now reported it.
    fn followed(&self, reported: TransferredStep) -> Outcome {
        let step = reported.step.unwrap_or_default();
        let numbers = step.numbers.clone().unwrap_or_default();
        let (reference, sent) = (self.reference.current(), self.sent.current());
        let mapping = mapping::Mapping {
            reference: &reference,
            sent: &sent,
        };
        let action = mapping.local_action(province_code(&step.action));
        let Some(action) = action else {
            let reason = format!(
                "no action of this node maps to the province's {:?}",
                province_code(&step.action)
            );
            return Outcome::refused("transferred_step", &numbers.province, reason);
        };
        let occurred_at = step
            .occurred_at
            .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32))
            .unwrap_or_else(chrono::Utc::now);
        Outcome::Followed {
            occurred_at,
            province_number: numbers.province.clone(),
            petition_id: numbers.local,
            step: TransferredStepReceived {
                node_region_code: reported.node_region_code,
                node_name: reported.node_name,
                province_number: numbers.province,
                kind: action.to_owned(),
                title: mapping::public_title(action).to_owned(),
                text: step.reply_text,
            },
        }
    }

    /// The record with its outcome and the cursor moved on, in one transaction.
    async fn keep(&self, cursor: i64, o: Outcome) -> anyhow::Result<()> {
        let txn = self.db.begin().await?;
        match &o {
            Outcome::Applied(table) => mapping::keep(&txn, table).await?,
            Outcome::Published(kind, payload) => {
                // The exchange picks the unit that triages what comes down: it keeps the
                // organisation too.
                if let Payload::OrganisationPublished(o) = payload.as_ref() {
                    reference_updates::keep(
                        &txn,
                        SERVICE,
                        Update::Organisation,
                        &o.version,
                        &o.org_toml,
                    )
                    .await?;
                }
                outbox::append(
                    &txn,
                    SERVICE,
                    &self.node,
                    Position {
                        stream: format!("{kind}/{cursor}"),
                        sequence: 1,
                    },
                    EventDraft::new(*kind, Payload::clone(payload), chrono::Utc::now()),
                )
                .await?;
            }
            Outcome::Followed {
                petition_id,
                step,
                occurred_at,
                ..
            } => {
                outbox::append(
                    &txn,
                    SERVICE,
                    &self.node,
                    Position {
                        stream: format!("down/{cursor}"),
                        sequence: 1,
                    },
                    EventDraft::new(
                        petition_id.clone(),
                        Payload::TransferredStepReceived(step.clone()),
                        *occurred_at,
                    ),
                )
                .await?;
            }
            Outcome::Registered { .. } | Outcome::Refused { .. } => {}
        }
        down_record::Entity::insert(o.row(cursor).into_active_model())
            .on_conflict(
                OnConflict::column(down_record::Column::Cursor)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        let mut row = link::Entity::find_by_id(1)
            .one(&txn)
            .await?
            .context("the exchange link row is missing")?
            .into_active_model();
        row.pull_cursor = Set(cursor);
        row.update(&txn).await?;
        database::commit(&self.db, txn).await?;
        outbox::committed(SERVICE);
        match o {
            Outcome::Applied(_) => self.sent.reload(&self.db).await?,
            Outcome::Published(_, payload) => {
                if let Payload::OrganisationPublished(o) = *payload {
                    self.reference
                        .apply_organisation(&o.version, &o.org_toml)
                        .map_err(|e| anyhow::anyhow!("organisation {}: {e}", o.version))?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// A code table sent down: laid over the node's mapping if it is one of the mapping's tables.
fn code_table(table: CodeMapping) -> Outcome {
    if !TABLES.contains(&table.table.as_str()) {
        let reason = format!("{:?} is not a table of this node's mapping", table.table);
        return Outcome::refused("code_table", "", reason);
    }
    Outcome::Applied(table)
}

/// A holiday calendar sent down: announced to the node's services if it parses.
fn calendar(update: CalendarUpdate) -> Outcome {
    if let Err(e) = Calendar::parse(Source {
        name: &update.version,
        text: &update.calendar_toml,
    }) {
        return Outcome::refused("calendar", "", e.to_string());
    }
    Outcome::Published(
        "calendar",
        Box::new(Payload::CalendarPublished(CalendarPublished {
            version: update.version,
            calendar_toml: update.calendar_toml,
        })),
    )
}

/// The node's organisation sent down: announced to the node's services if it parses and is
/// this node's.
fn organisation(update: OrganisationUpdate, node: &str) -> Outcome {
    let refused = |reason| Outcome::refused("organisation", "", reason);
    match OrgTree::parse(Source {
        name: &update.version,
        text: &update.org_toml,
    }) {
        Err(e) => return refused(e.to_string()),
        Ok(tree) if tree.node_region().map(|r| r.as_str()) != Some(node) => {
            return refused(format!("the organisation is not node {node}'s"));
        }
        Ok(_) => {}
    }
    Outcome::Published(
        "organisation",
        Box::new(Payload::OrganisationPublished(OrganisationPublished {
            version: update.version,
            org_toml: update.org_toml,
        })),
    )
}

impl Round for Puller {
    type Connection = Clients;
    const NAME: &'static str = "pull";

    async fn round(&self, clients: &mut Option<Clients>) -> anyhow::Result<bool> {
        self.pull(clients).await
    }
}

/// Intake's answers that the same request will always get.
fn permanent(code: Code) -> bool {
    matches!(
        code,
        Code::InvalidArgument | Code::FailedPrecondition | Code::AlreadyExists | Code::OutOfRange
    )
}

/// An item's provincial number ("" when it has none).
fn number(item: &ExchangeItem) -> String {
    item.numbers
        .as_ref()
        .map(|n| n.province.clone())
        .unwrap_or_default()
}

/// The registration of an item from the province at this node: the province's codes mapped to
/// the node's, for the unit that triages the item's region, idempotent on `key`.
fn registration(
    reference: &ReferenceData,
    item: &ExchangeItem,
    key: String,
    history: Vec<PublicStep>,
) -> Result<RegisterPetitionRequest, String> {
    let province_number = number(item);
    if province_number.is_empty() {
        return Err("the item carries no provincial number".into());
    }
    let channel = province_code(&item.channel);
    let local_channel = reference
        .channels
        .iter()
        .find(|c| c.province_code == channel)
        .ok_or_else(|| format!("no channel of this node maps to the province's {channel:?}"))?;
    let region =
        RegionCode::parse(province_code(&item.region)).map_err(|e| format!("region: {e}"))?;
    let unit = reference
        .org
        .most_local(&region, &[UnitKind::PetitionOffice, UnitKind::Government])
        .ok_or_else(|| format!("no unit of this node triages items of {region}"))?;
    Ok(RegisterPetitionRequest {
        idempotency_key: key,
        channel_code: local_channel.code.clone(),
        registering_unit: unit.code.clone(),
        region_code: region.to_string(),
        // Categories map to themselves until the province publishes its table.
        content_category: province_code(&item.content_category).to_owned(),
        title: item.title.clone(),
        content: item.content.clone(),
        petitioners: item.petitioners.clone(),
        petitioned_at: item.petitioned_at,
        province_number,
        history,
        ..Default::default()
    })
}
