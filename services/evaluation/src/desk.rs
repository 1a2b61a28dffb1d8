//! What every way into the service shares: the unit of work, the reference data, the limits and
//! the node's clock, and the one way an item is changed.

use crate::error::EvaluationError;
use crate::repository::ItemRepository;
use crate::tokens;
use sea_orm::DatabaseTransaction;
use xinfang_domain::aggregate::Aggregate;
use xinfang_domain::clock::Limits;
use xinfang_domain::evaluation::{Item, ItemCommand, ItemContext, ItemEvent};
use xinfang_platform::clock::NodeClock;
use xinfang_platform::reference::ReferenceStore;
use xinfang_store::{Meta, Saved, UnitOfWork, WriteError};

#[derive(Clone)]
pub struct Desk {
    pub uow: UnitOfWork,
    pub reference: ReferenceStore,
    pub limits: Limits,
    pub clock: NodeClock,
}

/// A change of one item: who, for which unit, what; and the clear token of a new opinion, whose
/// SMS is queued in the same transaction.
pub struct Change<'a> {
    pub petition_id: &'a str,
    pub meta: &'a Meta,
    pub unit: &'a str,
    pub command: ItemCommand,
    pub token: Option<String>,
}

impl Desk {
    /// Decides and saves `change` in a transaction of its own.
    pub async fn change(&self, change: Change<'_>) -> Result<Item, EvaluationError> {
        let change = &change;
        let saved = self
            .uow
            .run(|tx| async move { self.apply(tx.txn().await?, change).await })
            .await?;
        saved.state.ok_or_else(|| {
            EvaluationError::Refused(xinfang_domain::Refusal::new(
                xinfang_domain::Reason::NotFound,
                "no such item",
            ))
        })
    }

    /// Decides and saves `change` inside the caller's transaction (a consumer's).
    pub async fn apply(
        &self,
        txn: &DatabaseTransaction,
        change: &Change<'_>,
    ) -> Result<Saved<Item>, WriteError> {
        let reference = self.reference.current();
        let ctx = ItemContext {
            limits: &self.limits,
            reference: &reference,
            today: self.clock.date_of(change.meta.at),
            unit: change.unit,
        };
        let repo = ItemRepository {
            limits: &self.limits,
            reference: &reference,
        };
        let saved = self
            .uow
            .within(txn)
            .apply(&repo, change.petition_id, change.meta, |state| {
                Item::decide(state, change.command.clone(), &ctx)
            })
            .await?;
        let opened = saved.events.iter().find_map(|e| match e {
            ItemEvent::Answered { .. } => Some(xinfang_domain::evaluation::Stage::Answer),
            ItemEvent::Decided { stage, .. } => Some(*stage),
            _ => None,
        });
        if let (Some(stage), Some(token), Some(item)) = (opened, &change.token, &saved.state) {
            let case_number = item
                .registration
                .as_ref()
                .map_or("", |r| r.case_number.as_str());
            tokens::queue_sms(
                txn,
                change.petition_id,
                stage,
                case_number,
                token,
                change.meta.at,
            )
            .await?;
        }
        Ok(saved)
    }
}
