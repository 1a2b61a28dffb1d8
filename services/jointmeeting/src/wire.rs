//! The joint meeting as the API shows it.

use xinfang_domain::meeting::Meeting;
use xinfang_events::envelope::timestamp;
use xinfang_proto::xinfang::jointmeeting::v1 as jm;

pub fn meeting(id: &str, m: &Meeting) -> jm::Meeting {
    jm::Meeting {
        id: id.to_owned(),
        title: m.title.clone(),
        held_date: m.held_on.to_string(),
        convener_organ_code: m.convener.clone(),
        member_organ_codes: m.members.clone(),
        items: m
            .items
            .iter()
            .map(|i| jm::AgendaItem {
                petition_id: i.petition_id.clone(),
                case_number: i.case_number.clone(),
                disputing_organ_codes: i.disputing.clone(),
                decision: i.decision.as_ref().map(|d| jm::Decision {
                    lead_organ_code: d.lead.clone(),
                    cooperating_organ_codes: d.cooperating.clone(),
                    measures: d
                        .measures
                        .iter()
                        .map(|x| jm::Measure::from(*x) as i32)
                        .collect(),
                    deadline: d.deadline.to_string(),
                    text: d.text.clone(),
                }),
                follow_ups: i
                    .follow_ups
                    .iter()
                    .map(|f| jm::FollowUp {
                        unit_code: f.unit.clone(),
                        text: f.text.clone(),
                        recorded_at: Some(timestamp(f.at)),
                    })
                    .collect(),
                resolved: i.resolution.is_some(),
                resolved_date: i
                    .resolution
                    .as_ref()
                    .map(|r| r.on.to_string())
                    .unwrap_or_default(),
                certified_by: i
                    .resolution
                    .as_ref()
                    .map(|r| r.certified_by.clone())
                    .unwrap_or_default(),
            })
            .collect(),
    }
}

/// 召开联席会议 N 次，研究事项 N 件，化解 N 件.
pub fn figures<'m>(meetings: impl Iterator<Item = &'m Meeting>) -> jm::MeetingFigures {
    let (mut held, mut studied, mut resolved) = (0, 0, 0);
    for m in meetings {
        let (s, r) = m.counts();
        held += 1;
        studied += s as i64;
        resolved += r as i64;
    }
    jm::MeetingFigures {
        meetings: held,
        items_studied: studied,
        items_resolved: resolved,
        resolution_rate: (studied > 0).then(|| resolved as f64 / studied as f64),
    }
}
