//! Which petitions a caller sees, by the platform's policy (`xinfang_platform::policy`): a
//! township its own, a county office its townships and its departments' items, the city office
//! all, a department what was routed to it or it registered.

use crate::entity::petition;
use crate::error::IntakeError;
use sea_orm::{ColumnTrait, Condition};
use xinfang_domain::reference::ReferenceData;
use xinfang_platform::auth::Caller;
use xinfang_platform::policy::{Holders, Scope};

pub fn of(reference: &ReferenceData, caller: &Caller) -> Result<Scope, IntakeError> {
    Ok(Scope::of(&reference.org, caller)?)
}

fn holders(p: &petition::Model) -> Holders<'_> {
    Holders {
        regions: vec![&p.region_code, &p.registering_region],
        units: [Some(&p.registering_unit), p.organ_code.as_ref()]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect(),
    }
}

pub fn covers(scope: &Scope, petition: &petition::Model) -> bool {
    scope.sees(&holders(petition))
}

/// The same rule as a query condition.
pub fn condition(scope: &Scope) -> Condition {
    use petition::Column as C;
    match scope {
        Scope::Region(prefix) => Condition::any()
            .add(C::RegionCode.starts_with(prefix))
            .add(C::RegisteringRegion.starts_with(prefix)),
        Scope::Unit(code) => Condition::any()
            .add(C::RegisteringUnit.eq(code.as_str()))
            .add(C::OrganCode.eq(code.as_str())),
    }
}
