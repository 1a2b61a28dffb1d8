//! Organisational scope (architecture.md, Security): a township sees its own items, a county its
//! townships, the city all. An item is in scope when the region it concerns or the region of the
//! unit that registered it lies inside the caller's unit's region.

use crate::entity::petition;
use crate::error::IntakeError;
use xinfang_domain::reference::ReferenceData;
use xinfang_platform::auth::Caller;

/// The region prefix of everything the caller may see.
pub fn prefix(reference: &ReferenceData, caller: &Caller) -> Result<String, IntakeError> {
    reference
        .org
        .unit(&caller.org_unit)
        .map(|unit| unit.region.scope_prefix().to_owned())
        .ok_or_else(|| {
            xinfang_domain::Refusal::new(
                xinfang_domain::Reason::UnknownUnit,
                format!(
                    "unit {} is not in this node's organisation tree",
                    caller.org_unit
                ),
            )
            .into()
        })
}

pub fn covers(reference: &ReferenceData, caller: &Caller, petition: &petition::Model) -> bool {
    prefix(reference, caller).is_ok_and(|p| {
        petition.region_code.starts_with(&p) || petition.registering_region.starts_with(&p)
    })
}
