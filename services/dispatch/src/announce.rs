//! What each event of a case says, in one place: the event on `xinfang.dispatch.events`, and the
//! step row of the case's timeline (who, which organ, the text, the deadlines it set, whether the
//! petitioner sees it).

use crate::entity::step;
use crate::repository::new_step;
use xinfang_domain::case::{Case, CaseEvent, Routing};
use xinfang_domain::clock::Deadline;
use xinfang_events::Payload;
use xinfang_proto::xinfang::dispatch::v1 as dp;
use xinfang_proto::xinfang::events::v1 as ev;
use xinfang_proto::xinfang::petition::v1 as pb;
use xinfang_store::Meta;

/// The step's name in the timeline and the audit log.
pub fn action(event: &CaseEvent) -> &'static str {
    match event {
        CaseEvent::Opened { .. } => "opened",
        CaseEvent::Routed {
            how: Routing::Forward,
            ..
        } => "forward",
        CaseEvent::Routed {
            how: Routing::Assign,
            ..
        } => "assign",
        CaseEvent::Redirected { .. } => "redirect",
        CaseEvent::NotAccepted { .. } => "not_accept",
        CaseEvent::EscalatedWithin { .. } | CaseEvent::EscalatedOut { .. } => "escalate",
        CaseEvent::Accepted { .. } => "accept",
        CaseEvent::Objected { .. } => "object",
        CaseEvent::HandlerAssigned { .. } => "assign_handler",
        CaseEvent::ProgressNoted { .. } => "progress",
        CaseEvent::ExtensionRequested { .. } => "request_extension",
        CaseEvent::ExtensionDecided { .. } => "decide_extension",
        CaseEvent::Answered { .. } => "answer",
        CaseEvent::CompletionReported { .. } => "completion_report",
        CaseEvent::Transferred { .. } => "transfer",
        CaseEvent::TransferredOut { .. } => "transfer_out",
        CaseEvent::SuggestionDecided { .. } => "decide_suggestion",
        CaseEvent::PauseStarted { .. } => "pause",
        CaseEvent::PauseEnded { .. } => "resume",
        CaseEvent::DeadlineRecomputed { .. } => "recompute_deadline",
    }
}

fn wire(deadline: &Deadline) -> Option<pb::Deadline> {
    Some(deadline.into())
}

/// The event announcing `event` to the services that follow dispatch.
pub fn payload(event: &CaseEvent) -> Payload {
    match event.clone() {
        CaseEvent::Opened {
            opening, triage, ..
        } => Payload::CaseOpened(ev::CaseOpened {
            organ_code: opening.registering_unit,
            triage_deadline: wire(&triage),
        }),
        CaseEvent::Routed {
            how,
            organ,
            report_back,
            note,
            acceptance,
            ..
        } => Payload::CaseTriaged(ev::CaseTriaged {
            state: match how {
                Routing::Forward => pb::PetitionState::Forwarded,
                Routing::Assign => pb::PetitionState::Assigned,
            } as i32,
            organ_code: organ,
            route: 0,
            reason: note,
            report_back_date: report_back.map(|d| d.to_string()).unwrap_or_default(),
            acceptance_deadline: wire(&acceptance),
        }),
        CaseEvent::Redirected { route, notice } => Payload::CaseTriaged(ev::CaseTriaged {
            state: pb::PetitionState::Redirected as i32,
            route: pb::StatutoryRoute::from(route) as i32,
            reason: notice,
            ..Default::default()
        }),
        CaseEvent::NotAccepted { reason } => Payload::CaseTriaged(ev::CaseTriaged {
            state: pb::PetitionState::NotAccepted as i32,
            reason,
            ..Default::default()
        }),
        CaseEvent::EscalatedWithin { to_unit, reason } => Payload::CaseTriaged(ev::CaseTriaged {
            state: pb::PetitionState::Registered as i32,
            organ_code: to_unit,
            reason,
            ..Default::default()
        }),
        CaseEvent::EscalatedOut { reason } => Payload::CaseTriaged(ev::CaseTriaged {
            state: pb::PetitionState::Escalated as i32,
            organ_code: "province".into(),
            reason,
            ..Default::default()
        }),
        CaseEvent::Accepted {
            organ,
            notice,
            within_limit,
            handling,
        } => Payload::CaseAccepted(ev::CaseAccepted {
            organ_code: organ,
            notice_text: notice,
            handling_deadline: wire(&handling),
            within_limit,
        }),
        CaseEvent::Objected {
            organ,
            reason,
            jurisdiction_dispute,
            triage_unit,
            triage,
        } => Payload::CaseObjected(ev::CaseObjected {
            organ_code: organ,
            reason,
            jurisdiction_dispute,
            triage_unit,
            triage_deadline: wire(&triage),
        }),
        CaseEvent::HandlerAssigned { handler } => Payload::HandlerAssigned(ev::HandlerAssigned {
            handler_user_id: handler,
        }),
        CaseEvent::ProgressNoted { text } => Payload::ProgressNoted(ev::ProgressNoted { text }),
        CaseEvent::ExtensionRequested { days, reason } => {
            Payload::ExtensionRequested(ev::ExtensionRequested {
                days: days as i32,
                reason,
            })
        }
        CaseEvent::ExtensionDecided {
            approved,
            requested_for,
            note,
            handling,
            ..
        } => Payload::ExtensionDecided(ev::ExtensionDecided {
            approved,
            reason: if approved { requested_for } else { note },
            handling_deadline: handling.as_ref().and_then(wire),
        }),
        CaseEvent::Answered {
            organ,
            opinion,
            text,
            on_time,
            answered_on,
            review_window,
        } => Payload::CaseAnswered(ev::CaseAnswered {
            organ_code: organ,
            opinion: pb::HandlingOpinion::from(opinion) as i32,
            text,
            on_time,
            answered_date: answered_on.to_string(),
            review_window: wire(&review_window),
        }),
        CaseEvent::CompletionReported { text, .. } => {
            Payload::CompletionReported(ev::CompletionReported { text })
        }
        CaseEvent::Transferred {
            from, to, reason, ..
        } => Payload::CaseTransferred(ev::CaseTransferred {
            from_organ_code: from,
            to_organ_code: to,
            to_node_region_code: String::new(),
            reason,
        }),
        CaseEvent::TransferredOut {
            from,
            to_node,
            reason,
        } => Payload::CaseTransferred(ev::CaseTransferred {
            from_organ_code: from,
            to_organ_code: String::new(),
            to_node_region_code: to_node,
            reason,
        }),
        CaseEvent::SuggestionDecided {
            decision, reply, ..
        } => Payload::SuggestionDecided(ev::SuggestionDecided {
            decision: dp::SuggestionDecision::from(decision) as i32,
            reply,
        }),
        CaseEvent::PauseStarted {
            kind,
            reason,
            start,
        } => Payload::ClockPaused(ev::ClockPaused {
            kind: kind.as_str().to_owned(),
            reason,
            start_date: start.to_string(),
        }),
        CaseEvent::PauseEnded { pause, deadline } => Payload::ClockResumed(ev::ClockResumed {
            deadline: wire(&deadline),
            pause: Some((&pause).into()),
        }),
        CaseEvent::DeadlineRecomputed { deadline } => Payload::ClockResumed(ev::ClockResumed {
            deadline: wire(&deadline),
            pause: None,
        }),
    }
}

/// The step row of `event`, seen from the case `before` it.
pub fn step(id: &str, before: Option<&Case>, event: &CaseEvent, meta: &Meta) -> step::Model {
    let mut row = new_step(id, action(event), meta);
    let triage_unit = before.map(|c| c.triage_unit.clone()).unwrap_or_default();
    let organ = before.and_then(|c| c.organ.clone()).unwrap_or_default();
    let mut deadlines: Vec<&Deadline> = Vec::new();
    match event {
        CaseEvent::Opened {
            opening, triage, ..
        } => {
            row.organ_code = opening.registering_unit.clone();
            row.actor_unit = opening.registering_unit.clone();
            row.text = "登记，进入分流".into();
            deadlines.push(triage);
        }
        CaseEvent::Routed {
            how,
            organ,
            organ_name,
            note,
            acceptance,
            ..
        } => {
            let title = match how {
                Routing::Forward => "转送",
                Routing::Assign => "交办",
            };
            row.organ_code = triage_unit;
            row.destination = organ.clone();
            row.text = format!("{title}至{organ_name}");
            row.reason = note.clone();
            row.public = true;
            deadlines.push(acceptance);
        }
        CaseEvent::Redirected { route, notice } => {
            row.organ_code = triage_unit;
            row.destination = pb::StatutoryRoute::from(*route).as_str_name().to_owned();
            row.text = notice.clone();
            row.public = true;
        }
        CaseEvent::NotAccepted { reason } => {
            row.organ_code = triage_unit;
            row.reason = reason.clone();
            row.text = format!("不予受理：{reason}");
            row.public = true;
        }
        CaseEvent::EscalatedWithin { to_unit, reason } => {
            row.organ_code = triage_unit;
            row.destination = to_unit.clone();
            row.reason = reason.clone();
            row.text = format!("重大紧急事项，上报{to_unit}");
        }
        CaseEvent::EscalatedOut { reason } => {
            row.organ_code = triage_unit;
            row.destination = "province".into();
            row.reason = reason.clone();
            row.text = "重大紧急事项，上报省级".into();
        }
        CaseEvent::Accepted {
            organ,
            notice,
            handling,
            ..
        } => {
            row.organ_code = organ.clone();
            row.text = notice.clone();
            row.public = true;
            deadlines.push(handling);
        }
        CaseEvent::Objected {
            organ,
            reason,
            triage_unit,
            triage,
            ..
        } => {
            row.organ_code = organ.clone();
            row.destination = triage_unit.clone();
            row.reason = reason.clone();
            row.text = format!("异议退回：{reason}");
            deadlines.push(triage);
        }
        CaseEvent::HandlerAssigned { handler } => {
            row.organ_code = meta.unit.clone();
            row.destination = handler.clone();
        }
        CaseEvent::ProgressNoted { text } => {
            row.organ_code = meta.unit.clone();
            row.text = text.clone();
        }
        CaseEvent::ExtensionRequested { days, reason } => {
            row.organ_code = meta.unit.clone();
            row.reason = reason.clone();
            row.text = format!("申请延期{days}日");
        }
        CaseEvent::ExtensionDecided {
            approved,
            days,
            requested_for,
            note,
            handling,
        } => {
            row.organ_code = organ;
            row.reason = note.clone();
            match handling {
                Some(handling) if *approved => {
                    row.text = format!(
                        "延期{days}日，理由：{requested_for}；办理期限至 {}",
                        handling.due
                    );
                    row.public = true;
                    deadlines.push(handling);
                }
                _ => row.text = format!("不同意延期：{note}"),
            }
        }
        CaseEvent::Answered {
            organ,
            text,
            review_window,
            ..
        } => {
            row.organ_code = organ.clone();
            row.text = text.clone();
            row.public = true;
            deadlines.push(review_window);
        }
        CaseEvent::CompletionReported { text, to_unit } => {
            row.organ_code = meta.unit.clone();
            row.destination = to_unit.clone();
            row.text = text.clone();
        }
        CaseEvent::Transferred {
            from,
            to,
            to_name,
            reason,
            ..
        } => {
            row.organ_code = from.clone();
            row.destination = to.clone();
            row.reason = reason.clone();
            row.text = format!("转办至{to_name}");
            row.public = true;
        }
        CaseEvent::TransferredOut {
            from,
            to_node,
            reason,
        } => {
            row.organ_code = from.clone();
            row.destination = to_node.clone();
            row.reason = reason.clone();
            row.text = format!("属{to_node}管辖，经省平台转出");
            row.public = true;
        }
        CaseEvent::SuggestionDecided { reply, reward, .. } => {
            row.organ_code = meta.unit.clone();
            row.text = if reward.is_empty() {
                reply.clone()
            } else {
                format!("{reply}（奖励：{reward}）")
            };
            row.public = true;
        }
        CaseEvent::PauseStarted {
            kind,
            reason,
            start,
        } => {
            row.organ_code = meta.unit.clone();
            row.reason = reason.clone();
            row.text = format!("{}，自 {start} 起暂停计时，期间不计入期限", kind.label());
            row.public = true;
        }
        CaseEvent::PauseEnded { pause, deadline } => {
            row.organ_code = meta.unit.clone();
            row.text = format!(
                "{}结束（{} 至 {}），期限顺延至 {}",
                pause.reason, pause.start, pause.end, deadline.due
            );
            row.public = true;
            deadlines.push(deadline);
        }
        CaseEvent::DeadlineRecomputed { deadline } => {
            row.organ_code = organ;
            row.text = format!("节假日安排更新，期限重算：{}", deadline.explanation);
            deadlines.push(deadline);
        }
    }
    row.deadlines = serde_json::to_string(&deadlines).unwrap_or_else(|_| "[]".into());
    row
}
