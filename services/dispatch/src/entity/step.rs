use sea_orm::entity::prelude::*;

/// The append-only record of every step: who, when, which organ, why, the resulting due dates.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dispatch_step")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub petition_id: String,
    pub action: String,
    pub actor: String,
    pub actor_unit: String,
    pub organ_code: String,
    pub destination: String,
    pub reason: String,
    pub text: String,
    pub occurred_at: DateTimeUtc,
    /// JSON list of the deadlines this step set.
    pub deadlines: String,
    /// Shown to the petitioner with the query code.
    pub public: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
