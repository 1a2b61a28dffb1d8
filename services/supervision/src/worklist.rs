//! The due / overdue worklist of a scope: open items ordered by due date, found through the
//! (due date, region) index so that a county's list never scans the node's items.

use crate::entity::item;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use xinfang_platform::policy::Scope;
use xinfang_proto::xinfang::petition::v1 as pb;
use xinfang_proto::xinfang::supervision::v1::DueItem;

pub struct Worklist {
    /// The items the caller sees.
    pub scope: Scope,
    pub today: String,
    pub overdue_only: bool,
    pub due_before: Option<String>,
    /// Keyset: after this (due date, petition id).
    pub after: Option<(String, String)>,
    pub limit: u64,
}

impl Worklist {
    /// One page of the worklist and the token of the next page ("" at the end).
    pub async fn fetch(&self, db: &impl ConnectionTrait) -> Result<(Vec<DueItem>, String), DbErr> {
        // A paused clock (听证, 鉴定, 核查) is not due while it is stopped.
        let mut query = item::Entity::find()
            .filter(item::Column::DueDate.is_not_null())
            .filter(item::Column::Paused.eq(false))
            .filter(crate::scope::items(&self.scope));
        if self.overdue_only {
            query = query.filter(item::Column::DueDate.lt(self.today.as_str()));
        }
        if let Some(before) = &self.due_before {
            query = query.filter(item::Column::DueDate.lt(before.as_str()));
        }
        if let Some((due, id)) = &self.after {
            query = query.filter(
                Expr::col(item::Column::DueDate)
                    .gt(due.as_str())
                    .or(Expr::col(item::Column::DueDate)
                        .eq(due.as_str())
                        .and(Expr::col(item::Column::PetitionId).gt(id.as_str()))),
            );
        }
        let mut rows = query
            .order_by_asc(item::Column::DueDate)
            .order_by_asc(item::Column::PetitionId)
            .limit(self.limit + 1)
            .all(db)
            .await?;
        let more = rows.len() as u64 > self.limit;
        rows.truncate(self.limit as usize);
        let next = match (more, rows.last()) {
            (true, Some(last)) => format!(
                "{}|{}",
                last.due_date.clone().unwrap_or_default(),
                last.petition_id
            ),
            _ => String::new(),
        };
        Ok((rows.iter().map(|i| self.view(i)).collect(), next))
    }

    fn view(&self, i: &item::Model) -> DueItem {
        DueItem {
            petition_id: i.petition_id.clone(),
            case_number: i.case_number.clone(),
            organ_code: i.organ_code.clone().unwrap_or_default(),
            region_code: i.region_code.clone(),
            deadline: Some(pb::Deadline {
                limit_name: i.limit_name.clone().unwrap_or_default(),
                due_date: i.due_date.clone().unwrap_or_default(),
                explanation: i.deadline.clone().unwrap_or_default(),
                ..Default::default()
            }),
            warned: i.warned_due.is_some() && i.warned_due == i.due_date,
            overdue: i
                .due_date
                .as_deref()
                .is_some_and(|d| d < self.today.as_str()),
        }
    }
}
