//! The annual report's tally (issue #11): one row per countable fact the other services
//! announce — an item studied or resolved at a joint meeting, received by a leader, a review or
//! re-examination requested or decided, a 报省评议 mark, a suggestion decided — keyed so that a
//! redelivered event adds nothing.

use crate::schema::create_index;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("supervision_tally")
                    .col(ColumnDef::new("kind").string_len(32).not_null())
                    // The meeting, the reception day or the stage the fact belongs to.
                    .col(ColumnDef::new("subject").string_len(64).not_null())
                    .col(ColumnDef::new("petition_id").string_len(36).not_null())
                    .col(ColumnDef::new("unit_code").string().not_null())
                    .col(ColumnDef::new("on_date").string_len(10).not_null())
                    .col(ColumnDef::new("detail").string().not_null())
                    .primary_key(
                        Index::create()
                            .col("kind")
                            .col("subject")
                            .col("petition_id"),
                    )
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "supervision_tally",
            "supervision_tally_year",
            &["kind", "on_date"],
        )
        .await
    }
}
