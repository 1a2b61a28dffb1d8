//! Conversions between domain types and their wire enums, defined once for every service.

use crate::xinfang::dispatch::v1 as dp;
use crate::xinfang::evaluation::v1 as evp;
use crate::xinfang::jointmeeting::v1 as jm;
use crate::xinfang::petition::v1 as pb;
use xinfang_domain::case::{Opinion, PauseKind, SuggestionDecision};
use xinfang_domain::clock::{Deadline, LimitUnit, Pause};
use xinfang_domain::evaluation::{Channel, Satisfaction, Stage};
use xinfang_domain::lifecycle::{ALL_STATES, ItemKind, State, StatutoryRoute};
use xinfang_domain::meeting::Measure;
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

impl From<StatutoryRoute> for pb::StatutoryRoute {
    fn from(route: StatutoryRoute) -> Self {
        match route {
            StatutoryRoute::Litigation => pb::StatutoryRoute::Litigation,
            StatutoryRoute::Arbitration => pb::StatutoryRoute::Arbitration,
            StatutoryRoute::Reconsideration => pb::StatutoryRoute::Reconsideration,
            StatutoryRoute::Police => pb::StatutoryRoute::Police,
            StatutoryRoute::Discipline => pb::StatutoryRoute::Discipline,
        }
    }
}

/// The domain route of a wire route (none for UNSPECIFIED).
pub fn route_from_wire(route: pb::StatutoryRoute) -> Option<StatutoryRoute> {
    StatutoryRoute::ALL
        .into_iter()
        .find(|r| pb::StatutoryRoute::from(*r) == route)
}

/// `litigation`, `arbitration`, ... as the code tables name statutory routes.
pub fn route_to_wire(route: &str) -> pb::StatutoryRoute {
    StatutoryRoute::parse(route).map_or(pb::StatutoryRoute::Unspecified, Into::into)
}

impl From<ItemKind> for pb::ItemKind {
    fn from(kind: ItemKind) -> Self {
        match kind {
            ItemKind::Petition => pb::ItemKind::Petition,
            ItemKind::Suggestion => pb::ItemKind::Suggestion,
        }
    }
}

/// The domain kind of a wire kind; UNSPECIFIED is a petition.
pub fn kind_from_wire(kind: pb::ItemKind) -> ItemKind {
    match kind {
        pb::ItemKind::Suggestion => ItemKind::Suggestion,
        pb::ItemKind::Petition | pb::ItemKind::Unspecified => ItemKind::Petition,
    }
}

impl From<Opinion> for pb::HandlingOpinion {
    fn from(opinion: Opinion) -> Self {
        match opinion {
            Opinion::Support => pb::HandlingOpinion::Support,
            Opinion::Explain => pb::HandlingOpinion::Explain,
            Opinion::NotSupport => pb::HandlingOpinion::NotSupport,
        }
    }
}

pub fn opinion_from_wire(opinion: pb::HandlingOpinion) -> Option<Opinion> {
    [Opinion::Support, Opinion::Explain, Opinion::NotSupport]
        .into_iter()
        .find(|o| pb::HandlingOpinion::from(*o) == opinion)
}

impl From<SuggestionDecision> for dp::SuggestionDecision {
    fn from(decision: SuggestionDecision) -> Self {
        match decision {
            SuggestionDecision::Adopted => dp::SuggestionDecision::Adopted,
            SuggestionDecision::PartlyAdopted => dp::SuggestionDecision::PartlyAdopted,
            SuggestionDecision::NotAdopted => dp::SuggestionDecision::NotAdopted,
        }
    }
}

pub fn suggestion_from_wire(decision: dp::SuggestionDecision) -> Option<SuggestionDecision> {
    [
        SuggestionDecision::Adopted,
        SuggestionDecision::PartlyAdopted,
        SuggestionDecision::NotAdopted,
    ]
    .into_iter()
    .find(|d| dp::SuggestionDecision::from(*d) == decision)
}

impl From<PauseKind> for dp::PauseKind {
    fn from(kind: PauseKind) -> Self {
        match kind {
            PauseKind::Hearing => dp::PauseKind::Hearing,
            PauseKind::Appraisal => dp::PauseKind::Appraisal,
            PauseKind::Inspection => dp::PauseKind::Inspection,
        }
    }
}

pub fn pause_kind_from_wire(kind: dp::PauseKind) -> Option<PauseKind> {
    PauseKind::ALL
        .into_iter()
        .find(|k| dp::PauseKind::from(*k) == kind)
}

impl From<&Pause> for pb::ClockPause {
    fn from(p: &Pause) -> Self {
        pb::ClockPause {
            reason: p.reason.clone(),
            start_date: p.start.to_string(),
            end_date: p.end.to_string(),
        }
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
            pauses: d.pauses.iter().map(Into::into).collect(),
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
            Metric::MissedScreening => sv::Metric::MissedScreening,
            Metric::ResolutionRate => sv::Metric::ResolutionRate,
            Metric::ClosureRate => sv::Metric::ClosureRate,
        }
    }
}

/// The domain metric of a metric as a message field holds it (an `i32`).
pub fn metric_of(metric: i32) -> Option<Metric> {
    sv::Metric::try_from(metric).ok().and_then(metric_from_wire)
}

/// The domain metric of a wire metric (none for UNSPECIFIED and 漏排率, not computed yet).
pub fn metric_from_wire(metric: sv::Metric) -> Option<Metric> {
    ALL_METRICS
        .into_iter()
        .find(|m| sv::Metric::from(*m) == metric)
}

impl From<Stage> for evp::Stage {
    fn from(stage: Stage) -> Self {
        match stage {
            Stage::Answer => evp::Stage::Answer,
            Stage::Review => evp::Stage::Review,
            Stage::ReExamination => evp::Stage::ReExamination,
        }
    }
}

pub fn stage_from_wire(stage: i32) -> Option<Stage> {
    [Stage::Answer, Stage::Review, Stage::ReExamination]
        .into_iter()
        .find(|s| evp::Stage::from(*s) as i32 == stage)
}

impl From<Satisfaction> for pb::Satisfaction {
    fn from(s: Satisfaction) -> Self {
        match s {
            Satisfaction::Satisfied => pb::Satisfaction::Satisfied,
            Satisfaction::BasicallySatisfied => pb::Satisfaction::BasicallySatisfied,
            Satisfaction::Dissatisfied => pb::Satisfaction::Dissatisfied,
        }
    }
}

pub fn satisfaction_from_wire(s: i32) -> Option<Satisfaction> {
    [
        Satisfaction::Satisfied,
        Satisfaction::BasicallySatisfied,
        Satisfaction::Dissatisfied,
    ]
    .into_iter()
    .find(|v| pb::Satisfaction::from(*v) as i32 == s)
}

impl From<Channel> for evp::EvaluationChannel {
    fn from(c: Channel) -> Self {
        match c {
            Channel::Sms => evp::EvaluationChannel::Sms,
            Channel::Phone => evp::EvaluationChannel::Phone,
            Channel::Web => evp::EvaluationChannel::Web,
            Channel::Kiosk => evp::EvaluationChannel::Kiosk,
        }
    }
}

pub fn evaluation_channel_from_wire(c: i32) -> Option<Channel> {
    [Channel::Sms, Channel::Phone, Channel::Web, Channel::Kiosk]
        .into_iter()
        .find(|v| evp::EvaluationChannel::from(*v) as i32 == c)
}

impl From<Measure> for jm::Measure {
    fn from(m: Measure) -> Self {
        match m {
            Measure::Summons => jm::Measure::Summons,
            Measure::Circular => jm::Measure::Circular,
            Measure::ListedSupervision => jm::Measure::ListedSupervision,
        }
    }
}

pub fn measure_from_wire(m: i32) -> Option<Measure> {
    [
        Measure::Summons,
        Measure::Circular,
        Measure::ListedSupervision,
    ]
    .into_iter()
    .find(|v| jm::Measure::from(*v) as i32 == m)
}
