//! 矛盾纠纷排查: dispute-screening reports filed by the grassroots networks, kept as aggregates of
//! their own on the write path, and the look-up that tells whether an escalated item's matter
//! had been reported before it was petitioned (漏排率).

use crate::error::SupervisionError;
use crate::oversight::Oversight;
use crate::scope::required;
use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter,
};
use xinfang_domain::aggregate::Aggregate;
use xinfang_domain::region::RegionCode;
use xinfang_domain::supervision::{Report, ReportCommand, ReportEvent};
use xinfang_domain::{Reason, Refusal};
use xinfang_events::Payload;
use xinfang_platform::auth::Caller;
use xinfang_platform::policy::caller_unit;
use xinfang_proto::xinfang::supervision::v1::{FileScreeningReportRequest, ScreeningReport};
use xinfang_store::rows::{date, write_row};
use xinfang_store::{Meta, Repository, Versioned, Writes};

mod row {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "supervision_screening_report")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub region_code: String,
        pub unit_code: String,
        pub reporter: String,
        pub matter_key: String,
        pub summary: String,
        pub reported_on: String,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Whether a report named `matter_key` on or before `petitioned_on`.
pub async fn reported_before(
    txn: &DatabaseTransaction,
    matter_key: &str,
    petitioned_on: Option<NaiveDate>,
) -> Result<bool, DbErr> {
    let Some(on) = petitioned_on else {
        return Ok(false);
    };
    let reports = row::Entity::find()
        .filter(row::Column::MatterKey.eq(matter_key))
        .filter(row::Column::ReportedOn.lte(on.to_string()))
        .count(txn)
        .await?;
    Ok(reports > 0)
}

struct ReportRepository;

impl Repository for ReportRepository {
    type Aggregate = Report;
    const KIND: &'static str = "screening";

    async fn load(
        &self,
        db: &impl ConnectionTrait,
        id: &str,
    ) -> Result<Option<Versioned<Report>>, DbErr> {
        let found = row::Entity::find_by_id(id.to_owned()).one(db).await?;
        found
            .map(|r| {
                let reported_on = date(&Some(r.reported_on.clone()))?
                    .ok_or_else(|| DbErr::Type("stored date".into()))?;
                Ok(Versioned {
                    state: Report {
                        region: r.region_code,
                        unit: r.unit_code,
                        reporter: r.reporter,
                        matter_key: r.matter_key,
                        summary: r.summary,
                        reported_on,
                    },
                    version: r.version,
                })
            })
            .transpose()
    }

    async fn store(
        &self,
        writes: &mut Writes<'_>,
        id: &str,
        r: &Report,
        _events: &[ReportEvent],
        expected: Option<i64>,
        version: i64,
    ) -> Result<bool, DbErr> {
        let model = row::Model {
            id: id.to_owned(),
            region_code: r.region.clone(),
            unit_code: r.unit.clone(),
            reporter: r.reporter.clone(),
            matter_key: r.matter_key.clone(),
            summary: r.summary.clone(),
            reported_on: r.reported_on.to_string(),
            version,
        }
        .into_active_model();
        let key = Condition::all().add(row::Column::Id.eq(id));
        write_row(writes, model, key, row::Column::Version, expected).await
    }

    /// Reports stay with supervision (the exchange may carry them later).
    fn announce(
        &self,
        _id: &str,
        _after: &Report,
        _event: &ReportEvent,
    ) -> Option<(String, Payload)> {
        None
    }

    fn audit(&self, event: &ReportEvent) -> (&'static str, serde_json::Value) {
        let ReportEvent::Filed(r) = event;
        (
            "file_screening_report",
            serde_json::json!({ "region": r.region, "matter": r.matter_key }),
        )
    }
}

/// Files a report of the caller's unit for a region within the unit's own.
pub async fn file(
    o: &Oversight,
    caller: &Caller,
    r: FileScreeningReportRequest,
) -> Result<ScreeningReport, SupervisionError> {
    let code = required("region_code", &r.region_code)?;
    let region = RegionCode::parse(&code).map_err(|e| SupervisionError::field("region_code", e))?;
    let reference = o.reference.current();
    let unit = caller_unit(&reference.org, caller)?;
    if !unit.region.contains(&region) {
        return Err(Refusal::new(
            Reason::OutOfScope,
            format!("region {code} lies outside unit {}", unit.code),
        )
        .into());
    }
    let meta = Meta::of(caller, o.clock.now());
    let report = Report {
        region: code,
        unit: unit.code.clone(),
        reporter: caller.name.clone(),
        matter_key: required("matter_key", &r.matter_key)?,
        summary: required("summary", &r.summary)?,
        reported_on: o.clock.date_of(meta.at),
    };
    let id = uuid::Uuid::now_v7().to_string();
    o.uow
        .execute(&ReportRepository, &id, &meta, |state| {
            Report::decide(state, ReportCommand::File(report.clone()), &())
        })
        .await?;
    Ok(ScreeningReport {
        id,
        region_code: report.region,
        reporter: report.reporter,
        matter_key: report.matter_key,
        summary: report.summary,
        reported_at: Some(xinfang_events::envelope::timestamp(meta.at)),
    })
}
