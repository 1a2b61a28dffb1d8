//! What a step is decided with: the caller, the node's time, the reference data, the limits.

use crate::entity::case;
use crate::error::DispatchError;
use chrono::{DateTime, NaiveDate, Utc};
use std::sync::Arc;
use xinfang_domain::clock::{Deadline, due_date};
use xinfang_domain::reference::{OrgUnit, ReferenceData, UnitKind};
use xinfang_platform::auth::Caller;
use xinfang_platform::config::LimitSettings;

pub struct Context<'a> {
    pub caller: Caller,
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
    pub reference: Arc<ReferenceData>,
    pub limits: &'a LimitSettings,
    /// This node's region code.
    pub node: &'a str,
}

impl Context<'_> {
    /// The deadline of limit `name` triggered on `trigger`.
    pub fn deadline(
        &self,
        name: &str,
        trigger: NaiveDate,
        extension_days: u32,
    ) -> Result<Deadline, DispatchError> {
        Ok(due_date(
            &self.reference.calendar,
            &self.limits.limit(name),
            trigger,
            &[],
            extension_days,
        )?)
    }

    pub fn unit(&self, code: &str) -> Result<&OrgUnit, DispatchError> {
        self.reference.org.unit(code).ok_or_else(|| {
            DispatchError::field("organ_code", format!("{code:?} is not a unit of this node"))
        })
    }

    /// Whether the caller's unit is `code` or above it in the organisation tree.
    pub fn caller_covers(&self, code: &str) -> bool {
        self.reference
            .org
            .chain(code)
            .iter()
            .any(|u| u.code == self.caller.org_unit)
    }

    /// Whether the caller may see the case: their unit triages, registered or handles it (or is
    /// above one of those), or is a petition office whose region holds the matter.
    pub fn can_see(&self, case: &case::Model) -> bool {
        let handles = [
            Some(&case.triage_unit),
            Some(&case.first_handler_unit),
            case.responsible_organ.as_ref(),
        ]
        .into_iter()
        .flatten()
        .any(|unit| self.caller_covers(unit));
        handles
            || self
                .reference
                .org
                .unit(&self.caller.org_unit)
                .is_some_and(|u| {
                    u.kind == UnitKind::PetitionOffice
                        && case.region_code.starts_with(u.region.scope_prefix())
                })
    }

    /// Triage (分流) is the triage unit's, or a unit above it.
    pub fn ensure_triage(&self, case: &case::Model) -> Result<(), DispatchError> {
        if self.caller_covers(&case.triage_unit) {
            Ok(())
        } else {
            Err(DispatchError::PermissionDenied(format!(
                "triage of this item belongs to {}, not {}",
                case.triage_unit, self.caller.org_unit
            )))
        }
    }

    /// Acceptance, objection and handling are the responsible organ's.
    pub fn ensure_organ(&self, case: &case::Model) -> Result<(), DispatchError> {
        match &case.responsible_organ {
            Some(organ) if *organ == self.caller.org_unit => Ok(()),
            Some(organ) => Err(DispatchError::PermissionDenied(format!(
                "this item is handled by {organ}, not {}",
                self.caller.org_unit
            ))),
            None => Err(DispatchError::Precondition(
                "the item has not been routed to an organ yet".into(),
            )),
        }
    }

    /// Approving an extension: a leader of the organ, or a unit above it.
    pub fn ensure_approver(&self, case: &case::Model) -> Result<(), DispatchError> {
        let organ = case.responsible_organ.as_deref().unwrap_or_default();
        let leader_of_organ = organ == self.caller.org_unit && self.caller.has_role("leader");
        let above = organ != self.caller.org_unit && self.caller_covers(organ);
        if leader_of_organ || above {
            Ok(())
        } else {
            Err(DispatchError::PermissionDenied(
                "an extension is approved by the organ's leader (role leader) or a unit above it"
                    .into(),
            ))
        }
    }
}
