//! Evaluation's tables (see `migrations/src/evaluation`).

pub mod item {
    use sea_orm::entity::prelude::*;

    /// The item after its answer: the columns the scope and the lists select by, and the
    /// whole aggregate as JSON (`state`).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "evaluation_item")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub petition_id: String,
        pub case_number: String,
        pub region_code: String,
        pub registering_unit: String,
        pub answer_organ: String,
        pub review_organ: String,
        pub re_examination_organ: String,
        pub lifecycle: String,
        pub terminated_on: Option<String>,
        pub next_check: Option<String>,
        pub state: String,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod token {
    use sea_orm::entity::prelude::*;

    /// A one-time evaluation token by its SHA-256: which item and stage it opens.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "evaluation_token")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub hash: String,
        pub petition_id: String,
        pub stage: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod sms {
    use sea_orm::entity::prelude::*;

    /// An SMS for the gateway: the evaluation link with its token.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "evaluation_sms")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub petition_id: String,
        pub stage: String,
        pub body: String,
        pub created_at: DateTimeUtc,
        pub sent_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
