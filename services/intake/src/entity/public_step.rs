use sea_orm::entity::prelude::*;

/// A step the petitioner sees with the query code (转送, 受理告知, 延期告知, 处理意见, ...).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "intake_public_step")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub petition_id: String,
    pub kind: String,
    pub title: String,
    pub organ_name: String,
    pub occurred_at: DateTimeUtc,
    pub text: String,
    /// YYYY-MM-DD: when the next step is due, as this step told the petitioner.
    pub due_date: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
