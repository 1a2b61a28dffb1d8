//! What a caller of supervision may read and act on: the items, orders and figures of its unit's
//! region, the backlog lists of its unit and the units below it.

use crate::entity::{backlog_list, item, order};
use crate::error::SupervisionError;
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait};
use xinfang_domain::reference::ReferenceData;
use xinfang_domain::region::RegionCode;
use xinfang_domain::{Reason, Refusal};
use xinfang_platform::auth::Caller;
use xinfang_platform::policy::{Holders, Scope};

pub fn required(field: &str, value: &str) -> Result<String, SupervisionError> {
    match value.trim() {
        "" => Err(SupervisionError::field(field, "required")),
        v => Ok(v.to_owned()),
    }
}

/// A day people enter (YYYY-MM-DD, within the platform's years).
pub fn date(field: &str, value: &str) -> Result<NaiveDate, SupervisionError> {
    Ok(xinfang_domain::field::day(field, value).map_err(Refusal::from)?)
}

/// The caller's scope by the platform's policy.
pub fn of(reference: &ReferenceData, caller: &Caller) -> Result<Scope, SupervisionError> {
    Ok(Scope::of(&reference.org, caller)?)
}

/// The caller's scope, narrowed to `region_code` when given (inside its own region).
pub fn narrowed(
    reference: &ReferenceData,
    caller: &Caller,
    region_code: &str,
) -> Result<Scope, SupervisionError> {
    let scope = of(reference, caller)?;
    let code = region_code.trim();
    if code.is_empty() {
        return Ok(scope);
    }
    let region = RegionCode::parse(code).map_err(|e| SupervisionError::field("region_code", e))?;
    match scope {
        Scope::Region(own) if code.starts_with(&own) => {
            Ok(Scope::Region(region.scope_prefix().to_owned()))
        }
        _ => Err(Refusal::new(
            Reason::OutOfScope,
            format!(
                "region {code} is outside the scope of unit {}",
                caller.org_unit
            ),
        )
        .into()),
    }
}

fn holders(item: &item::Model) -> Holders<'_> {
    Holders {
        regions: vec![&item.region_code],
        units: [Some(&item.registering_unit), item.organ_code.as_ref()]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect(),
    }
}

/// The items a scope sees, as a query condition.
pub fn items(scope: &Scope) -> Condition {
    use item::Column as C;
    match scope {
        Scope::Region(prefix) => Condition::all().add(C::RegionCode.starts_with(prefix)),
        Scope::Unit(code) => Condition::any()
            .add(C::OrganCode.eq(code.as_str()))
            .add(C::RegisteringUnit.eq(code.as_str())),
    }
}

/// The supervision orders a scope sees: of its region, or addressed to the department.
pub fn orders(scope: &Scope) -> Condition {
    use order::Column as C;
    match scope {
        Scope::Region(prefix) => Condition::all().add(C::RegionCode.starts_with(prefix)),
        Scope::Unit(code) => Condition::all().add(C::OrganCode.eq(code.as_str())),
    }
}

/// One item the caller sees.
pub async fn item(
    db: &impl ConnectionTrait,
    reference: &ReferenceData,
    caller: &Caller,
    petition_id: &str,
) -> Result<item::Model, SupervisionError> {
    let scope = of(reference, caller)?;
    item::Entity::find_by_id(required("petition_id", petition_id)?)
        .one(db)
        .await?
        .filter(|i| scope.sees(&holders(i)))
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
