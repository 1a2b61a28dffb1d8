//! The watcher: finds the items whose next check has come (an index, never a scan of all
//! items), lets each decide its warning, overdue mark or closed evaluation window, issues the
//! supervision order an overdue mark calls for in the same transaction, and escalates orders
//! whose reply is late. Every step goes through the unit of work: two watchers, a restart or an
//! event arriving at the same moment never repeat or lose one.

use crate::entity::{item, order};
use crate::oversight::Oversight;
use crate::repository::OrderRepository;
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::future::Future;
use std::time::Duration;
use xinfang_domain::aggregate::{Actor, Aggregate};
use xinfang_domain::clock::label_of;
use xinfang_domain::supervision::{Item, ItemCommand, ItemContext, ItemEvent, Order, OrderCommand};
use xinfang_store::{Meta, WriteError};

const BATCH: u64 = 200;

const RECONCILE_EVERY: Duration = Duration::from_secs(60);

pub struct Watcher {
    pub oversight: Oversight,
}

impl Watcher {
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let interval = Duration::from_millis(self.oversight.settings.sweep_interval_ms);
        let mut missing = 0;
        let mut reconciled: Option<std::time::Instant> = None;
        loop {
            if let Err(err) = self.sweep().await {
                tracing::warn!(%err, "supervision watcher: sweep failed, retrying");
            }
            // The reconciliation needs no more than a look a minute.
            if reconciled.is_none_or(|at| at.elapsed() >= RECONCILE_EVERY) {
                missing = self.report_missing(missing).await;
                reconciled = Some(std::time::Instant::now());
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(interval) => {}
            }
        }
    }

    /// Logs the registered items without a case when their number changed since `before`;
    /// returns it.
    async fn report_missing(&self, before: usize) -> usize {
        match self.cases_missing().await {
            Ok(missing) if missing.len() != before => {
                if missing.is_empty() {
                    tracing::info!("every registered item has its case again");
                } else {
                    tracing::error!(
                        count = missing.len(),
                        first = ?&missing[..missing.len().min(10)],
                        "registered items without a case: an event was lost between intake and dispatch (xinfang check)"
                    );
                }
                missing.len()
            }
            Ok(_) => before,
            Err(err) => {
                tracing::warn!(%err, "supervision watcher: reconciliation failed");
                before
            }
        }
    }

    /// Items registered longer ago than `supervision.case_expected_within_minutes` whose case
    /// never opened (no triage clock, no organ): the reconciliation of intake and dispatch as
    /// supervision sees them.
    pub async fn cases_missing(&self) -> Result<Vec<String>, sea_orm::DbErr> {
        let o = &self.oversight;
        let grace = chrono::Duration::minutes(i64::from(o.settings.case_expected_within_minutes));
        Ok(item::Entity::find()
            .filter(item::Column::State.eq("registered"))
            .filter(item::Column::OrganCode.is_null())
            .filter(item::Column::RegisteredAt.lt(o.clock.now() - grace))
            .order_by_asc(item::Column::RegisteredAt)
            .limit(1000)
            .all(o.uow.db())
            .await?
            .into_iter()
            .map(|i| i.petition_id)
            .collect())
    }

    /// One pass over everything due today. Returns how many items and orders were acted on.
    pub async fn sweep(&self) -> Result<usize, WriteError> {
        let today = self.oversight.clock.today();
        let db = self.oversight.uow.db();
        let mut acted = 0;
        // Keyset over (next check, id): an item left as it was is not read again this sweep.
        let mut after: Option<(String, String)> = None;
        loop {
            let mut query =
                item::Entity::find().filter(item::Column::NextCheck.lte(today.to_string()));
            if let Some((check, id)) = &after {
                query = query.filter(
                    Condition::any()
                        .add(item::Column::NextCheck.gt(check.as_str()))
                        .add(
                            Condition::all()
                                .add(item::Column::NextCheck.eq(check.as_str()))
                                .add(item::Column::PetitionId.gt(id.as_str())),
                        ),
                );
            }
            let due: Vec<(String, String)> = query
                .order_by_asc(item::Column::NextCheck)
                .order_by_asc(item::Column::PetitionId)
                .limit(BATCH)
                .all(db)
                .await?
                .into_iter()
                .map(|i| (i.next_check.unwrap_or_default(), i.petition_id))
                .collect();
            for (_, id) in &due {
                acted += usize::from(self.check_item(id, today).await?);
            }
            match due.last() {
                Some(last) if due.len() as u64 == BATCH => after = Some(last.clone()),
                _ => break,
            }
        }
        let late: Vec<String> = order::Entity::find()
            .filter(order::Column::NextCheck.lte(today.to_string()))
            .order_by_asc(order::Column::Id)
            .limit(BATCH)
            .all(db)
            .await?
            .into_iter()
            .map(|o| o.id)
            .collect();
        for id in &late {
            acted += usize::from(self.escalate(id, today).await?);
        }
        Ok(acted)
    }

    /// Checks one item's clock; an overdue mark issues its order in the same transaction.
    async fn check_item(&self, id: &str, today: NaiveDate) -> Result<bool, WriteError> {
        let o = &self.oversight;
        let items = o.items();
        let ctx = ItemContext {
            warn_days: o.settings.warn_days_before,
        };
        let now = o.clock.now();
        let meta = Meta::system("", now);
        let reference = o.reference.current();
        let actor = Actor::system("");
        let order_ctx = o.order_context(&actor, &reference, today);
        let (items, ctx, meta, order_ctx) = (&items, &ctx, &meta, &order_ctx);
        let acted = o
            .uow
            .run(|tx| async move {
                let saved = tx
                    .apply(items, id, meta, |state| {
                        Item::decide(state, ItemCommand::Check { today }, ctx)
                    })
                    .await?;
                let Some(item) = &saved.state else {
                    return Ok(false);
                };
                for event in &saved.events {
                    let ItemEvent::MarkedOverdue { limit, due, organ } = event else {
                        continue;
                    };
                    if organ.is_empty() {
                        tracing::warn!(petition = %id, %limit, "overdue with no responsible organ: no order issued");
                        continue;
                    }
                    let issue = OrderCommand::Issue {
                        petition_id: id.to_owned(),
                        organ: organ.clone(),
                        region: item.region.clone(),
                        limit: limit.clone(),
                        due: *due,
                        reason: format!("{}期限 {due} 已过，逾期未办", label_of(limit)),
                        at: now,
                    };
                    let order_id = uuid::Uuid::now_v7().to_string();
                    tx.apply(&OrderRepository, &order_id, meta, |state| {
                        Order::decide(state, issue.clone(), order_ctx)
                    })
                    .await?;
                }
                Ok(!saved.events.is_empty())
            })
            .await?;
        if acted {
            tracing::info!(petition = %id, %today, "supervision: acted on a clock");
        }
        Ok(acted)
    }

    /// A reply not given by its date escalates the order one level up (to the organ's parent).
    async fn escalate(&self, id: &str, today: NaiveDate) -> Result<bool, WriteError> {
        let o = &self.oversight;
        let reference = o.reference.current();
        let actor = Actor::system("");
        let ctx = o.order_context(&actor, &reference, today);
        let saved = o
            .uow
            .execute(
                &OrderRepository,
                id,
                &Meta::system("", o.clock.now()),
                |state| Order::decide(state, OrderCommand::EscalateIfLate, &ctx),
            )
            .await?;
        if !saved.events.is_empty() {
            tracing::info!(order = %id, "supervision: late reply, order escalated");
        }
        Ok(!saved.events.is_empty())
    }
}
