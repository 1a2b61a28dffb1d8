//! Parsing the wire's requests into the case's commands: each field checked and named when
//! wrong, before anything is loaded.

use chrono::NaiveDate;
use xinfang_domain::Refusal;
use xinfang_domain::case::CaseCommand;
use xinfang_domain::field::Fields;
use xinfang_domain::region::RegionCode;
use xinfang_proto::convert::{
    opinion_from_wire, pause_kind_from_wire, route_from_wire, suggestion_from_wire,
};
use xinfang_proto::xinfang::dispatch::v1::*;
use xinfang_proto::xinfang::petition::v1 as pb;

/// A request for one case: which, and what to do with it.
pub type Parsed = (String, CaseCommand);

pub fn required(field: &str, value: &str) -> Result<String, Refusal> {
    match value.trim() {
        "" => Err(Refusal::field(field, "required")),
        v => Ok(v.to_owned()),
    }
}

pub fn date(field: &str, value: &str) -> Result<NaiveDate, Refusal> {
    Ok(xinfang_domain::field::day(field, value)?)
}

fn petition(r: &str) -> Result<String, Refusal> {
    required("petition_id", r)
}

pub fn forward(r: &ForwardRequest) -> Result<Parsed, Refusal> {
    let mut f = Fields::new();
    let id = f.take(petition(&r.petition_id));
    let organ = f.take(required("organ_code", &r.organ_code));
    f.finish(|| {
        Some((
            id?,
            CaseCommand::Forward {
                organ: organ?,
                note: r.note.trim().to_owned(),
            },
        ))
    })
}

pub fn assign(r: &AssignRequest) -> Result<Parsed, Refusal> {
    let mut f = Fields::new();
    let id = f.take(petition(&r.petition_id));
    let organ = f.take(required("organ_code", &r.organ_code));
    let report_back = f.take(date("report_back_date", &r.report_back_date));
    f.finish(|| {
        Some((
            id?,
            CaseCommand::Assign {
                organ: organ?,
                report_back: report_back?,
                note: r.note.trim().to_owned(),
            },
        ))
    })
}

pub fn redirect(r: &RedirectRequest) -> Result<Parsed, Refusal> {
    let mut f = Fields::new();
    let id = f.take(petition(&r.petition_id));
    let route = f.take(
        pb::StatutoryRoute::try_from(r.route)
            .ok()
            .and_then(route_from_wire)
            .ok_or_else(|| {
                Refusal::field(
                    "route",
                    "name the statutory route: court, arbitration, reconsideration, police or discipline",
                )
            }),
    );
    let notice = f.take(required("notice_text", &r.notice_text));
    f.finish(|| {
        Some((
            id?,
            CaseCommand::Redirect {
                route: route?,
                notice: notice?,
            },
        ))
    })
}

pub fn not_accept(r: &NotAcceptRequest) -> Result<Parsed, Refusal> {
    let mut f = Fields::new();
    let id = f.take(petition(&r.petition_id));
    let reason = f.take(required("reason", &r.reason));
    f.finish(|| Some((id?, CaseCommand::NotAccept { reason: reason? })))
}

pub fn escalate(r: &EscalateRequest) -> Result<Parsed, Refusal> {
    let mut f = Fields::new();
    let id = f.take(petition(&r.petition_id));
    let reason = f.take(required("reason", &r.reason));
    f.finish(|| Some((id?, CaseCommand::Escalate { reason: reason? })))
}

pub fn accept(r: &AcceptRequest) -> Result<Parsed, Refusal> {
    let mut f = Fields::new();
    let id = f.take(petition(&r.petition_id));
    let notice = f.take(required("notice_text", &r.notice_text));
    f.finish(|| Some((id?, CaseCommand::Accept { notice: notice? })))
}

pub fn object(r: &ObjectRequest) -> Result<Parsed, Refusal> {
    let mut f = Fields::new();
    let id = f.take(petition(&r.petition_id));
    let reason = f.take(required("reason", &r.reason));
    f.finish(|| {
        Some((
            id?,
            CaseCommand::Object {
                reason: reason?,
                jurisdiction_dispute: r.jurisdiction_dispute,
            },
        ))
    })
}

pub fn assign_handler(r: &AssignHandlerRequest) -> Result<Parsed, Refusal> {
    let mut f = Fields::new();
    let id = f.take(petition(&r.petition_id));
    let handler = f.take(required("handler_user_id", &r.handler_user_id));
    f.finish(|| Some((id?, CaseCommand::AssignHandler { handler: handler? })))
}

pub fn add_progress_note(r: &AddProgressNoteRequest) -> Result<Parsed, Refusal> {
    let mut f = Fields::new();
    let id = f.take(petition(&r.petition_id));
    let text = f.take(required("text", &r.text));
    f.finish(|| Some((id?, CaseCommand::NoteProgress { text: text? })))
}

pub fn request_extension(r: &RequestExtensionRequest) -> Result<Parsed, Refusal> {
    let mut f = Fields::new();
    let id = f.take(petition(&r.petition_id));
    let reason = f.take(required("reason", &r.reason));
    f.finish(|| {
        Some((
            id?,
            CaseCommand::RequestExtension {
                // Below one day the domain refuses it with the cap.
                days: u32::try_from(r.days).unwrap_or(0),
                reason: reason?,
            },
        ))
    })
}

pub fn decide_extension(r: &DecideExtensionRequest) -> Result<Parsed, Refusal> {
    let id = petition(&r.petition_id)?;
    Ok((
        id,
        CaseCommand::DecideExtension {
            approved: r.approved,
            reason: r.reason.trim().to_owned(),
        },
    ))
}

pub fn answer(r: &AnswerRequest) -> Result<Parsed, Refusal> {
    let mut f = Fields::new();
    let id = f.take(petition(&r.petition_id));
    let opinion = f.take(
        pb::HandlingOpinion::try_from(r.opinion)
            .ok()
            .and_then(opinion_from_wire)
            .ok_or_else(|| {
                Refusal::field(
                    "opinion",
                    "支持 (SUPPORT), 解释说明 (EXPLAIN) or 不予支持 (NOT_SUPPORT)",
                )
            }),
    );
    let text = f.take(required("text", &r.text));
    f.finish(|| {
        Some((
            id?,
            CaseCommand::Answer {
                opinion: opinion?,
                text: text?,
            },
        ))
    })
}

pub fn completion_report(r: &SubmitCompletionReportRequest) -> Result<Parsed, Refusal> {
    let mut f = Fields::new();
    let id = f.take(petition(&r.petition_id));
    let text = f.take(required("text", &r.text));
    f.finish(|| Some((id?, CaseCommand::ReportCompletion { text: text? })))
}

pub fn start_pause(r: &StartPauseRequest) -> Result<Parsed, Refusal> {
    let mut f = Fields::new();
    let id = f.take(petition(&r.petition_id));
    let kind = f.take(
        PauseKind::try_from(r.kind)
            .ok()
            .and_then(pause_kind_from_wire)
            .ok_or_else(|| {
                Refusal::field(
                    "kind",
                    "听证 (HEARING), 鉴定 (APPRAISAL) or 核查 (INSPECTION)",
                )
            }),
    );
    let reason = f.take(required("reason", &r.reason));
    let start = f.take(date("start_date", &r.start_date));
    f.finish(|| {
        Some((
            id?,
            CaseCommand::StartPause {
                kind: kind?,
                reason: reason?,
                start: start?,
            },
        ))
    })
}

pub fn end_pause(r: &EndPauseRequest) -> Result<Parsed, Refusal> {
    let mut f = Fields::new();
    let id = f.take(petition(&r.petition_id));
    let end = f.take(date("end_date", &r.end_date));
    f.finish(|| Some((id?, CaseCommand::EndPause { end: end? })))
}

pub fn transfer(r: &TransferRequest) -> Result<Parsed, Refusal> {
    let mut f = Fields::new();
    let id = f.take(petition(&r.petition_id));
    let organ = f.take(required("organ_code", &r.organ_code));
    let reason = f.take(required("reason", &r.reason));
    f.finish(|| {
        Some((
            id?,
            CaseCommand::Transfer {
                organ: organ?,
                reason: reason?,
            },
        ))
    })
}

pub fn mark_foreign(r: &MarkForeignRequest) -> Result<Parsed, Refusal> {
    let mut f = Fields::new();
    let id = f.take(petition(&r.petition_id));
    let node_region = f.take(
        RegionCode::parse(&r.node_region_code).map_err(|e| Refusal::field("node_region_code", e)),
    );
    let reason = f.take(required("reason", &r.reason));
    f.finish(|| {
        Some((
            id?,
            CaseCommand::MarkForeign {
                node_region: node_region?,
                reason: reason?,
            },
        ))
    })
}

pub fn decide_suggestion(r: &DecideSuggestionRequest) -> Result<Parsed, Refusal> {
    let mut f = Fields::new();
    let id = f.take(petition(&r.petition_id));
    let decision = f.take(
        SuggestionDecision::try_from(r.decision)
            .ok()
            .and_then(suggestion_from_wire)
            .ok_or_else(|| Refusal::field("decision", "采纳, 部分采纳 or 不予采纳")),
    );
    let reply = f.take(required("reply", &r.reply));
    f.finish(|| {
        Some((
            id?,
            CaseCommand::DecideSuggestion {
                decision: decision?,
                reply: reply?,
                reward: r.reward.trim().to_owned(),
            },
        ))
    })
}
