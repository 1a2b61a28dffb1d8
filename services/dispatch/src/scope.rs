//! Which cases a unit sees: those it triages, registered or handles (or is above one of those in
//! the organisation tree), and, for a petition office, every case of its region.

use xinfang_domain::case::Case;
use xinfang_domain::reference::{OrgTree, UnitKind};

/// Whether `unit` is `code` or above it in the organisation tree.
pub fn covers(org: &OrgTree, unit: &str, code: &str) -> bool {
    org.chain(code).iter().any(|u| u.code == unit)
}

pub fn can_see(org: &OrgTree, unit: &str, case: &Case) -> bool {
    let handles = [
        Some(&case.triage_unit),
        Some(&case.first_handler_unit),
        case.organ.as_ref(),
    ]
    .into_iter()
    .flatten()
    .any(|code| covers(org, unit, code));
    handles
        || org.unit(unit).is_some_and(|u| {
            u.kind == UnitKind::PetitionOffice && case.region.starts_with(u.region.scope_prefix())
        })
}
