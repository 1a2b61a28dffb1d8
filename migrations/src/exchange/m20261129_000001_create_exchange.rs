use crate::event_tables::create_event_tables;
use crate::schema::create_index;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Node: every record for the province, numbered without gaps, with the hub's verdict.
        manager
            .create_table(
                Table::create()
                    .table("exchange_up_record")
                    .col(
                        ColumnDef::new("sequence")
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("petition_id").string_len(36).not_null())
                    // The item's city number, as its registration told.
                    .col(ColumnDef::new("case_number").string().not_null())
                    .col(ColumnDef::new("kind").string_len(16).not_null())
                    .col(ColumnDef::new("body").binary().not_null())
                    // pending, accepted, rejected
                    .col(ColumnDef::new("status").string_len(16).not_null())
                    .col(ColumnDef::new("reject_code").integer().not_null())
                    .col(ColumnDef::new("reason").text().not_null())
                    .col(ColumnDef::new("province_number").string().not_null())
                    .col(
                        ColumnDef::new("created_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "exchange_up_record",
            "exchange_up_record_item",
            &["petition_id", "kind"],
        )
        .await?;
        // Node: the one row of the link — the last number given, what the hub acknowledged.
        manager
            .create_table(
                Table::create()
                    .table("exchange_link")
                    .col(ColumnDef::new("id").integer().not_null().primary_key())
                    .col(ColumnDef::new("last_sequence").big_integer().not_null())
                    .col(
                        ColumnDef::new("acknowledged_through")
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new("last_contact").timestamp_with_time_zone())
                    .col(ColumnDef::new("last_error").text().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table("exchange_link")
                    .columns(["id", "last_sequence", "acknowledged_through", "last_error"])
                    .values_panic([1.into(), 0i64.into(), 0i64.into(), "".into()])
                    .to_owned(),
            )
            .await?;
        // Hub: each node's records as received, once, with the verdict given.
        manager
            .create_table(
                Table::create()
                    .table("exchange_hub_record")
                    .col(ColumnDef::new("node").string_len(12).not_null())
                    .col(ColumnDef::new("sequence").big_integer().not_null())
                    .col(ColumnDef::new("local_number").string().not_null())
                    .col(ColumnDef::new("kind").string_len(16).not_null())
                    .col(ColumnDef::new("body").binary().not_null())
                    .col(ColumnDef::new("accepted").boolean().not_null())
                    .col(ColumnDef::new("reject_code").integer().not_null())
                    .col(ColumnDef::new("reason").text().not_null())
                    .col(ColumnDef::new("province_number").string().not_null())
                    .col(
                        ColumnDef::new("received_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(Index::create().col("node").col("sequence"))
                    .to_owned(),
            )
            .await?;
        // A step names its item by the node's local number.
        create_index(
            manager,
            "exchange_hub_record",
            "exchange_hub_record_item",
            &["node", "local_number"],
        )
        .await?;
        // Hub: per node, the highest sequence up to which it holds every record.
        manager
            .create_table(
                Table::create()
                    .table("exchange_hub_node")
                    .col(
                        ColumnDef::new("node")
                            .string_len(12)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new("acknowledged_through")
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        create_event_tables(manager, "exchange").await
    }
}
