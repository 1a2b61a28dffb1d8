//! The joint meeting service's tables (see `migrations/src/jointmeeting`).

pub mod meeting {
    use sea_orm::entity::prelude::*;

    /// A joint meeting: the columns the lists select by, and the whole aggregate as JSON.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "jointmeeting_meeting")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub convener: String,
        pub held_on: String,
        pub state: String,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod item {
    use sea_orm::entity::prelude::*;

    /// An item this node registered, as intake announced it.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "jointmeeting_item")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub petition_id: String,
        pub case_number: String,
        pub region_code: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod roster {
    use sea_orm::entity::prelude::*;

    /// One office's roster of one year (`<office>:<year>`), as JSON.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "jointmeeting_roster")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub state: String,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod reception {
    use sea_orm::entity::prelude::*;

    /// A leader's reception day (领导接访): the calendar's columns, and the aggregate as JSON.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "jointmeeting_reception")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub office: String,
        pub held_on: String,
        pub state: String,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
