//! The hub (the provincial side): a node's batch stored durably and once, each record accepted
//! or rejected with a code and reason as provincial interfaces answer (format error, no
//! permission, business error), and the highest sequence up to which it holds every record of
//! that node acknowledged. A node pushes only its own region's records, and pulls only its own
//! queue; the province's own calls are in `province`.

use crate::entity::{hub_down, hub_node, hub_record};
use crate::queue::{self, Acknowledged};
use crate::records::province_code;
use crate::tls;
use crate::transfers::{self, Onward};
use prost::Message;
use rustls_pki_types::CertificateDer;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tonic::{Request, Response, Status};
use xinfang_domain::reference::ReferenceData;
use xinfang_domain::region::RegionCode;
use xinfang_domain::{Reason, Refusal};
use xinfang_platform::auth::{Caller, caller};
use xinfang_platform::error::refused;
use xinfang_platform::pii::PiiVault;
use xinfang_platform::reference::ReferenceStore;
use xinfang_proto::xinfang::exchange::v1::exchange_service_server::ExchangeService;
use xinfang_proto::xinfang::exchange::v1::up_record::Record;
use xinfang_proto::xinfang::exchange::v1::*;

#[derive(Clone)]
pub struct Hub {
    pub db: DatabaseConnection,
    pub reference: ReferenceStore,
    /// Seals the petitioners' numbers of the downward queue.
    pub vault: PiiVault,
    /// False on a node: its ExchangeService is the hub's, not its own.
    pub serving: bool,
    /// A node's link must present a certificate naming it.
    pub mutual_tls: bool,
}

use crate::storage;
use xinfang_platform::database;

/// A record's verdict.
struct Verdict {
    accepted: bool,
    code: RejectCode,
    reason: String,
    province_number: String,
}

fn reject(code: RejectCode, reason: String) -> Verdict {
    Verdict {
        accepted: false,
        code,
        reason,
        province_number: String::new(),
    }
}

fn local_number(record: &Record) -> String {
    crate::records::item_numbers(record)
        .map(|n| n.local.clone())
        .unwrap_or_default()
}

/// The province's numbers of `node`'s accepted items among `locals`.
async fn item_numbers(
    txn: &DatabaseTransaction,
    node: &str,
    locals: Vec<String>,
) -> Result<HashMap<String, String>, DbErr> {
    if locals.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(hub_record::Entity::find()
        .select_only()
        .column(hub_record::Column::LocalNumber)
        .column(hub_record::Column::ProvinceNumber)
        .filter(hub_record::Column::Node.eq(node))
        .filter(hub_record::Column::LocalNumber.is_in(locals))
        .filter(hub_record::Column::Kind.eq("item"))
        .filter(hub_record::Column::Accepted.eq(true))
        .into_tuple::<(String, String)>()
        .all(txn)
        .await?
        .into_iter()
        .collect())
}

/// Which of `numbers` the province assigned to `node` (省交办).
async fn assigned_numbers(
    txn: &DatabaseTransaction,
    node: &str,
    numbers: Vec<String>,
) -> Result<HashSet<String>, DbErr> {
    if numbers.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(hub_down::Entity::find()
        .select_only()
        .column(hub_down::Column::ProvinceNumber)
        .filter(hub_down::Column::Node.eq(node))
        .filter(hub_down::Column::ProvinceNumber.is_in(numbers))
        .into_tuple::<String>()
        .all(txn)
        .await?
        .into_iter()
        .collect())
}

/// Checks one record of `node`'s numbered `sequence` against the province's tables; `items`
/// holds the province's numbers of the node's accepted items, `assigned` the numbers of the
/// items the province assigned to the node.
fn judge(
    province: &ReferenceData,
    node: &RegionCode,
    sequence: u64,
    record: Option<&Record>,
    items: &HashMap<String, String>,
    assigned: &HashSet<String>,
) -> Verdict {
    let Some(record) = record else {
        return reject(RejectCode::Format, "an empty record".into());
    };
    let local = local_number(record);
    if local.is_empty() {
        return reject(RejectCode::Format, "no local number".into());
    }
    let unmapped = |what: &str, code: &Option<MappedCode>| match code {
        Some(c) if !c.province.is_empty() => None,
        Some(c) => Some(reject(
            RejectCode::Format,
            format!(
                "{what} {:?} has no provincial code in mapping {}",
                c.local, c.mapping_version
            ),
        )),
        None => Some(reject(RejectCode::Format, format!("no {what}"))),
    };
    match record {
        Record::Item(item) => {
            for (what, code) in [
                ("channel", &item.channel),
                ("content category", &item.content_category),
                ("region", &item.region),
            ] {
                if let Some(v) = unmapped(what, code) {
                    return v;
                }
            }
            let channel = province_code(&item.channel);
            if !province.channels.iter().any(|c| c.province_code == channel) {
                return reject(
                    RejectCode::Format,
                    format!("channel code {channel:?} is not in the province's channel table"),
                );
            }
            let region = item.region.as_ref().map_or("", |r| r.local.as_str());
            // An item the province assigned keeps the number it was assigned under.
            let claimed = item.numbers.as_ref().map_or("", |n| n.province.as_str());
            if !claimed.is_empty() && !assigned.contains(claimed) {
                return reject(
                    RejectCode::Business,
                    format!("the province assigned no item {claimed} to node {node}"),
                );
            }
            match RegionCode::parse(region) {
                Ok(r) if node.contains(&r) => Verdict {
                    accepted: true,
                    code: RejectCode::Unspecified,
                    reason: String::new(),
                    province_number: match claimed {
                        "" => format!("{}-{sequence:09}", node.as_str()),
                        number => number.to_owned(),
                    },
                },
                _ => reject(
                    RejectCode::Permission,
                    format!("region {region} is not within node {node}"),
                ),
            }
        }
        Record::Step(_) | Record::Evaluation(_) | Record::Transfer(_) => {
            if let Record::Step(step) = record
                && let Some(v) = unmapped("action", &step.action)
            {
                return v;
            }
            if let Record::Transfer(transfer) = record
                && let Some(reason) = transfers::refusal(province, node, transfer)
            {
                return reject(RejectCode::Business, reason);
            }
            match items.get(&local) {
                Some(number) => Verdict {
                    accepted: true,
                    code: RejectCode::Unspecified,
                    reason: String::new(),
                    province_number: number.clone(),
                },
                None => reject(
                    RejectCode::Business,
                    format!("the province holds no accepted item {local} of node {node}"),
                ),
            }
        }
    }
}

/// A record as the hub keeps it: a transfer's petitioners masked (in full they only wait,
/// sealed, in the receiving node's queue), anything else as it came.
fn kept(up: &UpRecord) -> Vec<u8> {
    match &up.record {
        Some(Record::Transfer(t)) if t.item.is_some() => {
            let mut masked = up.clone();
            if let Some(Record::Transfer(t)) = masked.record.as_mut()
                && let Some(item) = t.item.as_mut()
            {
                queue::mask(item);
            }
            masked.encode_to_vec()
        }
        _ => up.encode_to_vec(),
    }
}

/// What an accepted record owes other nodes: a transfer goes on, a step may go back.
fn onward_of(sequence: i64, province_number: &str, record: Option<Record>) -> Option<Onward> {
    let province_number = province_number.to_owned();
    match record? {
        Record::Transfer(transfer) => Some(Onward::Transfer {
            sequence,
            province_number,
            transfer,
        }),
        Record::Step(step) => Some(Onward::Step {
            sequence,
            province_number,
            step,
        }),
        Record::Item(_) | Record::Evaluation(_) => None,
    }
}

/// The highest sequence from `from` up to which the hub holds every record of `node`.
async fn contiguous(txn: &DatabaseTransaction, node: &str, from: i64) -> Result<i64, DbErr> {
    let mut through = from;
    loop {
        let next: Vec<i64> = hub_record::Entity::find()
            .select_only()
            .column(hub_record::Column::Sequence)
            .filter(hub_record::Column::Node.eq(node))
            .filter(hub_record::Column::Sequence.gt(through))
            .order_by_asc(hub_record::Column::Sequence)
            .limit(1000)
            .into_tuple()
            .all(txn)
            .await?;
        let before = through;
        for s in &next {
            if *s != through + 1 {
                return Ok(through);
            }
            through = *s;
        }
        if next.len() < 1000 || through == before {
            return Ok(through);
        }
    }
}

impl Hub {
    /// One batch in one transaction: one read of what the hub held already, one multi-row
    /// insert of the rest, the acknowledgement moved on.
    async fn store(
        &self,
        node: &RegionCode,
        r: PushBatchRequest,
    ) -> Result<PushBatchResponse, DbErr> {
        let name = node.as_str();
        let province = self.reference.current();
        let txn = self.db.begin().await?;
        let sequences: Vec<i64> = r.records.iter().map(|u| u.sequence as i64).collect();
        // The range lets the planner walk the primary key instead of every record of the node.
        let (low, high) = (
            sequences.iter().min().copied().unwrap_or(0),
            sequences.iter().max().copied().unwrap_or(0),
        );
        let mut held: HashMap<i64, hub_record::Model> = hub_record::Entity::find()
            .filter(hub_record::Column::Node.eq(name))
            .filter(hub_record::Column::Sequence.between(low, high))
            .filter(hub_record::Column::Sequence.is_in(sequences))
            .all(&txn)
            .await?
            .into_iter()
            .map(|row| (row.sequence, row))
            .collect();
        let referred: Vec<String> = r
            .records
            .iter()
            .filter(|u| !held.contains_key(&(u.sequence as i64)))
            .filter_map(|u| match &u.record {
                Some(record @ (Record::Step(_) | Record::Evaluation(_) | Record::Transfer(_))) => {
                    Some(local_number(record))
                }
                _ => None,
            })
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut items = item_numbers(&txn, name, referred).await?;
        let claimed: Vec<String> = r
            .records
            .iter()
            .filter(|u| !held.contains_key(&(u.sequence as i64)))
            .filter_map(|u| match &u.record {
                Some(Record::Item(item)) => item.numbers.as_ref().map(|n| n.province.clone()),
                _ => None,
            })
            .filter(|n| !n.is_empty())
            .collect();
        let assigned = assigned_numbers(&txn, name, claimed).await?;
        let mut fresh = Vec::new();
        let mut onward = Vec::new();
        let mut results = Vec::with_capacity(r.records.len());
        for up in r.records {
            let sequence = up.sequence as i64;
            let row = match held.get(&sequence) {
                // Sent before: stored once, answered as it was.
                Some(row) => row.clone(),
                None => {
                    let v = judge(
                        &province,
                        node,
                        up.sequence,
                        up.record.as_ref(),
                        &items,
                        &assigned,
                    );
                    let local = up.record.as_ref().map(local_number).unwrap_or_default();
                    let kind = up.record.as_ref().map_or("", crate::records::kind);
                    if v.accepted && kind == "item" {
                        items.insert(local.clone(), v.province_number.clone());
                    }
                    let body = kept(&up);
                    if v.accepted {
                        onward.extend(onward_of(sequence, &v.province_number, up.record));
                    }
                    let row = hub_record::Model {
                        node: name.to_owned(),
                        sequence,
                        local_number: local,
                        kind: kind.to_owned(),
                        body,
                        accepted: v.accepted,
                        reject_code: v.code as i32,
                        reason: v.reason,
                        province_number: v.province_number,
                        received_at: chrono::Utc::now(),
                    };
                    held.insert(sequence, row.clone());
                    fresh.push(row.clone());
                    row
                }
            };
            results.push(RecordResult {
                sequence: row.sequence as u64,
                accepted: row.accepted,
                code: row.reject_code,
                reason: row.reason,
                province_number: row.province_number,
            });
        }
        // Few statements: sqlx 0.9.0 leaves Nagle's algorithm on over TCP, and a statement that
        // does not fit one segment can wait 40 ms for the server's delayed ACK (README,
        // Performance).
        for chunk in fresh.chunks(1000) {
            hub_record::Entity::insert_many(
                chunk.iter().cloned().map(hub_record::ActiveModel::from),
            )
            .on_conflict(
                OnConflict::columns([hub_record::Column::Node, hub_record::Column::Sequence])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        }
        transfers::send_on(&txn, &self.vault, &province, node, onward).await?;
        let from = hub_node::Entity::find_by_id(name.to_owned())
            .one(&txn)
            .await?
            .map_or(0, |n| n.acknowledged_through);
        let through = contiguous(&txn, name, from).await?;
        hub_node::Entity::insert(hub_node::ActiveModel {
            node: Set(name.to_owned()),
            acknowledged_through: Set(through),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::column(hub_node::Column::Node)
                .update_column(hub_node::Column::AcknowledgedThrough)
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        database::commit(&self.db, txn).await?;
        Ok(PushBatchResponse {
            acknowledged_through: through as u64,
            results,
        })
    }
}

impl Hub {
    pub(crate) fn serving(&self) -> Result<(), Status> {
        if self.serving {
            Ok(())
        } else {
            Err(Status::failed_precondition(
                "this exchange runs in node role: the provincial hub serves the link",
            ))
        }
    }

    /// The node a link's caller speaks for: its petition office's region, and no other — and,
    /// with mutual TLS, the region its certificate names.
    fn own_node(
        &self,
        caller: &Caller,
        certs: Option<&Arc<Vec<CertificateDer<'static>>>>,
        node: &str,
    ) -> Result<RegionCode, Status> {
        let node =
            RegionCode::parse(node).map_err(|e| refused(&Refusal::field("node_region_code", e)))?;
        let own = self
            .reference
            .current()
            .org
            .unit(&caller.org_unit)
            .map(|u| u.region.clone());
        if own.as_ref() != Some(&node) {
            return Err(refused(&Refusal::new(
                Reason::OutOfScope,
                format!(
                    "{} speaks for its own region, not for node {node}",
                    caller.org_unit
                ),
            )));
        }
        if self.mutual_tls && !tls::names_node(certs, node.as_str()) {
            return Err(refused(&Refusal::new(
                Reason::OutOfScope,
                format!("the link's certificate is not node {node}'s"),
            )));
        }
        Ok(node)
    }
}

#[tonic::async_trait]
impl ExchangeService for Hub {
    async fn push_batch(
        &self,
        request: Request<PushBatchRequest>,
    ) -> Result<Response<PushBatchResponse>, Status> {
        self.serving()?;
        let caller = caller(&request)?;
        let certs = request.peer_certs();
        let r = request.into_inner();
        // A node is its petition office's link: it pushes its own region's records only.
        let node = self.own_node(&caller, certs.as_ref(), &r.node_region_code)?;
        self.store(&node, r)
            .await
            .map(Response::new)
            .map_err(storage)
    }

    async fn pull_batch(
        &self,
        request: Request<PullBatchRequest>,
    ) -> Result<Response<PullBatchResponse>, Status> {
        self.serving()?;
        let caller = caller(&request)?;
        let certs = request.peer_certs();
        let r = request.into_inner();
        let node = self.own_node(&caller, certs.as_ref(), &r.node_region_code)?;
        let max = match r.max_records {
            n if n <= 0 => 100,
            n => n as u64,
        };
        let records = queue::pull(&self.db, &self.vault, &node, r.after_cursor, max)
            .await
            .map_err(storage)?;
        Ok(Response::new(PullBatchResponse { records }))
    }

    async fn ack_pull(
        &self,
        request: Request<AckPullRequest>,
    ) -> Result<Response<AckPullResponse>, Status> {
        self.serving()?;
        let caller = caller(&request)?;
        let certs = request.peer_certs();
        let r = request.into_inner();
        let node = self.own_node(&caller, certs.as_ref(), &r.node_region_code)?;
        match queue::acknowledge(&self.db, &node, r.through_cursor)
            .await
            .map_err(storage)?
        {
            Acknowledged::Through(through) => Ok(Response::new(AckPullResponse {
                acknowledged_through: through,
            })),
            Acknowledged::Beyond { last } => Err(refused(&Refusal::field(
                "through_cursor",
                format!(
                    "{} is beyond the last record of node {node}'s queue ({last})",
                    r.through_cursor
                ),
            ))),
        }
    }

    async fn assign_item(
        &self,
        request: Request<AssignItemRequest>,
    ) -> Result<Response<DownRecord>, Status> {
        self.assign(request).await
    }

    async fn list_nodes(
        &self,
        request: Request<ListNodesRequest>,
    ) -> Result<Response<ListNodesResponse>, Status> {
        self.nodes(request).await
    }

    async fn publish_calendar(
        &self,
        request: Request<PublishCalendarRequest>,
    ) -> Result<Response<PublishResponse>, Status> {
        self.calendar(request).await
    }

    async fn publish_organisation(
        &self,
        request: Request<PublishOrganisationRequest>,
    ) -> Result<Response<PublishResponse>, Status> {
        self.organisation(request).await
    }

    async fn publish_code_mapping(
        &self,
        request: Request<CodeMapping>,
    ) -> Result<Response<PublishResponse>, Status> {
        self.code_table(request).await
    }
}
