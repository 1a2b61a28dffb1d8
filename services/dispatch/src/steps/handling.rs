//! 办理 (60 days, one extension ≤ 30 days): handler, progress, extension, the answer (处理意见),
//! the completion report of 交办 items, and the decision on people's suggestions.

use super::*;
use crate::context::Context;
use xinfang_domain::clock::Extension;
use xinfang_proto::xinfang::dispatch::v1::*;
use xinfang_proto::xinfang::events::v1 as ev;
use xinfang_proto::xinfang::petition::v1 as pb;

pub fn assign_handler(
    case: &mut case::Model,
    ctx: &Context<'_>,
    r: AssignHandlerRequest,
) -> Result<Step, DispatchError> {
    ctx.ensure_organ(case)?;
    let handler = required("handler_user_id", &r.handler_user_id)?;
    if state_of(case)? != State::Accepted {
        return Err(DispatchError::Precondition(
            "a handler is assigned after acceptance".into(),
        ));
    }
    case.handler_user_id = Some(handler.clone());
    let mut step = Step::new("assign_handler", &ctx.caller.org_unit);
    step.destination = handler.clone();
    step.event = Some(Payload::HandlerAssigned(ev::HandlerAssigned {
        handler_user_id: handler,
    }));
    Ok(step)
}

pub fn add_progress_note(
    case: &mut case::Model,
    ctx: &Context<'_>,
    r: AddProgressNoteRequest,
) -> Result<Step, DispatchError> {
    ctx.ensure_organ(case)?;
    let text = required("text", &r.text)?;
    if state_of(case)? != State::Accepted {
        return Err(DispatchError::Precondition(
            "progress is noted while the item is being handled".into(),
        ));
    }
    let mut step = Step::new("progress", &ctx.caller.org_unit);
    step.text = text.clone();
    step.event = Some(Payload::ProgressNoted(ev::ProgressNoted { text }));
    Ok(step)
}

pub fn request_extension(
    case: &mut case::Model,
    ctx: &Context<'_>,
    r: RequestExtensionRequest,
) -> Result<Step, DispatchError> {
    ctx.ensure_organ(case)?;
    let reason = required("reason", &r.reason)?;
    if state_of(case)? != State::Accepted {
        return Err(DispatchError::Precondition(
            "an extension is requested while the item is being handled".into(),
        ));
    }
    if case.extension_requested.is_some() {
        return Err(DispatchError::Precondition(
            "an extension request is already waiting for approval".into(),
        ));
    }
    let days = u32::try_from(r.days).unwrap_or(0);
    Extension {
        cap_days: ctx.limits.extension_cap_days,
    }
    .check(case.extension_days > 0, days)
    .map_err(|e| match e {
        xinfang_domain::clock::ExtensionError::AlreadyGranted => {
            DispatchError::Precondition(e.to_string())
        }
        other => DispatchError::field("days", other.to_string()),
    })?;
    case.extension_requested = Some(days as i32);
    case.extension_reason = Some(reason.clone());
    let mut step = Step::new("request_extension", &ctx.caller.org_unit);
    step.reason = reason.clone();
    step.text = format!("申请延期{days}日");
    step.event = Some(Payload::ExtensionRequested(ev::ExtensionRequested {
        days: days as i32,
        reason,
    }));
    Ok(step)
}

pub fn decide_extension(
    case: &mut case::Model,
    ctx: &Context<'_>,
    r: DecideExtensionRequest,
) -> Result<Step, DispatchError> {
    ctx.ensure_approver(case)?;
    let days = case
        .extension_requested
        .ok_or_else(|| DispatchError::Precondition("no extension request is waiting".into()))?;
    let reason = case.extension_reason.clone().unwrap_or_default();
    case.extension_requested = None;
    let organ = case.responsible_organ.clone().unwrap_or_default();
    let mut step = Step::new("decide_extension", &organ);
    step.reason = r.reason.clone();
    let deadline = if r.approved {
        let current = current_deadline(case)
            .ok_or_else(|| DispatchError::Internal("an accepted case without a deadline".into()))?;
        let extended = ctx.deadline("handling", current.trigger, days as u32)?;
        case.extension_days = days;
        set_deadline(case, Some(&extended))?;
        step.text = format!("延期{days}日，理由：{reason}；办理期限至 {}", extended.due);
        step.public = true;
        step.deadlines = vec![extended.clone()];
        Some(extended)
    } else {
        step.text = format!("不同意延期：{}", r.reason);
        None
    };
    step.event = Some(Payload::ExtensionDecided(ev::ExtensionDecided {
        approved: r.approved,
        reason: if r.approved { reason } else { r.reason },
        handling_deadline: deadline.as_ref().map(Into::into),
    }));
    Ok(step)
}

pub fn answer(
    case: &mut case::Model,
    ctx: &Context<'_>,
    r: AnswerRequest,
) -> Result<Step, DispatchError> {
    let opinion = pb::HandlingOpinion::try_from(r.opinion)
        .ok()
        .filter(|o| *o != pb::HandlingOpinion::Unspecified)
        .ok_or_else(|| {
            DispatchError::field(
                "opinion",
                "支持 (SUPPORT), 解释说明 (EXPLAIN) or 不予支持 (NOT_SUPPORT)",
            )
        })?;
    let text = required("text", &r.text)?;
    // The lifecycle speaks first: answering before acceptance is refused as such.
    state_of(case)?.apply(Action::Answer)?;
    ctx.ensure_organ(case)?;
    let due = current_deadline(case).map(|d| d.due);
    transition(case, Action::Answer)?;
    let review_window = ctx.deadline("review_window", ctx.today, 0)?;
    set_deadline(case, Some(&review_window))?;
    case.opinion = Some(opinion.as_str_name().to_owned());
    let organ = case.responsible_organ.clone().unwrap_or_default();
    let mut step = Step::new("answer", &organ);
    step.text = text.clone();
    step.public = true;
    step.deadlines = vec![review_window.clone()];
    step.event = Some(Payload::CaseAnswered(ev::CaseAnswered {
        organ_code: organ,
        opinion: opinion as i32,
        text,
        on_time: due.is_none_or(|d| ctx.today <= d),
        answered_date: ctx.today.to_string(),
        review_window: Some((&review_window).into()),
    }));
    Ok(step)
}

pub fn completion_report(
    case: &mut case::Model,
    ctx: &Context<'_>,
    r: SubmitCompletionReportRequest,
) -> Result<Step, DispatchError> {
    ctx.ensure_organ(case)?;
    let text = required("text", &r.text)?;
    if case.report_back_date.is_none() {
        return Err(DispatchError::Precondition(
            "a completion report is due for assigned (交办) items only".into(),
        ));
    }
    if state_of(case)? != State::Answered {
        return Err(DispatchError::Precondition(
            "the completion report follows the answer".into(),
        ));
    }
    let mut step = Step::new("completion_report", &ctx.caller.org_unit);
    step.destination = case.triage_unit.clone();
    step.text = text.clone();
    step.event = Some(Payload::CompletionReported(ev::CompletionReported { text }));
    Ok(step)
}

pub fn decide_suggestion(
    case: &mut case::Model,
    ctx: &Context<'_>,
    r: DecideSuggestionRequest,
) -> Result<Step, DispatchError> {
    if case.kind != pb::ItemKind::Suggestion.as_str_name() {
        return Err(DispatchError::Precondition(
            "this item is a petition, not a people's suggestion (人民建议)".into(),
        ));
    }
    let decision = SuggestionDecision::try_from(r.decision)
        .ok()
        .filter(|d| *d != SuggestionDecision::Unspecified)
        .ok_or_else(|| DispatchError::field("decision", "采纳, 部分采纳 or 不予采纳"))?;
    let reply = required("reply", &r.reply)?;
    state_of(case)?.apply(Action::Answer)?;
    ctx.ensure_organ(case)?;
    transition(case, Action::Answer)?;
    set_deadline(case, None)?;
    case.opinion = Some(decision.as_str_name().to_owned());
    let mut step = Step::new("decide_suggestion", &ctx.caller.org_unit);
    step.text = if r.reward.is_empty() {
        reply.clone()
    } else {
        format!("{reply}（奖励：{}）", r.reward)
    };
    step.public = true;
    step.event = Some(Payload::SuggestionDecided(ev::SuggestionDecided {
        decision: decision as i32,
        reply,
    }));
    Ok(step)
}
