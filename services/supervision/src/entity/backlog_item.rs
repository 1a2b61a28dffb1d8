use sea_orm::entity::prelude::*;

/// An item on a backlog list, with its leader package (包案). Closing (办结) and resolving
/// (化解, certified by a supervisor with the evidence) are recorded apart.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supervision_backlog_item")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub list_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub petition_id: String,
    pub leader_name: Option<String>,
    pub leader_post: Option<String>,
    pub target_date: Option<String>,
    pub closed: bool,
    pub closed_on: Option<String>,
    pub resolved: bool,
    pub certified_by: Option<String>,
    pub evidence: Option<String>,
    pub certified_on: Option<String>,
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
