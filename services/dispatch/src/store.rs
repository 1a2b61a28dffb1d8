//! Dispatch's storage. Every step changes the case, appends its step row and its event in one
//! transaction; a concurrent change of the same case is detected, not overwritten.

use crate::entity::{case, step};
use crate::error::DispatchError;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, Order, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use xinfang_events::{EventDraft, outbox};

pub const SERVICE: &str = "dispatch";

#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
}

/// Filters of `ListCases`, already checked.
#[derive(Debug, Default)]
pub struct ListFilter {
    /// Units whose queues the caller may see (the caller's unit and those below it).
    pub units: Vec<String>,
    /// For petition offices: every item of their region.
    pub region_prefix: Option<String>,
    pub states: Vec<String>,
    pub organ_code: Option<String>,
    pub handler_user_id: Option<String>,
    pub due_before: Option<String>,
    pub overdue_on: Option<String>,
    /// Keyset: rows after this petition id.
    pub after: Option<String>,
    pub limit: u64,
}

/// States whose clock runs in dispatch.
pub const CLOCKED: [&str; 4] = ["registered", "forwarded", "assigned", "accepted"];

impl Store {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub async fn get(&self, petition_id: &str) -> Result<Option<case::Model>, DbErr> {
        case::Entity::find_by_id(petition_id.to_owned())
            .one(&self.db)
            .await
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
        let mut scope = Condition::any()
            .add(C::TriageUnit.is_in(filter.units.clone()))
            .add(C::FirstHandlerUnit.is_in(filter.units.clone()))
            .add(C::ResponsibleOrgan.is_in(filter.units.clone()));
        if let Some(prefix) = &filter.region_prefix {
            scope = scope.add(C::RegionCode.starts_with(prefix));
        }
        let mut query = case::Entity::find().filter(scope);
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
            query = query
                .filter(C::DueDate.lt(today.as_str()))
                .filter(C::State.is_in(CLOCKED));
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

    /// Saves the changed case if nobody changed it since `seen` (its `updated_at` when read),
    /// with its step and event, in one transaction.
    pub async fn commit(
        &self,
        node: &str,
        seen: DateTime<Utc>,
        case: case::Model,
        step: step::Model,
        event: Option<EventDraft>,
    ) -> Result<(), DispatchError> {
        let txn = self.db.begin().await?;
        let petition_id = case.petition_id.clone();
        let updated = case::Entity::update_many()
            .set(case.into_active_model().reset_all())
            .filter(case::Column::PetitionId.eq(petition_id))
            .filter(case::Column::UpdatedAt.eq(seen))
            .exec(&txn)
            .await?;
        if updated.rows_affected != 1 {
            txn.rollback().await?;
            return Err(DispatchError::Conflict);
        }
        append(&txn, node, step, event).await?;
        txn.commit().await?;
        Ok(())
    }
}

/// Appends a step and its event inside `txn`.
pub async fn append(
    txn: &sea_orm::DatabaseTransaction,
    node: &str,
    step: step::Model,
    event: Option<EventDraft>,
) -> Result<(), DbErr> {
    let mut row = step.into_active_model();
    row.id = sea_orm::ActiveValue::NotSet;
    row.insert(txn).await?;
    if let Some(event) = event {
        outbox::append(txn, SERVICE, node, event).await?;
    }
    Ok(())
}

/// Inserts a new case unless it exists (a redelivered registration).
pub async fn insert_case(
    txn: &sea_orm::DatabaseTransaction,
    case: case::Model,
) -> Result<bool, DbErr> {
    let exists = case::Entity::find_by_id(case.petition_id.clone())
        .one(txn)
        .await?
        .is_some();
    if exists {
        return Ok(false);
    }
    case.into_active_model().insert(txn).await?;
    Ok(true)
}
