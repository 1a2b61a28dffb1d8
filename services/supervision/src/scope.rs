//! What a caller of supervision may read and act on: the items, orders and figures of its unit's
//! region, the backlog lists of its unit and the units below it.

use crate::entity::{backlog_list, item};
use crate::error::SupervisionError;
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, EntityTrait};
use xinfang_domain::reference::ReferenceData;
use xinfang_domain::region::RegionCode;
use xinfang_domain::{Reason, Refusal};
use xinfang_platform::auth::Caller;

pub fn required(field: &str, value: &str) -> Result<String, SupervisionError> {
    match value.trim() {
        "" => Err(SupervisionError::field(field, "required")),
        v => Ok(v.to_owned()),
    }
}

/// A date people enter: YYYY-MM-DD, within the years the platform counts (1901–2099).
pub fn date(field: &str, value: &str) -> Result<NaiveDate, SupervisionError> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| (1901..=2099).contains(&chrono::Datelike::year(d)))
        .ok_or_else(|| {
            SupervisionError::field(
                field,
                format!("{value:?} is not a date YYYY-MM-DD between 1901 and 2099"),
            )
        })
}

/// The region prefix the caller may read, narrowed by `region_code` when given.
pub fn region(
    reference: &ReferenceData,
    caller: &Caller,
    region_code: &str,
) -> Result<String, SupervisionError> {
    let unit = reference.org.unit(&caller.org_unit).ok_or_else(|| {
        Refusal::new(
            Reason::UnknownUnit,
            format!("unit {} is not in this node", caller.org_unit),
        )
    })?;
    let own = unit.region.scope_prefix().to_owned();
    match region_code.trim() {
        "" => Ok(own),
        code if !code.bytes().all(|b| b.is_ascii_digit()) => Err(SupervisionError::field(
            "region_code",
            format!("{code:?} is not a region code"),
        )),
        code if code.starts_with(&own) => {
            let region =
                RegionCode::parse(code).map_err(|e| SupervisionError::field("region_code", e))?;
            Ok(region.scope_prefix().to_owned())
        }
        code => Err(Refusal::new(
            Reason::OutOfScope,
            format!(
                "region {code} is outside the scope of unit {}",
                caller.org_unit
            ),
        )
        .into()),
    }
}

/// One item in the caller's region.
pub async fn item(
    db: &impl ConnectionTrait,
    reference: &ReferenceData,
    caller: &Caller,
    petition_id: &str,
) -> Result<item::Model, SupervisionError> {
    let prefix = region(reference, caller, "")?;
    item::Entity::find_by_id(required("petition_id", petition_id)?)
        .one(db)
        .await?
        .filter(|i| i.region_code.starts_with(&prefix))
        .ok_or_else(|| {
            Refusal::new(
                Reason::NotFound,
                format!("no item {petition_id} in your scope"),
            )
            .into()
        })
}

/// One backlog list of the caller's unit or a unit below it.
pub async fn list(
    db: &impl ConnectionTrait,
    reference: &ReferenceData,
    caller: &Caller,
    list_id: &str,
) -> Result<backlog_list::Model, SupervisionError> {
    let not_found = || {
        Refusal::new(
            Reason::NotFound,
            format!("no backlog list {list_id} in your scope"),
        )
    };
    let list = backlog_list::Entity::find_by_id(required("list_id", list_id)?)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let visible = reference
        .org
        .chain(&list.owner_unit)
        .iter()
        .any(|u| u.code == caller.org_unit);
    if visible {
        Ok(list)
    } else {
        Err(not_found().into())
    }
}
