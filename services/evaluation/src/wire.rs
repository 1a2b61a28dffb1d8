//! The item after its answer as the API shows it.

use chrono::{DateTime, Utc};
use xinfang_domain::clock::{Calendar, Limits};
use xinfang_domain::evaluation::{Evaluation, Item, Review, ReviewOutcome, Stage};
use xinfang_proto::xinfang::evaluation::v1 as evp;
use xinfang_proto::xinfang::petition::v1 as pb;

fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

pub fn evaluation(petition_id: &str, e: &Evaluation) -> evp::Evaluation {
    evp::Evaluation {
        petition_id: petition_id.to_owned(),
        stage: evp::Stage::from(e.stage) as i32,
        department: pb::Satisfaction::from(e.department) as i32,
        handling_organ: pb::Satisfaction::from(e.organ) as i32,
        comment: e.comment.clone(),
        channel: evp::EvaluationChannel::from(e.channel) as i32,
        proxy_name: e.proxy.as_ref().map(|p| p.name.clone()).unwrap_or_default(),
        proxy_unit: e.proxy.as_ref().map(|p| p.unit.clone()).unwrap_or_default(),
        evaluated_at: Some(timestamp(e.at)),
    }
}

pub fn review(petition_id: &str, r: &Review) -> evp::ReviewCase {
    let mut case = evp::ReviewCase {
        petition_id: petition_id.to_owned(),
        stage: evp::Stage::from(r.stage) as i32,
        organ_code: r.organ.clone(),
        requested_date: r.requested_on.to_string(),
        reason: r.reason.clone(),
        ..Default::default()
    };
    match &r.outcome {
        ReviewOutcome::NotAccepted { notice } => case.notice = notice.clone(),
        ReviewOutcome::Accepted {
            deadline,
            hearings,
            decision,
            publish,
        } => {
            case.accepted = true;
            case.deadline = Some(deadline.into());
            case.hearings = hearings
                .iter()
                .map(|h| evp::Hearing {
                    start_date: h.start.to_string(),
                    end_date: h.end.map(|d| d.to_string()).unwrap_or_default(),
                    place: h.place.clone(),
                    participants: h.participants.clone(),
                    record: h.record.clone(),
                })
                .collect();
            if let Some(d) = decision {
                case.opinion = pb::HandlingOpinion::from(d.opinion) as i32;
                case.text = d.text.clone();
                case.decided_date = d.on.to_string();
            }
            case.publish_opinion = *publish;
        }
    }
    case
}

/// The latest request of `stage`, as the API shows it.
pub fn latest_review(petition_id: &str, item: &Item, stage: Stage) -> Option<evp::ReviewCase> {
    item.reviews
        .iter()
        .rev()
        .find(|r| r.stage == stage)
        .map(|r| review(petition_id, r))
}

pub fn record(petition_id: &str, item: &Item, limits: &Limits, calendar: &Calendar) -> evp::Record {
    let answer = item.answer.as_ref();
    evp::Record {
        petition_id: petition_id.to_owned(),
        case_number: item
            .registration
            .as_ref()
            .map(|r| r.case_number.clone())
            .unwrap_or_default(),
        answering_organ_code: answer.map(|a| a.organ.clone()).unwrap_or_default(),
        answered_date: answer.map(|a| a.on.to_string()).unwrap_or_default(),
        opinion: answer.map_or(0, |a| pb::HandlingOpinion::from(a.opinion) as i32),
        stage: evp::Stage::from(item.stage()) as i32,
        evaluation_window: item
            .evaluation_window(limits, calendar)
            .as_ref()
            .map(Into::into),
        request_window: item
            .request_deadline(limits, calendar)
            .as_ref()
            .map(Into::into),
        evaluations: item
            .evaluations
            .iter()
            .map(|e| evaluation(petition_id, e))
            .collect(),
        revisits: item
            .revisits
            .iter()
            .map(|r| evp::Revisit {
                stage: evp::Stage::from(r.stage) as i32,
                organ_code: r.organ.clone(),
                due_date: r.due.to_string(),
                text: r
                    .record
                    .as_ref()
                    .map(|x| x.text.clone())
                    .unwrap_or_default(),
                analysis: r
                    .record
                    .as_ref()
                    .map(|x| x.analysis.clone())
                    .unwrap_or_default(),
                outcome: r
                    .record
                    .as_ref()
                    .map(|x| x.outcome.clone())
                    .unwrap_or_default(),
                recorded_at: r.record.as_ref().map(|x| timestamp(x.at)),
            })
            .collect(),
        reviews: item
            .reviews
            .iter()
            .map(|r| review(petition_id, r))
            .collect(),
        terminated: item.terminated.is_some(),
        terminated_date: item
            .terminated
            .as_ref()
            .map(|t| t.on.to_string())
            .unwrap_or_default(),
        termination_reason: item
            .terminated
            .as_ref()
            .map(|t| t.reason.clone())
            .unwrap_or_default(),
        closed: item.closed_on.is_some(),
        state: item
            .state()
            .map_or(0, |s| pb::PetitionState::from(s) as i32),
        spot_checks: item
            .spot_checks
            .iter()
            .map(|c| evp::SpotCheck {
                date: c.on.to_string(),
                unit_code: c.unit.clone(),
                findings: c.findings.clone(),
                corrections: c.corrections.clone(),
            })
            .collect(),
        reported_to_province_date: item
            .province_report
            .as_ref()
            .map(|r| r.on.to_string())
            .unwrap_or_default(),
        redirected_route: item.redirected.clone().unwrap_or_default(),
    }
}
