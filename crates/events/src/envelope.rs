//! Building the [`Envelope`] every event travels in: id, type, petition, time, node, actor and
//! the W3C trace context of the span that caused it.

use chrono::{DateTime, Utc};
use xinfang_platform::auth::Caller;
use xinfang_proto::xinfang::events::v1::{Envelope, envelope::Payload};
use xinfang_proto::xinfang::petition::v1::Actor;

/// The topic a service publishes to: `xinfang.<service>.events`.
pub fn topic_of(service: &str) -> String {
    format!("xinfang.{service}.events")
}

/// An event before the outbox numbers it.
pub struct EventDraft {
    pub petition_id: String,
    pub payload: Payload,
    pub actor: Option<Actor>,
    pub occurred_at: DateTime<Utc>,
}

impl EventDraft {
    pub fn new(
        petition_id: impl Into<String>,
        payload: Payload,
        occurred_at: DateTime<Utc>,
    ) -> Self {
        Self {
            petition_id: petition_id.into(),
            payload,
            actor: None,
            occurred_at,
        }
    }

    pub fn by_actor(mut self, actor: Actor) -> Self {
        self.actor = Some(actor);
        self
    }

    pub fn by(mut self, caller: Option<&Caller>) -> Self {
        self.actor = caller.map(|c| Actor {
            user_id: c.user_id.clone(),
            org_unit: c.org_unit.clone(),
            display_name: c.name.clone(),
        });
        self
    }

    /// The envelope of version `sequence` of `aggregate`, stamped with the current trace
    /// context.
    pub fn into_envelope(self, node: &str, aggregate: &str, sequence: u64) -> Envelope {
        let trace = xinfang_platform::telemetry::current_trace_context();
        Envelope {
            event_id: uuid::Uuid::now_v7().to_string(),
            event_type: event_type(&self.payload).to_owned(),
            petition_id: self.petition_id,
            sequence,
            occurred_at: Some(timestamp(self.occurred_at)),
            node: node.to_owned(),
            traceparent: trace.get("traceparent").cloned().unwrap_or_default(),
            tracestate: trace.get("tracestate").cloned().unwrap_or_default(),
            actor: self.actor,
            aggregate: aggregate.to_owned(),
            payload: Some(self.payload),
        }
    }
}

pub fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

/// The payload's message name, e.g. `PetitionRegistered`.
pub fn event_type(payload: &Payload) -> &'static str {
    match payload {
        Payload::PetitionRegistered(_) => "PetitionRegistered",
        Payload::CaseOpened(_) => "CaseOpened",
        Payload::CaseTriaged(_) => "CaseTriaged",
        Payload::CaseAccepted(_) => "CaseAccepted",
        Payload::CaseObjected(_) => "CaseObjected",
        Payload::HandlerAssigned(_) => "HandlerAssigned",
        Payload::ProgressNoted(_) => "ProgressNoted",
        Payload::ExtensionRequested(_) => "ExtensionRequested",
        Payload::ExtensionDecided(_) => "ExtensionDecided",
        Payload::CaseAnswered(_) => "CaseAnswered",
        Payload::CompletionReported(_) => "CompletionReported",
        Payload::CaseTransferred(_) => "CaseTransferred",
        Payload::SuggestionDecided(_) => "SuggestionDecided",
        Payload::ClockPaused(_) => "ClockPaused",
        Payload::ClockResumed(_) => "ClockResumed",
        Payload::DeadlineWarned(_) => "DeadlineWarned",
        Payload::DeadlineOverdue(_) => "DeadlineOverdue",
        Payload::SupervisionOrderIssued(_) => "SupervisionOrderIssued",
        Payload::SupervisionOrderReplied(_) => "SupervisionOrderReplied",
        Payload::BacklogItemChanged(_) => "BacklogItemChanged",
        Payload::SupervisionOrderEscalated(_) => "SupervisionOrderEscalated",
        Payload::MeetingDecisionRecorded(_) => "MeetingDecisionRecorded",
        Payload::MeetingItemResolved(_) => "MeetingItemResolved",
        Payload::ReceptionRecorded(_) => "ReceptionRecorded",
        Payload::HearingScheduled(_) => "HearingScheduled",
        Payload::HearingEnded(_) => "HearingEnded",
        Payload::EvaluationSubmitted(_) => "EvaluationSubmitted",
        Payload::ReviewRequested(_) => "ReviewRequested",
        Payload::ReviewDecided(_) => "ReviewDecided",
        Payload::PetitionTerminated(_) => "PetitionTerminated",
        Payload::PetitionClosed(_) => "PetitionClosed",
        Payload::ProvinceEvaluationMarked(_) => "ProvinceEvaluationMarked",
        Payload::ProvincialAssignmentReceived(_) => "ProvincialAssignmentReceived",
        Payload::UpRecordAcknowledged(_) => "UpRecordAcknowledged",
        Payload::CalendarPublished(_) => "CalendarPublished",
        Payload::TransferredStepReceived(_) => "TransferredStepReceived",
        Payload::OrganisationPublished(_) => "OrganisationPublished",
    }
}
