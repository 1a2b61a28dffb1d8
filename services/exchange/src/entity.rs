//! The exchange service's tables (see `migrations/src/exchange`).

pub mod up_record {
    use sea_orm::entity::prelude::*;

    /// A record for the province, numbered by the node, with the hub's verdict once given.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "exchange_up_record")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub sequence: i64,
        pub petition_id: String,
        pub case_number: String,
        pub kind: String,
        pub body: Vec<u8>,
        pub status: String,
        pub reject_code: i32,
        pub reason: String,
        pub province_number: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod link {
    use sea_orm::entity::prelude::*;

    /// The node's link to the hub (one row).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "exchange_link")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub last_sequence: i64,
        pub acknowledged_through: i64,
        pub last_contact: Option<DateTimeUtc>,
        pub last_error: String,
        /// The hub's downward cursor the node applied through.
        pub pull_cursor: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod hub_record {
    use sea_orm::entity::prelude::*;

    /// A node's record as the hub received it, once.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "exchange_hub_record")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub node: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub sequence: i64,
        pub local_number: String,
        pub kind: String,
        pub body: Vec<u8>,
        pub accepted: bool,
        pub reject_code: i32,
        pub reason: String,
        pub province_number: String,
        pub received_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod hub_node {
    use sea_orm::entity::prelude::*;

    /// Per node, the highest sequence up to which the hub holds every record; the last cursor
    /// of its downward queue and the highest the node acknowledged.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "exchange_hub_node")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub node: String,
        pub acknowledged_through: i64,
        pub last_down: i64,
        pub pulled_through: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod hub_down {
    use sea_orm::entity::prelude::*;

    /// A record of a node's downward queue (省交办, ...), personal numbers sealed.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "exchange_hub_down")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub node: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub cursor: i64,
        pub kind: String,
        pub province_number: String,
        pub idempotency_key: String,
        pub body: Vec<u8>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod hub_transfer {
    use sea_orm::entity::prelude::*;

    /// An item one node transferred to another (转有权处理地), under its provincial number.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "exchange_hub_transfer")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub province_number: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub to_node: String,
        pub from_node: String,
        pub from_local: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod down_record {
    use sea_orm::entity::prelude::*;

    /// A downward record the node pulled, with what it made of it.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "exchange_down_record")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub cursor: i64,
        pub kind: String,
        pub province_number: String,
        pub petition_id: String,
        pub case_number: String,
        pub status: String,
        pub reason: String,
        pub received_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod code_mapping {
    use sea_orm::entity::prelude::*;

    /// A code of a table the province sent down, under its version.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "exchange_code_mapping")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub table_name: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub local: String,
        pub province: String,
        pub version: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
