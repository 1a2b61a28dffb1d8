//! The `xinfang.supervision.v1.SupervisionService` gRPC API, scoped by the caller's unit: a
//! county supervisor reads its own county's items, orders and figures, the city all.

use crate::bulletin;
use crate::entity::{backlog_item, backlog_list, item, order};
use crate::error::SupervisionError;
use crate::metrics::{Dimension, MetricQuery};
use crate::watch::{Watcher, record_reply};
use crate::worklist::Worklist;
use chrono::NaiveDate;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use std::sync::Arc;
use tonic::{Request, Response, Status};
use xinfang_domain::metrics::DateBasis as Basis;
use xinfang_domain::metrics::{ITEM_METRICS, Metric, Ratio, petition_index};
use xinfang_events::{EventDraft, Payload, outbox};
use xinfang_platform::auth::{Caller, caller};
use xinfang_proto::convert::metric_from_wire;
use xinfang_proto::xinfang::events::v1 as ev;
use xinfang_proto::xinfang::supervision::v1::supervision_service_server::SupervisionService;
use xinfang_proto::xinfang::supervision::v1::*;

const DEFAULT_PAGE: u64 = 50;
const MAX_PAGE: u64 = 500;

#[derive(Clone)]
pub struct SupervisionApi {
    pub db: DatabaseConnection,
    pub watcher: Arc<Watcher>,
}

fn page_size(n: i32) -> Result<u64, SupervisionError> {
    match n {
        0 => Ok(DEFAULT_PAGE),
        n if n < 0 => Err(SupervisionError::field("page_size", "must not be negative")),
        n => Ok(Ord::min(n as u64, MAX_PAGE)),
    }
}

fn date(field: &str, value: &str) -> Result<NaiveDate, SupervisionError> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| SupervisionError::field(field, format!("{value:?} is not a date YYYY-MM-DD")))
}

fn required(field: &str, value: &str) -> Result<String, SupervisionError> {
    match value.trim() {
        "" => Err(SupervisionError::field(field, "required")),
        v => Ok(v.to_owned()),
    }
}

impl SupervisionApi {
    /// The region prefix the caller may read, narrowed by `region_code` when given.
    fn scope(&self, caller: &Caller, region_code: &str) -> Result<String, SupervisionError> {
        let reference = self.watcher.reference.current();
        let unit = reference.org.unit(&caller.org_unit).ok_or_else(|| {
            SupervisionError::PermissionDenied(format!(
                "unit {} is not in this node",
                caller.org_unit
            ))
        })?;
        let own = unit.region.scope_prefix().to_owned();
        match region_code.trim() {
            "" => Ok(own),
            code if !code.bytes().all(|b| b.is_ascii_digit()) => Err(SupervisionError::field(
                "region_code",
                format!("{code:?} is not a region code"),
            )),
            code if code.starts_with(&own) => {
                let region = xinfang_domain::region::RegionCode::parse(code)
                    .map_err(|e| SupervisionError::field("region_code", e))?;
                Ok(region.scope_prefix().to_owned())
            }
            code => Err(SupervisionError::PermissionDenied(format!(
                "region {code} is outside the scope of unit {}",
                caller.org_unit
            ))),
        }
    }

    fn metric_query(
        &self,
        caller: &Caller,
        q: &GetMetricsRequest,
    ) -> Result<MetricQuery, SupervisionError> {
        let dimension = match Dimension_::try_from(q.dimension).unwrap_or_default() {
            Dimension_::Organ => Dimension::Organ,
            Dimension_::Channel => Dimension::Channel,
            _ => Dimension::Region,
        };
        let basis = match DateBasis::try_from(q.basis).unwrap_or_default() {
            DateBasis::Petitioned => Basis::Petitioned,
            DateBasis::Exchanged => Basis::Exchanged,
            _ => Basis::Registered,
        };
        let from = date("from", &q.from)?;
        let to = date("to", &q.to)?;
        if to < from {
            return Err(SupervisionError::field(
                "to",
                "the period ends before it starts",
            ));
        }
        Ok(MetricQuery {
            region_prefix: self.scope(caller, &q.region_code)?,
            dimension,
            basis,
            from: from.to_string(),
            to: to.to_string(),
            definitions: self.watcher.settings.definitions,
        })
    }

    fn metrics_of(q: &GetMetricsRequest) -> Result<Vec<Metric>, SupervisionError> {
        if q.metrics.is_empty() {
            return Ok(ITEM_METRICS.to_vec());
        }
        q.metrics
            .iter()
            .enumerate()
            .map(|(i, m)| {
                Metric_::try_from(*m)
                    .ok()
                    .and_then(metric_from_wire)
                    .ok_or_else(|| {
                        SupervisionError::field(
                            &format!("metrics[{i}]"),
                            format!("unknown or not yet computed metric {m}"),
                        )
                    })
            })
            .collect()
    }

    /// 化解率 and 办结率 of one backlog list.
    async fn list_metrics(
        &self,
        caller: &Caller,
        list_id: &str,
        metrics: &[Metric],
    ) -> Result<Vec<MetricValue>, SupervisionError> {
        let list = self.list(caller, list_id).await?;
        let items = backlog_item::Entity::find()
            .filter(backlog_item::Column::ListId.eq(list.id.as_str()))
            .all(&self.db)
            .await?;
        let total = items.len() as u64;
        let resolved = items.iter().filter(|i| i.resolved).count() as u64;
        let closed = items.iter().filter(|i| i.closed).count() as u64;
        Ok(metrics
            .iter()
            .filter_map(|m| match m {
                Metric::ResolutionRate => Some(value(*m, &list.id, Ratio::new(resolved, total))),
                Metric::ClosureRate => Some(value(*m, &list.id, Ratio::new(closed, total))),
                _ => None,
            })
            .collect())
    }

    async fn list(
        &self,
        caller: &Caller,
        list_id: &str,
    ) -> Result<backlog_list::Model, SupervisionError> {
        let list = backlog_list::Entity::find_by_id(required("list_id", list_id)?)
            .one(&self.db)
            .await?
            .ok_or_else(|| SupervisionError::NotFound(format!("no backlog list {list_id}")))?;
        let reference = self.watcher.reference.current();
        let visible = reference
            .org
            .chain(&list.owner_unit)
            .iter()
            .any(|u| u.code == caller.org_unit);
        if visible {
            Ok(list)
        } else {
            Err(SupervisionError::NotFound(format!(
                "no backlog list {list_id} in your scope"
            )))
        }
    }

    async fn item_in_scope(
        &self,
        caller: &Caller,
        petition_id: &str,
    ) -> Result<item::Model, SupervisionError> {
        let prefix = self.scope(caller, "")?;
        item::Entity::find_by_id(required("petition_id", petition_id)?)
            .one(&self.db)
            .await?
            .filter(|i| i.region_code.starts_with(&prefix))
            .ok_or_else(|| {
                SupervisionError::NotFound(format!("no item {petition_id} in your scope"))
            })
    }

    async fn backlog_view(
        &self,
        list: backlog_list::Model,
    ) -> Result<BacklogList, SupervisionError> {
        let items = backlog_item::Entity::find()
            .filter(backlog_item::Column::ListId.eq(list.id.as_str()))
            .order_by_asc(backlog_item::Column::PetitionId)
            .all(&self.db)
            .await?;
        Ok(BacklogList {
            id: list.id,
            campaign: list.campaign,
            rule: list.rule,
            items: items.iter().map(backlog_item_view).collect(),
        })
    }

    async fn change_backlog_item(
        &self,
        caller: &Caller,
        list_id: &str,
        petition_id: &str,
        change: impl FnOnce(&mut backlog_item::Model) -> Result<(), SupervisionError>,
    ) -> Result<BacklogItem, SupervisionError> {
        let list = self.list(caller, list_id).await?;
        let mut entry = backlog_item::Entity::find_by_id((list.id.clone(), petition_id.to_owned()))
            .one(&self.db)
            .await?
            .ok_or_else(|| {
                SupervisionError::NotFound(format!("{petition_id} is not on list {list_id}"))
            })?;
        change(&mut entry)?;
        let txn = self.db.begin().await?;
        let saved = entry
            .clone()
            .into_active_model()
            .reset_all()
            .update(&txn)
            .await?;
        let changed = ev::BacklogItemChanged {
            list_id: list.id,
            closed: saved.closed,
            resolved: saved.resolved,
            leader_name: saved.leader_name.clone().unwrap_or_default(),
        };
        let draft = EventDraft::new(
            petition_id,
            Payload::BacklogItemChanged(changed),
            self.watcher.clock.now(),
        )
        .by(Some(caller));
        outbox::append(&txn, crate::SERVICE, &self.watcher.node, draft).await?;
        txn.commit().await?;
        Ok(backlog_item_view(&saved))
    }
}

use xinfang_proto::xinfang::supervision::v1::Dimension as Dimension_;
use xinfang_proto::xinfang::supervision::v1::Metric as Metric_;

fn value(metric: Metric, group: &str, ratio: Ratio) -> MetricValue {
    MetricValue {
        metric: Metric_::from(metric) as i32,
        group: group.to_owned(),
        numerator: ratio.numerator as i64,
        denominator: ratio.denominator as i64,
        ratio: ratio.value(),
    }
}

fn backlog_item_view(i: &backlog_item::Model) -> BacklogItem {
    BacklogItem {
        list_id: i.list_id.clone(),
        petition_id: i.petition_id.clone(),
        leader_name: i.leader_name.clone().unwrap_or_default(),
        leader_post: i.leader_post.clone().unwrap_or_default(),
        target_date: i.target_date.clone().unwrap_or_default(),
        closed: i.closed,
        resolved: i.resolved,
        certified_by: i.certified_by.clone().unwrap_or_default(),
        evidence: i.evidence.clone().unwrap_or_default(),
    }
}

fn order_view(o: &order::Model) -> SupervisionOrder {
    SupervisionOrder {
        id: o.id.clone(),
        petition_id: o.petition_id.clone(),
        organ_code: o.organ_code.clone(),
        reply_due_date: o.reply_due.clone(),
        reason: o.reason.clone(),
        issued_at: Some(xinfang_events::envelope::timestamp(o.issued_at)),
        replied: o.replied_at.is_some(),
        complied: o.complied.unwrap_or(false),
        reply_text: o.reply_text.clone().unwrap_or_default(),
        replied_at: o.replied_at.map(xinfang_events::envelope::timestamp),
        escalated: o.escalated_to.is_some(),
    }
}

#[tonic::async_trait]
impl SupervisionService for SupervisionApi {
    async fn list_due_items(
        &self,
        request: Request<ListDueItemsRequest>,
    ) -> Result<Response<ListDueItemsResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let prefix = self.scope(&caller, &r.region_code)?;
        let limit = page_size(r.page_size)?;
        let due_before = match r.due_before.trim() {
            "" => None,
            d => Some(date("due_before", d)?.to_string()),
        };
        let worklist = Worklist {
            region_prefix: prefix,
            today: self.watcher.clock.today().to_string(),
            overdue_only: r.overdue_only,
            due_before,
            after: r
                .page_token
                .split_once('|')
                .map(|(d, id)| (d.to_owned(), id.to_owned())),
            limit,
        };
        let (items, next_page_token) = worklist
            .fetch(&self.db)
            .await
            .map_err(SupervisionError::from)?;
        Ok(Response::new(ListDueItemsResponse {
            items,
            next_page_token,
        }))
    }

    async fn list_supervision_orders(
        &self,
        request: Request<ListSupervisionOrdersRequest>,
    ) -> Result<Response<ListSupervisionOrdersResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let prefix = self.scope(&caller, "")?;
        let limit = page_size(r.page_size)?;
        let mut query =
            order::Entity::find().filter(order::Column::RegionCode.starts_with(&prefix));
        if !r.organ_code.is_empty() {
            query = query.filter(order::Column::OrganCode.eq(r.organ_code.as_str()));
        }
        if r.unanswered_only {
            query = query.filter(order::Column::RepliedAt.is_null());
        }
        if !r.page_token.is_empty() {
            query = query.filter(order::Column::Id.gt(r.page_token.as_str()));
        }
        let mut rows = query
            .order_by_asc(order::Column::Id)
            .limit(limit + 1)
            .all(&self.db)
            .await
            .map_err(SupervisionError::from)?;
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        Ok(Response::new(ListSupervisionOrdersResponse {
            next_page_token: if more {
                rows.last().map(|o| o.id.clone()).unwrap_or_default()
            } else {
                String::new()
            },
            orders: rows.iter().map(order_view).collect(),
        }))
    }

    async fn issue_supervision_order(
        &self,
        request: Request<IssueSupervisionOrderRequest>,
    ) -> Result<Response<SupervisionOrder>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let item = self.item_in_scope(&caller, &r.petition_id).await?;
        let reason = required("reason", &r.reason)?;
        if item.organ_code.is_none() {
            return Err(SupervisionError::Precondition(
                "the item has no responsible organ to supervise yet".into(),
            )
            .into());
        }
        let today = self.watcher.clock.today();
        let txn = self.db.begin().await.map_err(SupervisionError::from)?;
        let issued = self
            .watcher
            .issue_order(
                &txn,
                &item,
                "manual",
                &today.to_string(),
                reason,
                today,
                self.watcher.clock.now(),
            )
            .await
            .map_err(SupervisionError::from)?
            .ok_or_else(|| {
                SupervisionError::Precondition(
                    "a supervision order was already issued for this item today".into(),
                )
            })?;
        txn.commit().await.map_err(SupervisionError::from)?;
        Ok(Response::new(order_view(&issued)))
    }

    async fn reply_to_supervision_order(
        &self,
        request: Request<ReplyToSupervisionOrderRequest>,
    ) -> Result<Response<SupervisionOrder>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let text = required("text", &r.text)?;
        let found = order::Entity::find_by_id(required("order_id", &r.order_id)?)
            .one(&self.db)
            .await
            .map_err(SupervisionError::from)?;
        let order = found
            .filter(|o| o.organ_code == caller.org_unit)
            .ok_or_else(|| {
                SupervisionError::NotFound(format!(
                    "no order {} addressed to {}",
                    r.order_id, caller.org_unit
                ))
            })?;
        if order.replied_at.is_some() {
            return Err(
                SupervisionError::Precondition("this order was already replied to".into()).into(),
            );
        }
        let upper = self
            .watcher
            .reference
            .current()
            .org
            .parent_of(&order.organ_code)
            .map(|u| u.code.clone());
        let txn = self.db.begin().await.map_err(SupervisionError::from)?;
        let now = self.watcher.clock.now();
        let saved = record_reply(
            &txn,
            &order,
            r.complied,
            &text,
            now,
            self.watcher.clock.today(),
            upper,
        )
        .await
        .map_err(SupervisionError::from)?;
        let replied = ev::SupervisionOrderReplied {
            order_id: saved.id.clone(),
            complied: r.complied,
            late: saved.late,
        };
        let draft = EventDraft::new(
            &saved.petition_id,
            Payload::SupervisionOrderReplied(replied),
            now,
        )
        .by(Some(&caller));
        outbox::append(&txn, crate::SERVICE, &self.watcher.node, draft)
            .await
            .map_err(SupervisionError::from)?;
        txn.commit().await.map_err(SupervisionError::from)?;
        Ok(Response::new(order_view(&saved)))
    }

    async fn create_backlog_list(
        &self,
        request: Request<CreateBacklogListRequest>,
    ) -> Result<Response<BacklogList>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let campaign = required("campaign", &r.campaign)?;
        let prefix = self.scope(&caller, "")?;
        let list = backlog_list::Model {
            id: uuid::Uuid::now_v7().to_string(),
            campaign,
            rule: r.rule.trim().to_owned(),
            owner_unit: caller.org_unit.clone(),
            created_at: self.watcher.clock.now(),
        };
        // A rule adds the matching items: `open_for_days:N` — open and registered N days ago or more.
        let by_rule: Vec<String> = match list.rule.split_once(':') {
            None if list.rule.is_empty() => Vec::new(),
            Some(("open_for_days", days)) => {
                let days: u64 = days.trim().parse().map_err(|_| {
                    SupervisionError::field("rule", "open_for_days:N takes a number of days")
                })?;
                let since = self
                    .watcher
                    .clock
                    .today()
                    .checked_sub_days(chrono::Days::new(days))
                    .unwrap_or_default()
                    .to_string();
                item::Entity::find()
                    .filter(item::Column::RegionCode.starts_with(&prefix))
                    .filter(item::Column::DueDate.is_not_null())
                    .filter(item::Column::RegisteredOn.lte(since))
                    .all(&self.db)
                    .await
                    .map_err(SupervisionError::from)?
                    .into_iter()
                    .map(|i| i.petition_id)
                    .collect()
            }
            _ => {
                return Err(SupervisionError::field(
                    "rule",
                    "empty (items by hand) or open_for_days:N",
                )
                .into());
            }
        };
        let txn = self.db.begin().await.map_err(SupervisionError::from)?;
        list.clone()
            .into_active_model()
            .insert(&txn)
            .await
            .map_err(SupervisionError::from)?;
        add_items(&txn, &list.id, &by_rule).await?;
        txn.commit().await.map_err(SupervisionError::from)?;
        Ok(Response::new(self.backlog_view(list).await?))
    }

    async fn add_backlog_items(
        &self,
        request: Request<AddBacklogItemsRequest>,
    ) -> Result<Response<BacklogList>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let list = self.list(&caller, &r.list_id).await?;
        for id in &r.petition_ids {
            self.item_in_scope(&caller, id).await?;
        }
        let txn = self.db.begin().await.map_err(SupervisionError::from)?;
        add_items(&txn, &list.id, &r.petition_ids).await?;
        txn.commit().await.map_err(SupervisionError::from)?;
        Ok(Response::new(self.backlog_view(list).await?))
    }

    async fn assign_leader_package(
        &self,
        request: Request<AssignLeaderPackageRequest>,
    ) -> Result<Response<BacklogItem>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let leader = required("leader_name", &r.leader_name)?;
        let target = date("target_date", &r.target_date)?;
        let view = self
            .change_backlog_item(&caller, &r.list_id, &r.petition_id, |i| {
                i.leader_name = Some(leader);
                i.leader_post = Some(r.leader_post.clone());
                i.target_date = Some(target.to_string());
                Ok(())
            })
            .await?;
        Ok(Response::new(view))
    }

    async fn close_backlog_item(
        &self,
        request: Request<CloseBacklogItemRequest>,
    ) -> Result<Response<BacklogItem>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let today = self.watcher.clock.today().to_string();
        let view = self
            .change_backlog_item(&caller, &r.list_id, &r.petition_id, |i| {
                i.closed = true;
                i.closed_on = Some(today);
                Ok(())
            })
            .await?;
        Ok(Response::new(view))
    }

    async fn certify_resolution(
        &self,
        request: Request<CertifyResolutionRequest>,
    ) -> Result<Response<BacklogItem>, Status> {
        let caller = caller(&request)?;
        if !caller.has_role("supervisor") {
            return Err(SupervisionError::PermissionDenied(
                "化解 is certified by a supervisor (role supervisor), not self-declared".into(),
            )
            .into());
        }
        let r = request.into_inner();
        let evidence = required("evidence", &r.evidence)?;
        let today = self.watcher.clock.today().to_string();
        let certifier = format!("{}@{}", caller.user_id, caller.org_unit);
        let view = self
            .change_backlog_item(&caller, &r.list_id, &r.petition_id, |i| {
                if !i.closed {
                    return Err(SupervisionError::Precondition(
                        "an item is certified resolved after it is closed (办结)".into(),
                    ));
                }
                i.resolved = true;
                i.certified_by = Some(certifier);
                i.evidence = Some(evidence);
                i.certified_on = Some(today);
                Ok(())
            })
            .await?;
        Ok(Response::new(view))
    }

    async fn file_screening_report(
        &self,
        _request: Request<FileScreeningReportRequest>,
    ) -> Result<Response<ScreeningReport>, Status> {
        Err(Status::unimplemented(
            "dispute screening reports (矛盾纠纷排查) and 漏排率 are not built yet",
        ))
    }

    async fn get_metrics(
        &self,
        request: Request<GetMetricsRequest>,
    ) -> Result<Response<GetMetricsResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let metrics = Self::metrics_of(&r)?;
        let mut values = Vec::new();
        if !r.list_id.is_empty() {
            values.extend(self.list_metrics(&caller, &r.list_id, &metrics).await?);
        }
        let query = self.metric_query(&caller, &r)?;
        let counted = query
            .count(&self.db, &metrics)
            .await
            .map_err(SupervisionError::from)?;
        values.extend(
            counted
                .into_iter()
                .map(|(group, metric, ratio)| value(metric, &group, ratio)),
        );
        Ok(Response::new(GetMetricsResponse { values }))
    }

    async fn drill_down_metric(
        &self,
        request: Request<DrillDownMetricRequest>,
    ) -> Result<Response<DrillDownMetricResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let q = r
            .query
            .ok_or_else(|| SupervisionError::field("query", "required"))?;
        let metric = Metric_::try_from(r.metric)
            .ok()
            .and_then(metric_from_wire)
            .ok_or_else(|| SupervisionError::field("metric", "unknown metric"))?;
        let query = self.metric_query(&caller, &q)?;
        let limit = page_size(r.page_size)?;
        let mut ids = query
            .items(
                &self.db,
                metric,
                &r.group,
                r.numerator_only,
                &r.page_token,
                limit + 1,
            )
            .await
            .map_err(SupervisionError::from)?;
        let more = ids.len() as u64 > limit;
        ids.truncate(limit as usize);
        Ok(Response::new(DrillDownMetricResponse {
            next_page_token: if more {
                ids.last().cloned().unwrap_or_default()
            } else {
                String::new()
            },
            petition_ids: ids,
        }))
    }

    async fn get_petition_index(
        &self,
        request: Request<GetPetitionIndexRequest>,
    ) -> Result<Response<GetPetitionIndexResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let q = GetMetricsRequest {
            from: r.from,
            to: r.to,
            region_code: r.region_code,
            dimension: Dimension_::Region as i32,
            basis: DateBasis::Registered as i32,
            ..Default::default()
        };
        let query = self.metric_query(&caller, &q)?;
        let counted = query
            .count(&self.db, &ITEM_METRICS)
            .await
            .map_err(SupervisionError::from)?;
        let mut regions: Vec<RegionIndex> = Vec::new();
        for (group, metric, ratio) in counted {
            match regions.last_mut() {
                Some(last) if last.region_code == group => {
                    last.components.push(value(metric, &group, ratio))
                }
                _ => regions.push(RegionIndex {
                    region_code: group.clone(),
                    index: None,
                    components: vec![value(metric, &group, ratio)],
                }),
            }
        }
        let weights = &self.watcher.settings.index_weights;
        for region in &mut regions {
            let parts: Vec<(Metric, Ratio)> = region
                .components
                .iter()
                .filter_map(|c| {
                    let metric = Metric_::try_from(c.metric)
                        .ok()
                        .and_then(metric_from_wire)?;
                    Some((metric, Ratio::new(c.numerator as u64, c.denominator as u64)))
                })
                .collect();
            region.index = petition_index(&parts, weights);
        }
        regions.sort_by(|a, b| b.index.unwrap_or(-1.0).total_cmp(&a.index.unwrap_or(-1.0)));
        Ok(Response::new(GetPetitionIndexResponse { regions }))
    }

    async fn export_monthly_bulletin(
        &self,
        request: Request<ExportMonthlyBulletinRequest>,
    ) -> Result<Response<ExportMonthlyBulletinResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let first = NaiveDate::parse_from_str(&format!("{}-01", r.month.trim()), "%Y-%m-%d")
            .map_err(|_| {
                SupervisionError::field("month", format!("{:?} is not a month YYYY-MM", r.month))
            })?;
        let last = first
            .checked_add_months(chrono::Months::new(1))
            .and_then(|d| d.pred_opt())
            .ok_or_else(|| SupervisionError::field("month", "out of range"))?;
        let request = |dimension: Dimension_| GetMetricsRequest {
            dimension: dimension as i32,
            basis: DateBasis::Registered as i32,
            from: first.to_string(),
            to: last.to_string(),
            ..Default::default()
        };
        let reference = self.watcher.reference.current();
        let weights = &self.watcher.settings.index_weights;
        let mut lines = Vec::new();
        for (kind, dimension) in [("地区", Dimension_::Region), ("部门", Dimension_::Organ)] {
            let query = self.metric_query(&caller, &request(dimension))?;
            let figures = query
                .count(&self.db, &ITEM_METRICS)
                .await
                .map_err(SupervisionError::from)?;
            lines.extend(bulletin::rank(kind, &figures, weights, |code| {
                let unit = match dimension {
                    Dimension_::Organ => reference.org.unit(code),
                    // A region is named by its office or government, not a department.
                    _ => reference
                        .org
                        .units()
                        .filter(|u| u.region.as_str() == code)
                        .min_by_key(|u| u.kind == xinfang_domain::reference::UnitKind::Department),
                };
                unit.map_or_else(|| code.to_owned(), |u| u.name.clone())
            }));
        }
        let title = format!("{} 信访工作月度通报", r.month.trim());
        let (content, media_type, extension) =
            match ExportFormat::try_from(r.format).unwrap_or_default() {
                ExportFormat::Csv => (
                    bulletin::to_csv(&lines).map_err(SupervisionError::from)?,
                    "text/csv; charset=utf-8",
                    "csv",
                ),
                _ => (
                    bulletin::to_xlsx(&title, &lines).map_err(SupervisionError::from)?,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "xlsx",
                ),
            };
        Ok(Response::new(ExportMonthlyBulletinResponse {
            file_name: format!("月度通报-{}.{extension}", r.month.trim()),
            media_type: media_type.into(),
            content,
        }))
    }
}

async fn add_items(
    txn: &impl ConnectionTrait,
    list_id: &str,
    ids: &[String],
) -> Result<(), SupervisionError> {
    for id in ids {
        let entry = backlog_item::Model {
            list_id: list_id.to_owned(),
            petition_id: id.clone(),
            leader_name: None,
            leader_post: None,
            target_date: None,
            closed: false,
            closed_on: None,
            resolved: false,
            certified_by: None,
            evidence: None,
            certified_on: None,
        };
        backlog_item::Entity::insert(entry.into_active_model())
            .on_conflict(
                OnConflict::columns([
                    backlog_item::Column::ListId,
                    backlog_item::Column::PetitionId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}
