//! The audit log: one append-only row per event of every aggregate, with who, when, which
//! aggregate and version, and a detail that holds masked values only.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ConnectionTrait, DbErr};

/// One audit row.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub at: DateTime<Utc>,
    pub actor: &'a str,
    pub unit: &'a str,
    pub action: &'a str,
    /// The aggregate's stream, `case/<id>`.
    pub aggregate: &'a str,
    pub version: i64,
    pub detail: serde_json::Value,
}

pub async fn append(
    db: &impl ConnectionTrait,
    service: &str,
    entry: AuditEntry<'_>,
) -> Result<(), DbErr> {
    let insert = Query::insert()
        .into_table(Alias::new(format!("{service}_audit")))
        .columns([
            "occurred_at",
            "actor",
            "org_unit",
            "action",
            "aggregate",
            "version",
            "detail",
        ])
        .values_panic([
            entry.at.into(),
            entry.actor.into(),
            entry.unit.into(),
            entry.action.into(),
            entry.aggregate.into(),
            entry.version.into(),
            entry.detail.to_string().into(),
        ])
        .to_owned();
    db.execute(&insert).await?;
    Ok(())
}
