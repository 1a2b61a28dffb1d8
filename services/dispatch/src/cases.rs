//! What every decision on a case is made with — the unit of work, the reference data, the
//! limits, the node's clock — shared by the API, the consumer of intake's events and the
//! recount of provisional deadlines.

use crate::error::DispatchError;
use crate::queues::Queues;
use crate::repository::CaseRepository;
use chrono::NaiveDate;
use std::future::Future;
use xinfang_domain::aggregate::{Actor, Aggregate};
use xinfang_domain::case::{Case, CaseCommand, CaseContext};
use xinfang_domain::clock::Limits;
use xinfang_domain::reference::ReferenceData;
use xinfang_platform::clock::NodeClock;
use xinfang_platform::reference::ReferenceStore;
use xinfang_store::{Meta, UnitOfWork};

#[derive(Clone)]
pub struct Cases {
    pub uow: UnitOfWork,
    pub queues: Queues,
    pub reference: ReferenceStore,
    pub limits: Limits,
    pub clock: NodeClock,
    pub node: String,
}

impl Cases {
    pub fn context<'a>(
        &'a self,
        actor: &'a Actor,
        reference: &'a ReferenceData,
        today: NaiveDate,
    ) -> CaseContext<'a> {
        CaseContext {
            actor,
            today,
            org: &reference.org,
            calendar: &reference.calendar,
            limits: &self.limits,
            node: &self.node,
        }
    }

    /// Counts every provisional (暂定) deadline again with the calendar in use. Returns how many
    /// changed.
    pub async fn recompute_provisional(&self) -> Result<usize, DispatchError> {
        let mut changed = 0;
        for id in self.queues.provisional().await? {
            let now = self.clock.now();
            let reference = self.reference.current();
            let actor = Actor::system("");
            let ctx = self.context(&actor, &reference, self.clock.date_of(now));
            let saved = self
                .uow
                .execute(&CaseRepository, &id, &Meta::system("", now), |state| {
                    Case::decide(state, CaseCommand::RecomputeDeadline, &ctx)
                })
                .await?;
            changed += usize::from(!saved.events.is_empty());
        }
        Ok(changed)
    }

    /// Recomputes provisional deadlines now and after every reload of the reference data, until
    /// `shutdown`.
    pub async fn follow_the_calendar(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut changes = self.reference.changes();
        loop {
            match self.recompute_provisional().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    changed = n,
                    "provisional deadlines counted again with the loaded calendar"
                ),
                Err(err) => {
                    tracing::warn!(%err, "recounting provisional deadlines failed; the next reload tries again")
                }
            }
            tokio::select! {
                _ = &mut shutdown => return,
                changed = changes.changed() => if changed.is_err() { return },
            }
        }
    }
}
