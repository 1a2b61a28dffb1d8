//! Dispute screening (矛盾纠纷排查) and 漏排率 (issue #11): the reports, and on each item whether
//! it escalated and whether its matter had been reported before.

use crate::schema::{add_column, create_index, version};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn flag(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .boolean()
        .not_null()
        .default(false)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(manager, "supervision_item", flag("escalated")).await?;
        add_column(manager, "supervision_item", flag("screened")).await?;
        manager
            .create_table(
                Table::create()
                    .table("supervision_screening_report")
                    .col(ColumnDef::new("id").string_len(36).not_null().primary_key())
                    .col(ColumnDef::new("region_code").string().not_null())
                    .col(ColumnDef::new("unit_code").string().not_null())
                    .col(ColumnDef::new("reporter").string().not_null())
                    .col(ColumnDef::new("matter_key").string().not_null())
                    .col(ColumnDef::new("summary").text().not_null())
                    .col(ColumnDef::new("reported_on").string_len(10).not_null())
                    .col(version())
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "supervision_screening_report",
            "supervision_screening_report_matter",
            &["matter_key", "reported_on"],
        )
        .await
    }
}
