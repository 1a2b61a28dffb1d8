use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "intake_petition")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub case_number: String,
    pub kind: String,
    pub state: String,
    pub channel_code: String,
    pub registering_unit: String,
    pub registering_region: String,
    pub region_code: String,
    pub content_category: String,
    pub title: String,
    pub content: String,
    pub headcount: i32,
    /// JSON of the agent (信访代理员), if any.
    pub agent: Option<String>,
    /// JSON list of attachment metadata.
    pub attachments: String,
    /// JSON list of screening flags with their explanations.
    pub flags: String,
    /// One bit per flag kind, for filtering.
    pub flag_mask: i64,
    pub linked_petition_id: Option<String>,
    pub matter_key: String,
    /// The provincial number of an item the province assigned (省交办); empty otherwise.
    pub province_number: String,
    pub first_time_here: bool,
    pub first_time_anywhere: bool,
    pub visited_level: Option<String>,
    pub petitioned_at: DateTimeUtc,
    pub registered_at: DateTimeUtc,
    pub registered_by: String,
    pub query_code_hash: String,
    pub query_code_sealed: String,
    pub idempotency_key: String,
    pub request_digest: String,
    /// How many events the petition has had: the write path's guard.
    pub version: i64,
    /// The organ it is routed to now (转送, 交办, 转办), if any.
    pub organ_code: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::petitioner::Entity")]
    Petitioner,
}

impl Related<super::petitioner::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Petitioner.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
