use sea_orm::entity::prelude::*;

/// A petitioner of one petition. ID and phone numbers are sealed; the hash finds equal ID numbers.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "intake_petitioner")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub petition_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    pub name: String,
    pub id_type: String,
    pub id_number_sealed: Option<String>,
    pub id_number_hash: Option<String>,
    pub id_number_masked: Option<String>,
    pub phone_sealed: Option<String>,
    pub phone_masked: Option<String>,
    pub address: String,
    pub region_code: String,
    pub representative: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::petition::Entity",
        from = "Column::PetitionId",
        to = "super::petition::Column::Id"
    )]
    Petition,
}

impl Related<super::petition::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Petition.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
