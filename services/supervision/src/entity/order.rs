use sea_orm::entity::prelude::*;

/// 督办单: a supervision order to the responsible organ, and its written reply (Art. 40).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supervision_order")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub petition_id: String,
    pub organ_code: String,
    pub region_code: String,
    pub limit_name: String,
    pub due_date: String,
    pub reason: String,
    pub reply_due: String,
    pub issued_on: String,
    pub issued_at: DateTimeUtc,
    pub replied_at: Option<DateTimeUtc>,
    pub complied: Option<bool>,
    pub reply_text: Option<String>,
    pub late: bool,
    pub escalated_to: Option<String>,
    pub next_check: Option<String>,
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
