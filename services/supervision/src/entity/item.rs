use sea_orm::entity::prelude::*;

/// One petition item as supervision sees it: the clock being watched and the facts every metric
/// counts. Dates are `YYYY-MM-DD`.
#[derive(Clone, Debug, PartialEq, Eq, Default, DeriveEntityModel)]
#[sea_orm(table_name = "supervision_item")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub petition_id: String,
    pub case_number: String,
    pub region_code: String,
    pub registering_unit: String,
    pub channel_code: String,
    pub organ_code: Option<String>,
    pub state: String,
    pub online: bool,
    pub visit: bool,
    pub repeat: bool,
    pub bypass: bool,
    pub first_time: bool,
    pub petitioned_on: Option<String>,
    pub registered_on: Option<String>,
    pub registered_at: Option<DateTimeUtc>,
    pub exchanged_on: Option<String>,
    pub limit_name: Option<String>,
    pub due_date: Option<String>,
    pub deadline: Option<String>,
    pub warned_due: Option<String>,
    pub overdue_due: Option<String>,
    pub next_check: Option<String>,
    pub acceptance_due: Option<String>,
    pub accepted_on: Option<String>,
    pub accepted_in_time: bool,
    pub acceptance_overdue: bool,
    pub answer_due: Option<String>,
    pub answered_on: Option<String>,
    pub answered_on_time: bool,
    /// The handling limit passed unanswered (counts into 按期办结率 before the answer comes).
    pub answer_overdue: bool,
    pub evaluation_due: Option<String>,
    pub evaluated: bool,
    pub satisfied: bool,
    pub evaluation_missed: bool,
    pub repeated_later: bool,
    pub escalated: bool,
    pub screened: bool,
    /// The clock is stopped (听证, 鉴定, 核查): the due date stays, nothing is checked.
    pub paused: bool,
    /// How many events the item has had: the write path's guard.
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
