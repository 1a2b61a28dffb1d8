//! Cases and steps as wire messages.

use crate::entity::step;
use xinfang_domain::case::Case as DomainCase;
use xinfang_domain::clock::Deadline;
use xinfang_proto::xinfang::dispatch::v1::{Case, CaseStep};
use xinfang_proto::xinfang::petition::v1 as pb;

pub fn case_to_wire(c: &DomainCase, steps: &[step::Model]) -> Case {
    Case {
        petition_id: c.petition_id.clone(),
        case_number: c.case_number.clone(),
        state: pb::PetitionState::from(c.state) as i32,
        first_handler_unit: c.first_handler_unit.clone(),
        responsible_organ_code: c.organ.clone().unwrap_or_default(),
        handler_user_id: c.handler.clone().unwrap_or_default(),
        region_code: c.region.clone(),
        content_category: c.category.clone(),
        current_deadline: c.deadline.as_ref().map(Into::into),
        extension_used: c.extension_days > 0,
        opinion: c
            .opinion
            .map_or(pb::HandlingOpinion::Unspecified, Into::into) as i32,
        report_back_date: c.report_back.map(|d| d.to_string()).unwrap_or_default(),
        steps: steps.iter().map(step_to_wire).collect(),
        running_pause: c.pause.as_ref().map(|p| pb::ClockPause {
            reason: format!("{}：{}", p.kind.label(), p.reason),
            start_date: p.start.to_string(),
            end_date: String::new(),
        }),
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
