//! The watcher: finds the items whose next check has come (an index, never a scan of all
//! items), gives each warning, overdue mark and supervision order once, closes evaluation
//! windows, and escalates orders whose reply is late. Each item's step is one transaction with
//! its events, guarded so that two watchers or a restart never repeat it.

use crate::SERVICE;
use crate::clock;
use crate::entity::{item, order};
use chrono::NaiveDate;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use std::future::Future;
use std::time::Duration;
use xinfang_domain::clock::due_date;
use xinfang_events::{EventDraft, Payload, outbox};
use xinfang_platform::clock::NodeClock;
use xinfang_platform::config::{LimitSettings, SupervisionSettings};
use xinfang_platform::reference::ReferenceStore;
use xinfang_proto::xinfang::events::v1 as ev;

const BATCH: u64 = 200;

pub struct Watcher {
    pub db: DatabaseConnection,
    pub reference: ReferenceStore,
    pub settings: SupervisionSettings,
    pub limits: LimitSettings,
    pub clock: NodeClock,
    pub node: String,
}

impl Watcher {
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let interval = Duration::from_millis(self.settings.sweep_interval_ms);
        loop {
            if let Err(err) = self.sweep().await {
                tracing::warn!(%err, "supervision watcher: sweep failed, retrying");
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(interval) => {}
            }
        }
    }

    /// One pass over everything due today. Returns how many items and orders were acted on.
    pub async fn sweep(&self) -> anyhow::Result<usize> {
        let today = self.clock.today();
        let mut acted = 0;
        loop {
            let due = item::Entity::find()
                .filter(item::Column::NextCheck.lte(today.to_string()))
                .order_by_asc(item::Column::NextCheck)
                .limit(BATCH)
                .all(&self.db)
                .await?;
            let batch = due.len() as u64;
            for item in due {
                acted += usize::from(self.check_item(item, today).await?);
            }
            if batch < BATCH {
                break;
            }
        }
        let late = order::Entity::find()
            .filter(order::Column::NextCheck.lte(today.to_string()))
            .limit(BATCH)
            .all(&self.db)
            .await?;
        for order in late {
            acted += usize::from(self.escalate(order, today).await?);
        }
        Ok(acted)
    }

    async fn check_item(&self, seen: item::Model, today: NaiveDate) -> anyhow::Result<bool> {
        let warn_days = self.settings.warn_days_before;
        let mut watched = clock::watched(&seen);
        let checks = watched.checks(today, warn_days);
        watched.apply(checks);
        let mut item = seen.clone();
        clock::store(&mut item, &watched, warn_days);
        let txn = self.db.begin().await?;
        let due = item.due_date.clone().unwrap_or_default();
        let limit = item.limit_name.clone().unwrap_or_default();
        let organ = item.organ_code.clone().unwrap_or_default();
        let now = self.clock.now();
        if checks.warn {
            let warned = ev::DeadlineWarned {
                limit_name: limit.clone(),
                due_date: due.clone(),
                organ_code: organ.clone(),
            };
            self.announce(&txn, &item.petition_id, Payload::DeadlineWarned(warned))
                .await?;
        }
        if checks.overdue {
            if limit == "acceptance" && item.accepted_on.is_none() {
                item.acceptance_overdue = true;
            }
            if limit == "handling" && item.answered_on.is_none() {
                item.answer_overdue = true;
            }
            let overdue = ev::DeadlineOverdue {
                limit_name: limit.clone(),
                due_date: due.clone(),
                organ_code: organ.clone(),
            };
            self.announce(&txn, &item.petition_id, Payload::DeadlineOverdue(overdue))
                .await?;
            let reason = format!(
                "{}期限 {due} 已过，逾期未办",
                xinfang_domain::clock::label_of(&limit)
            );
            self.issue_order(&txn, &item, &limit, &due, reason, today, now)
                .await?;
        }
        // Only if nobody else acted on this item since it was read.
        let updated = item::Entity::update_many()
            .set(item.clone().into_active_model().reset_all())
            .filter(item::Column::PetitionId.eq(seen.petition_id.as_str()))
            .filter(item::Column::NextCheck.eq(seen.next_check.clone()))
            .filter(item::Column::DueDate.eq(seen.due_date.clone()))
            .exec(&txn)
            .await?;
        if updated.rows_affected != 1 {
            txn.rollback().await?;
            return Ok(false);
        }
        crate::counts::apply_change(&txn, &self.settings.definitions, Some(&seen), &item).await?;
        txn.commit().await?;
        if checks.any() {
            tracing::info!(petition = %item.petition_id, ?checks, %due, "supervision: acted on a clock");
        }
        Ok(checks.any())
    }

    /// 督办单 to the responsible organ, once per item, limit and due date.
    #[allow(clippy::too_many_arguments)]
    pub async fn issue_order(
        &self,
        txn: &DatabaseTransaction,
        item: &item::Model,
        limit: &str,
        due: &str,
        reason: String,
        today: NaiveDate,
        now: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<Option<order::Model>> {
        let reply_due = self.reply_due(today)?;
        let order = order::Model {
            id: uuid::Uuid::now_v7().to_string(),
            petition_id: item.petition_id.clone(),
            organ_code: item.organ_code.clone().unwrap_or_default(),
            region_code: item.region_code.clone(),
            limit_name: limit.to_owned(),
            due_date: due.to_owned(),
            reason: reason.clone(),
            reply_due: reply_due.to_string(),
            issued_on: today.to_string(),
            issued_at: now,
            replied_at: None,
            complied: None,
            reply_text: None,
            late: false,
            escalated_to: None,
            next_check: reply_due.succ_opt().map(|d| d.to_string()),
        };
        let inserted = order::Entity::insert(order.clone().into_active_model())
            .on_conflict(
                OnConflict::columns([
                    order::Column::PetitionId,
                    order::Column::LimitName,
                    order::Column::DueDate,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
        if inserted == 0 {
            return Ok(None);
        }
        let issued = ev::SupervisionOrderIssued {
            order_id: order.id.clone(),
            organ_code: order.organ_code.clone(),
            reply_due_date: order.reply_due.clone(),
            reason,
        };
        self.announce(
            txn,
            &item.petition_id,
            Payload::SupervisionOrderIssued(issued),
        )
        .await?;
        Ok(Some(order))
    }

    fn reply_due(&self, today: NaiveDate) -> anyhow::Result<NaiveDate> {
        let s = self.settings.order_reply;
        let limit = xinfang_domain::clock::Limit::new("order_reply", s.days, s.unit);
        Ok(due_date(&self.reference.current().calendar, &limit, today, &[], 0)?.due)
    }

    /// A reply not given by its date escalates the order one level up (to the organ's parent).
    async fn escalate(&self, order: order::Model, today: NaiveDate) -> anyhow::Result<bool> {
        let overdue =
            crate::clock::parse(&Some(order.reply_due.clone())).is_some_and(|d| today > d);
        if order.replied_at.is_some() || order.escalated_to.is_some() || !overdue {
            return Ok(false);
        }
        let upper = self
            .reference
            .current()
            .org
            .parent_of(&order.organ_code)
            .map(|u| u.code.clone())
            .unwrap_or_else(|| "province".into());
        let txn = self.db.begin().await?;
        let updated = order::Entity::update_many()
            .col_expr(
                order::Column::EscalatedTo,
                sea_orm::sea_query::Expr::value(upper.clone()),
            )
            .col_expr(
                order::Column::NextCheck,
                sea_orm::sea_query::Expr::value(Option::<String>::None),
            )
            .filter(order::Column::Id.eq(order.id.as_str()))
            .filter(order::Column::EscalatedTo.is_null())
            .filter(order::Column::RepliedAt.is_null())
            .exec(&txn)
            .await?;
        if updated.rows_affected != 1 {
            txn.rollback().await?;
            return Ok(false);
        }
        let escalated = ev::SupervisionOrderEscalated {
            order_id: order.id.clone(),
            from_organ_code: order.organ_code.clone(),
            to_unit_code: upper.clone(),
        };
        self.announce(
            &txn,
            &order.petition_id,
            Payload::SupervisionOrderEscalated(escalated),
        )
        .await?;
        txn.commit().await?;
        tracing::info!(order = %order.id, to = %upper, "supervision: late reply, order escalated");
        Ok(true)
    }

    async fn announce(
        &self,
        txn: &DatabaseTransaction,
        petition_id: &str,
        payload: Payload,
    ) -> anyhow::Result<()> {
        let draft = EventDraft::new(petition_id, payload, self.clock.now());
        outbox::append(txn, SERVICE, &self.node, draft).await?;
        Ok(())
    }
}

/// Marks an order replied; a late reply escalates it if the watcher has not yet.
pub async fn record_reply(
    txn: &DatabaseTransaction,
    order: &order::Model,
    complied: bool,
    text: &str,
    now: chrono::DateTime<chrono::Utc>,
    today: NaiveDate,
    upper: Option<String>,
) -> anyhow::Result<order::Model> {
    let late = clock::parse(&Some(order.reply_due.clone())).is_some_and(|d| today > d);
    let mut active = order.clone().into_active_model();
    active.replied_at = sea_orm::ActiveValue::Set(Some(now));
    active.complied = sea_orm::ActiveValue::Set(Some(complied));
    active.reply_text = sea_orm::ActiveValue::Set(Some(text.to_owned()));
    active.late = sea_orm::ActiveValue::Set(late);
    active.next_check = sea_orm::ActiveValue::Set(None);
    if late && order.escalated_to.is_none() {
        active.escalated_to = sea_orm::ActiveValue::Set(upper.or_else(|| Some("province".into())));
    }
    Ok(active.update(txn).await?)
}
