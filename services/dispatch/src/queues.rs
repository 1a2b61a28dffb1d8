//! Reading cases: one case with its steps, and work queues by unit, state, organ, handler and
//! due date (the read side; writes go through the unit of work).

use crate::entity::{case, step};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect,
};
use xinfang_domain::case::CLOCKED;
use xinfang_platform::policy::Scope;

pub const SERVICE: &str = "dispatch";

/// Filters of `ListCases`, already checked.
#[derive(Debug)]
pub struct ListFilter {
    /// What the caller may see.
    pub scope: Scope,
    pub states: Vec<String>,
    pub organ_code: Option<String>,
    pub handler_user_id: Option<String>,
    pub due_before: Option<String>,
    pub overdue_on: Option<String>,
    /// Keyset: rows after this petition id.
    pub after: Option<String>,
    pub limit: u64,
}

#[derive(Clone)]
pub struct Queues {
    db: DatabaseConnection,
}

impl Queues {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub async fn steps(&self, petition_id: &str) -> Result<Vec<step::Model>, DbErr> {
        step::Entity::find()
            .filter(step::Column::PetitionId.eq(petition_id))
            .order_by_asc(step::Column::Id)
            .all(&self.db)
            .await
    }

    pub async fn list(&self, filter: &ListFilter) -> Result<Vec<case::Model>, DbErr> {
        use case::Column as C;
        let mut query = case::Entity::find().filter(crate::scope::condition(&filter.scope));
        if !filter.states.is_empty() {
            query = query.filter(C::State.is_in(filter.states.clone()));
        }
        if let Some(organ) = &filter.organ_code {
            query = query.filter(
                Condition::any()
                    .add(C::ResponsibleOrgan.eq(organ.as_str()))
                    .add(
                        Condition::all()
                            .add(C::State.eq("registered"))
                            .add(C::TriageUnit.eq(organ.as_str())),
                    ),
            );
        }
        if let Some(handler) = &filter.handler_user_id {
            query = query.filter(C::HandlerUserId.eq(handler.as_str()));
        }
        if let Some(before) = &filter.due_before {
            query = query.filter(C::DueDate.lt(before.as_str()));
        }
        if let Some(today) = &filter.overdue_on {
            // Overdue is dispatch's own clocks: triage, acceptance, handling (the review window
            // after the answer is the petitioner's).
            query = query
                .filter(C::DueDate.lt(today.as_str()))
                .filter(C::State.is_in(CLOCKED.map(|s| s.as_str())));
        }
        if let Some(after) = &filter.after {
            query = query.filter(C::PetitionId.gt(after.as_str()));
        }
        query
            .order_by(C::PetitionId, Order::Asc)
            .limit(filter.limit)
            .all(&self.db)
            .await
    }

    /// Cases whose deadline is provisional (暂定): counted again when the calendar changes.
    pub async fn provisional(&self) -> Result<Vec<String>, DbErr> {
        Ok(case::Entity::find()
            .filter(case::Column::Provisional.eq(true))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|c| c.petition_id)
            .collect())
    }
}
