//! 受理 (15 days) or 异议: the receiving organ accepts, telling the petitioner, or objects to
//! the misrouting within 5 working days.

use super::*;
use crate::context::Context;
use xinfang_proto::xinfang::dispatch::v1::*;
use xinfang_proto::xinfang::events::v1 as ev;

pub fn accept(
    case: &mut case::Model,
    ctx: &Context<'_>,
    r: AcceptRequest,
) -> Result<Step, DispatchError> {
    ctx.ensure_organ(case)?;
    let notice = required("notice_text", &r.notice_text)?;
    let acceptance_due = current_deadline(case).map(|d| d.due);
    transition(case, Action::Accept)?;
    let handling = ctx.deadline("handling", ctx.today, 0)?;
    set_deadline(case, Some(&handling))?;
    let organ = case.responsible_organ.clone().unwrap_or_default();
    let mut step = Step::new("accept", &organ);
    step.text = notice.clone();
    step.public = true;
    step.deadlines = vec![handling.clone()];
    step.event = Some(Payload::CaseAccepted(ev::CaseAccepted {
        organ_code: organ,
        notice_text: notice,
        handling_deadline: Some((&handling).into()),
        within_limit: acceptance_due.is_none_or(|due| ctx.today <= due),
    }));
    Ok(step)
}

pub fn object(
    case: &mut case::Model,
    ctx: &Context<'_>,
    r: ObjectRequest,
) -> Result<Step, DispatchError> {
    ctx.ensure_organ(case)?;
    let reason = required("reason", &r.reason)?;
    let routed_on = case
        .routed_on
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| {
            DispatchError::Precondition("the item was not routed to this organ".into())
        })?;
    let window = ctx.deadline("objection", routed_on, 0)?;
    if ctx.today > window.due {
        return Err(DispatchError::Precondition(format!(
            "the objection window closed on {} ({})",
            window.due, window.explanation
        )));
    }
    let organ = case.responsible_organ.clone().unwrap_or_default();
    transition(case, Action::Object)?;
    if r.jurisdiction_dispute {
        // Art. 24: a dispute between organs goes to their common superior.
        if let Some(superior) = ctx.reference.org.common_superior(&case.triage_unit, &organ) {
            case.triage_unit = superior.code.clone();
        }
    }
    let triage = ctx.deadline("triage", ctx.today, 0)?;
    set_deadline(case, Some(&triage))?;
    case.responsible_organ = None;
    case.responsible_region = None;
    case.routed_on = None;
    case.report_back_date = None;
    let mut step = Step::new("object", &organ);
    step.destination = case.triage_unit.clone();
    step.reason = reason.clone();
    step.text = format!("异议退回：{reason}");
    step.event = Some(Payload::CaseObjected(ev::CaseObjected {
        organ_code: organ,
        reason,
        jurisdiction_dispute: r.jurisdiction_dispute,
        triage_unit: case.triage_unit.clone(),
        triage_deadline: Some((&triage).into()),
    }));
    step.deadlines = vec![triage];
    Ok(step)
}
