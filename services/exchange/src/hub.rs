//! The hub (the provincial side): a node's batch stored durably and once, each record accepted
//! or rejected with a code and reason as provincial interfaces answer (format error, no
//! permission, business error), and the highest sequence up to which it holds every record of
//! that node acknowledged. A node pushes only its own region's records.

use crate::entity::{hub_node, hub_record};
use prost::Message;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use tonic::{Request, Response, Status};
use xinfang_domain::region::RegionCode;
use xinfang_domain::{Reason, Refusal};
use xinfang_platform::auth::caller;
use xinfang_platform::error::refused;
use xinfang_platform::reference::ReferenceStore;
use xinfang_proto::xinfang::exchange::v1::exchange_service_server::ExchangeService;
use xinfang_proto::xinfang::exchange::v1::up_record::Record;
use xinfang_proto::xinfang::exchange::v1::*;

#[derive(Clone)]
pub struct Hub {
    pub db: DatabaseConnection,
    pub reference: ReferenceStore,
    /// False on a node: its ExchangeService is the hub's, not its own.
    pub serving: bool,
}

fn storage(err: DbErr) -> Status {
    xinfang_platform::error::internal("exchange storage", err)
}

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
    let numbers = match record {
        Record::Item(i) => &i.numbers,
        Record::Step(s) => &s.numbers,
        Record::Evaluation(e) => &e.numbers,
    };
    numbers
        .as_ref()
        .map(|n| n.local.clone())
        .unwrap_or_default()
}

/// The province's number of a node's item it accepted, if it did.
async fn item_number(
    txn: &DatabaseTransaction,
    node: &str,
    local: &str,
) -> Result<Option<String>, DbErr> {
    hub_record::Entity::find()
        .select_only()
        .column(hub_record::Column::ProvinceNumber)
        .filter(hub_record::Column::Node.eq(node))
        .filter(hub_record::Column::LocalNumber.eq(local))
        .filter(hub_record::Column::Kind.eq("item"))
        .filter(hub_record::Column::Accepted.eq(true))
        .into_tuple::<String>()
        .one(txn)
        .await
}

/// Checks one record of `node`'s numbered `sequence`.
async fn judge(
    txn: &DatabaseTransaction,
    node: &RegionCode,
    sequence: u64,
    record: Option<&Record>,
) -> Result<Verdict, DbErr> {
    let Some(record) = record else {
        return Ok(reject(RejectCode::Format, "an empty record".into()));
    };
    let local = local_number(record);
    if local.is_empty() {
        return Ok(reject(RejectCode::Format, "no local number".into()));
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
                    return Ok(v);
                }
            }
            let region = item.region.as_ref().map_or("", |r| r.local.as_str());
            match RegionCode::parse(region) {
                Ok(r) if node.contains(&r) => {}
                _ => {
                    return Ok(reject(
                        RejectCode::Permission,
                        format!("region {region} is not within node {node}"),
                    ));
                }
            }
            Ok(Verdict {
                accepted: true,
                code: RejectCode::Unspecified,
                reason: String::new(),
                province_number: format!("{}-{sequence:09}", node.as_str()),
            })
        }
        Record::Step(_) | Record::Evaluation(_) => {
            if let Record::Step(step) = record
                && let Some(v) = unmapped("action", &step.action)
            {
                return Ok(v);
            }
            Ok(match item_number(txn, node.as_str(), &local).await? {
                Some(number) => Verdict {
                    accepted: true,
                    code: RejectCode::Unspecified,
                    reason: String::new(),
                    province_number: number,
                },
                None => reject(
                    RejectCode::Business,
                    format!("the province holds no accepted item {local} of node {node}"),
                ),
            })
        }
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
    async fn store(
        &self,
        node: &RegionCode,
        r: PushBatchRequest,
    ) -> Result<PushBatchResponse, DbErr> {
        let txn = self.db.begin().await?;
        let name = node.as_str();
        let mut results = Vec::with_capacity(r.records.len());
        for up in &r.records {
            let stored = hub_record::Entity::find_by_id((name.to_owned(), up.sequence as i64))
                .one(&txn)
                .await?;
            let row = match stored {
                // Sent before: stored once, answered as it was.
                Some(row) => row,
                None => {
                    let v = judge(&txn, node, up.sequence, up.record.as_ref()).await?;
                    let row = hub_record::Model {
                        node: name.to_owned(),
                        sequence: up.sequence as i64,
                        local_number: up.record.as_ref().map(local_number).unwrap_or_default(),
                        kind: up
                            .record
                            .as_ref()
                            .map_or("", crate::records::kind)
                            .to_owned(),
                        body: up.encode_to_vec(),
                        accepted: v.accepted,
                        reject_code: v.code as i32,
                        reason: v.reason,
                        province_number: v.province_number,
                        received_at: chrono::Utc::now(),
                    };
                    hub_record::Entity::insert(hub_record::ActiveModel::from(row.clone()))
                        .on_conflict(
                            OnConflict::columns([
                                hub_record::Column::Node,
                                hub_record::Column::Sequence,
                            ])
                            .do_nothing()
                            .to_owned(),
                        )
                        .exec_without_returning(&txn)
                        .await?;
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
        let from = hub_node::Entity::find_by_id(name.to_owned())
            .one(&txn)
            .await?
            .map_or(0, |n| n.acknowledged_through);
        let through = contiguous(&txn, name, from).await?;
        hub_node::Entity::insert(hub_node::ActiveModel {
            node: Set(name.to_owned()),
            acknowledged_through: Set(through),
        })
        .on_conflict(
            OnConflict::column(hub_node::Column::Node)
                .update_column(hub_node::Column::AcknowledgedThrough)
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        Ok(PushBatchResponse {
            acknowledged_through: through as u64,
            results,
        })
    }
}

#[tonic::async_trait]
impl ExchangeService for Hub {
    async fn push_batch(
        &self,
        request: Request<PushBatchRequest>,
    ) -> Result<Response<PushBatchResponse>, Status> {
        if !self.serving {
            return Err(Status::failed_precondition(
                "this exchange runs in node role: push to the provincial hub",
            ));
        }
        let caller = caller(&request)?;
        let r = request.into_inner();
        let node = RegionCode::parse(&r.node_region_code)
            .map_err(|e| refused(&Refusal::field("node_region_code", e)))?;
        // A node is its petition office's link: it pushes its own region's records only.
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
                    "{} pushes for its own region, not for node {node}",
                    caller.org_unit
                ),
            )));
        }
        self.store(&node, r)
            .await
            .map(Response::new)
            .map_err(storage)
    }

    async fn pull_batch(
        &self,
        _request: Request<PullBatchRequest>,
    ) -> Result<Response<PullBatchResponse>, Status> {
        Err(Status::unimplemented(
            "the downward queue (省交办, transfers, code tables) is not built yet (issue #12)",
        ))
    }

    async fn ack_pull(
        &self,
        _request: Request<AckPullRequest>,
    ) -> Result<Response<AckPullResponse>, Status> {
        Err(Status::unimplemented(
            "the downward queue (省交办, transfers, code tables) is not built yet (issue #12)",
        ))
    }
}
