//! Cases and steps as wire messages.

use crate::entity::{case, step};
use xinfang_domain::clock::Deadline;
use xinfang_domain::lifecycle::State;
use xinfang_proto::xinfang::dispatch::v1::{Case, CaseStep};
use xinfang_proto::xinfang::petition::v1 as pb;

pub fn case_to_wire(c: &case::Model, steps: &[step::Model]) -> Case {
    let deadline: Option<Deadline> = c
        .deadline
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok());
    Case {
        petition_id: c.petition_id.clone(),
        case_number: c.case_number.clone(),
        state: State::parse(&c.state)
            .map(pb::PetitionState::from)
            .unwrap_or_default() as i32,
        first_handler_unit: c.first_handler_unit.clone(),
        responsible_organ_code: c.responsible_organ.clone().unwrap_or_default(),
        handler_user_id: c.handler_user_id.clone().unwrap_or_default(),
        region_code: c.region_code.clone(),
        content_category: c.content_category.clone(),
        current_deadline: deadline.as_ref().map(Into::into),
        extension_used: c.extension_days > 0,
        opinion: c
            .opinion
            .as_deref()
            .and_then(pb::HandlingOpinion::from_str_name)
            .unwrap_or_default() as i32,
        report_back_date: c.report_back_date.clone().unwrap_or_default(),
        steps: steps.iter().map(step_to_wire).collect(),
    }
}

fn step_to_wire(s: &step::Model) -> CaseStep {
    let deadlines: Vec<Deadline> = serde_json::from_str(&s.deadlines).unwrap_or_default();
    CaseStep {
        action: s.action.clone(),
        actor: Some(pb::Actor {
            user_id: s.actor.clone(),
            org_unit: s.actor_unit.clone(),
            display_name: String::new(),
        }),
        organ_code: s.organ_code.clone(),
        destination_organ_code: s.destination.clone(),
        reason: s.reason.clone(),
        text: s.text.clone(),
        occurred_at: Some(xinfang_events::envelope::timestamp(s.occurred_at)),
        deadlines: deadlines.iter().map(Into::into).collect(),
        public: s.public,
    }
}
