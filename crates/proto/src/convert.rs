//! Conversions between domain types and their wire enums, defined once for every service.

use crate::xinfang::petition::v1 as pb;
use xinfang_domain::clock::{Deadline, LimitUnit};
use xinfang_domain::lifecycle::{ALL_STATES, State};
use xinfang_domain::screening::{FLAG_KINDS, FlagKind};

impl From<State> for pb::PetitionState {
    fn from(state: State) -> Self {
        use pb::PetitionState as P;
        match state {
            State::Registered => P::Registered,
            State::Forwarded => P::Forwarded,
            State::Assigned => P::Assigned,
            State::Redirected => P::Redirected,
            State::NotAccepted => P::NotAccepted,
            State::Escalated => P::Escalated,
            State::TransferredOut => P::TransferredOut,
            State::Accepted => P::Accepted,
            State::Answered => P::Answered,
            State::Review => P::Review,
            State::Reviewed => P::Reviewed,
            State::ReExamination => P::ReExamination,
            State::ReExamined => P::ReExamined,
            State::Terminated => P::Terminated,
            State::Closed => P::Closed,
            State::Linked => P::Linked,
            State::NotReaccepted => P::NotReaccepted,
        }
    }
}

/// The domain state of a wire state (none for UNSPECIFIED).
pub fn state_from_wire(state: pb::PetitionState) -> Option<State> {
    ALL_STATES
        .into_iter()
        .find(|s| pb::PetitionState::from(*s) == state)
}

impl From<FlagKind> for pb::FlagKind {
    fn from(kind: FlagKind) -> Self {
        use pb::FlagKind as F;
        match kind {
            FlagKind::Repeat => F::Repeat,
            FlagKind::TerminatedMatter => F::TerminatedMatter,
            FlagKind::LitigationRelated => F::LitigationRelated,
            FlagKind::StatutoryRoute => F::StatutoryRoute,
            FlagKind::BypassVisit => F::BypassVisit,
            FlagKind::GroupPetition => F::GroupPetition,
            FlagKind::MajorUrgent => F::MajorUrgent,
            FlagKind::Threat => F::Threat,
            FlagKind::Anonymous => F::Anonymous,
        }
    }
}

pub fn flag_from_wire(kind: pb::FlagKind) -> Option<FlagKind> {
    FLAG_KINDS
        .into_iter()
        .find(|k| pb::FlagKind::from(*k) == kind)
}

/// `litigation`, `arbitration`, ... as the code tables name statutory routes.
pub fn route_to_wire(route: &str) -> pb::StatutoryRoute {
    match route {
        "litigation" => pb::StatutoryRoute::Litigation,
        "arbitration" => pb::StatutoryRoute::Arbitration,
        "reconsideration" => pb::StatutoryRoute::Reconsideration,
        "police" => pb::StatutoryRoute::Police,
        "discipline" => pb::StatutoryRoute::Discipline,
        _ => pb::StatutoryRoute::Unspecified,
    }
}

impl From<&Deadline> for pb::Deadline {
    fn from(d: &Deadline) -> Self {
        pb::Deadline {
            limit_name: d.limit.name.clone(),
            trigger_date: d.trigger.to_string(),
            limit: d.limit.days as i32,
            unit: match d.limit.unit {
                LimitUnit::CalendarDays => pb::LimitUnit::CalendarDays,
                LimitUnit::WorkingDays => pb::LimitUnit::WorkingDays,
            } as i32,
            pauses: d
                .pauses
                .iter()
                .map(|p| pb::ClockPause {
                    reason: p.reason.clone(),
                    start_date: p.start.to_string(),
                    end_date: p.end.to_string(),
                })
                .collect(),
            extension_days: d.extension_days as i32,
            due_date: d.due.to_string(),
            explanation: d.explanation.clone(),
        }
    }
}

use crate::xinfang::supervision::v1 as sv;
use xinfang_domain::metrics::{ALL_METRICS, Metric};

impl From<Metric> for sv::Metric {
    fn from(metric: Metric) -> Self {
        match metric {
            Metric::TimelyAcceptance => sv::Metric::TimelyAcceptance,
            Metric::OnTimeConclusion => sv::Metric::OnTimeConclusion,
            Metric::EvaluationParticipation => sv::Metric::EvaluationParticipation,
            Metric::Satisfaction => sv::Metric::Satisfaction,
            Metric::RepeatRate => sv::Metric::RepeatRate,
            Metric::OnlineShare => sv::Metric::OnlineShare,
            Metric::FirstTimeOnePass => sv::Metric::FirstTimeOnePass,
            Metric::BypassRate => sv::Metric::BypassRate,
            Metric::ResolutionRate => sv::Metric::ResolutionRate,
            Metric::ClosureRate => sv::Metric::ClosureRate,
        }
    }
}

/// The domain metric of a wire metric (none for UNSPECIFIED and 漏排率, not computed yet).
pub fn metric_from_wire(metric: sv::Metric) -> Option<Metric> {
    ALL_METRICS
        .into_iter()
        .find(|m| sv::Metric::from(*m) == metric)
}
