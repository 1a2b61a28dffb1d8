//! What a caller of evaluation sees, by the platform's policy: a petition office or government
//! the items of its region, a department the items it registered, answered or reviews.

use crate::entity::item;
use crate::error::EvaluationError;
use sea_orm::{ColumnTrait, Condition};
use xinfang_domain::evaluation::Item;
use xinfang_domain::reference::ReferenceData;
use xinfang_domain::{Reason, Refusal};
use xinfang_platform::auth::Caller;
use xinfang_platform::policy::{Holders, Scope};

pub fn of(reference: &ReferenceData, caller: &Caller) -> Result<Scope, EvaluationError> {
    Ok(Scope::of(&reference.org, caller)?)
}

/// The item, if the caller's scope sees it; an item outside it does not exist for the caller.
pub fn seen(scope: &Scope, item: Option<Item>) -> Result<Item, EvaluationError> {
    let not_found = || Refusal::new(Reason::NotFound, "no such item in the caller's scope");
    let item = item.ok_or_else(not_found)?;
    let region = item.registration.as_ref().map_or("", |r| r.region.as_str());
    let holders = Holders {
        regions: vec![region],
        units: item.units(),
    };
    if scope.sees(&holders) {
        Ok(item)
    } else {
        Err(not_found().into())
    }
}

/// The items a scope sees, as a query condition.
pub fn items(scope: &Scope) -> Condition {
    use item::Column as C;
    match scope {
        Scope::Region(prefix) => Condition::all().add(C::RegionCode.starts_with(prefix)),
        Scope::Unit(code) => Condition::any()
            .add(C::RegisteringUnit.eq(code.as_str()))
            .add(C::AnswerOrgan.eq(code.as_str()))
            .add(C::ReviewOrgan.eq(code.as_str()))
            .add(C::ReExaminationOrgan.eq(code.as_str())),
    }
}

pub fn required(field: &str, value: &str) -> Result<String, EvaluationError> {
    match value.trim() {
        "" => Err(EvaluationError::field(field, "required")),
        v => Ok(v.to_owned()),
    }
}

/// A day people enter (YYYY-MM-DD, within the platform's years).
pub fn date(field: &str, value: &str) -> Result<chrono::NaiveDate, EvaluationError> {
    Ok(xinfang_domain::field::day(field, value).map_err(Refusal::from)?)
}
