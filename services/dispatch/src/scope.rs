//! Which cases a caller sees, by the platform's policy (`xinfang_platform::policy`): a township
//! the cases of its region and those it registered or triages, a county office its townships'
//! and its departments' cases, the city office all, a department what is routed to it or it
//! registered.

use crate::entity::case;
use sea_orm::{ColumnTrait, Condition};
use xinfang_domain::case::Case;
use xinfang_platform::policy::{Holders, Scope};

fn holders(case: &Case) -> Holders<'_> {
    Holders {
        regions: [
            Some(&case.region),
            Some(&case.first_handler_region),
            case.organ_region.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect(),
        units: [
            Some(&case.first_handler_unit),
            Some(&case.triage_unit),
            case.organ.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect(),
    }
}

pub fn sees(scope: &Scope, case: &Case) -> bool {
    scope.sees(&holders(case))
}

/// The same rule as a query condition.
pub fn condition(scope: &Scope) -> Condition {
    use case::Column as C;
    match scope {
        Scope::Region(prefix) => Condition::any()
            .add(C::RegionCode.starts_with(prefix))
            .add(C::FirstHandlerRegion.starts_with(prefix))
            .add(C::ResponsibleRegion.starts_with(prefix)),
        Scope::Unit(code) => Condition::any()
            .add(C::FirstHandlerUnit.eq(code.as_str()))
            .add(C::TriageUnit.eq(code.as_str()))
            .add(C::ResponsibleOrgan.eq(code.as_str())),
    }
}
