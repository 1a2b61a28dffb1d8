//! What every decision of supervision is made with — the unit of work, the reference data, the
//! rules of `[supervision]`, the limits, the node's clock — shared by the API, the consumer of
//! intake's and dispatch's events, and the watcher.

use crate::repository::ItemRepository;
use chrono::NaiveDate;
use xinfang_domain::aggregate::Actor;
use xinfang_domain::clock::Limits;
use xinfang_domain::reference::ReferenceData;
use xinfang_domain::supervision::OrderContext;
use xinfang_platform::clock::NodeClock;
use xinfang_platform::config::SupervisionSettings;
use xinfang_platform::reference::ReferenceStore;
use xinfang_store::UnitOfWork;

#[derive(Clone)]
pub struct Oversight {
    pub uow: UnitOfWork,
    pub reference: ReferenceStore,
    pub settings: SupervisionSettings,
    pub limits: Limits,
    pub clock: NodeClock,
}

impl Oversight {
    pub fn items(&self) -> ItemRepository {
        ItemRepository {
            warn_days: self.settings.warn_days_before,
            definitions: self.settings.definitions,
        }
    }

    pub fn order_context<'a>(
        &'a self,
        actor: &'a Actor,
        reference: &'a ReferenceData,
        today: NaiveDate,
    ) -> OrderContext<'a> {
        OrderContext {
            actor,
            today,
            org: &reference.org,
            calendar: &reference.calendar,
            limits: &self.limits,
        }
    }
}
