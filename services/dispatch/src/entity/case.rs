use sea_orm::entity::prelude::*;

/// One petition item being routed, accepted, handled and answered.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dispatch_case")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub petition_id: String,
    pub case_number: String,
    pub kind: String,
    pub state: String,
    pub first_handler_unit: String,
    pub first_handler_region: String,
    pub triage_unit: String,
    pub region_code: String,
    pub content_category: String,
    pub channel_code: String,
    pub flag_mask: i64,
    pub responsible_organ: Option<String>,
    pub responsible_region: Option<String>,
    pub handler_user_id: Option<String>,
    /// The local date the item was forwarded or assigned: the acceptance and objection clocks
    /// start the day after.
    pub routed_on: Option<String>,
    /// JSON of the current [`xinfang_domain::clock::Deadline`].
    pub deadline: Option<String>,
    /// YYYY-MM-DD of the current deadline, for due/overdue queues; none while paused.
    pub due_date: Option<String>,
    pub extension_days: i32,
    pub extension_requested: Option<i32>,
    pub extension_reason: Option<String>,
    pub opinion: Option<String>,
    pub report_back_date: Option<String>,
    pub registered_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// How many events the case has had: the write path's guard.
    pub version: i64,
    /// A running pause of the clock (听证, 鉴定, 核查): kind, reason, first day.
    pub pause_kind: Option<String>,
    pub pause_reason: Option<String>,
    pub pause_start: Option<String>,
    /// The deadline counts through a year whose holidays are not loaded (暂定).
    pub provisional: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
