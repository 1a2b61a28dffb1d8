//! 分流 (15 days): forward (转送), assign (交办), redirect to a statutory route, not accept,
//! escalate; and moving an item between organs or to another node.

use super::*;
use crate::context::Context;
use xinfang_domain::reference::UnitKind;
use xinfang_proto::xinfang::dispatch::v1::*;
use xinfang_proto::xinfang::events::v1 as ev;
use xinfang_proto::xinfang::petition::v1 as pb;

/// Forward (转送) and assign (交办) share everything but the report-back date.
pub(super) fn route(
    case: &mut case::Model,
    ctx: &Context<'_>,
    organ_code: &str,
    action: Action,
    report_back: Option<NaiveDate>,
    note: String,
) -> Result<Step, DispatchError> {
    ctx.ensure_triage(case)?;
    let organ = ctx.unit(&required("organ_code", organ_code)?)?.clone();
    if organ.kind == UnitKind::PetitionOffice {
        return Err(DispatchError::field(
            "organ_code",
            format!(
                "{} is a petition office; items are routed to the organ competent to handle them",
                organ.code
            ),
        ));
    }
    let next = transition(case, action)?;
    let acceptance = ctx.deadline("acceptance", ctx.today, 0)?;
    case.responsible_organ = Some(organ.code.clone());
    case.responsible_region = Some(organ.region.to_string());
    case.routed_on = Some(ctx.today.to_string());
    case.report_back_date = report_back.map(|d| d.to_string());
    set_deadline(case, Some(&acceptance))?;
    let (name, title) = if action == Action::Assign {
        ("assign", "交办")
    } else {
        ("forward", "转送")
    };
    let mut step = Step::new(name, &case.triage_unit);
    step.destination = organ.code.clone();
    step.text = format!("{title}至{}", organ.name);
    step.reason = note.clone();
    step.public = true;
    step.deadlines = vec![acceptance.clone()];
    step.event = Some(Payload::CaseTriaged(ev::CaseTriaged {
        state: pb::PetitionState::from(next) as i32,
        organ_code: organ.code,
        route: 0,
        reason: note,
        report_back_date: case.report_back_date.clone().unwrap_or_default(),
        acceptance_deadline: Some((&acceptance).into()),
    }));
    Ok(step)
}

pub fn forward(
    case: &mut case::Model,
    ctx: &Context<'_>,
    r: ForwardRequest,
) -> Result<Step, DispatchError> {
    route(case, ctx, &r.organ_code, Action::Forward, None, r.note)
}

pub fn assign(
    case: &mut case::Model,
    ctx: &Context<'_>,
    r: AssignRequest,
) -> Result<Step, DispatchError> {
    let report_back = parse_date("report_back_date", &r.report_back_date)?;
    if report_back <= ctx.today {
        return Err(DispatchError::field(
            "report_back_date",
            "must be after today",
        ));
    }
    route(
        case,
        ctx,
        &r.organ_code,
        Action::Assign,
        Some(report_back),
        r.note,
    )
}

pub fn redirect(
    case: &mut case::Model,
    ctx: &Context<'_>,
    r: RedirectRequest,
) -> Result<Step, DispatchError> {
    ctx.ensure_triage(case)?;
    let route = pb::StatutoryRoute::try_from(r.route)
    .ok()
    .filter(|x| *x != pb::StatutoryRoute::Unspecified)
    .ok_or_else(|| DispatchError::field("route", "name the statutory route: court, arbitration, reconsideration, police or discipline"))?;
    let notice = required("notice_text", &r.notice_text)?;
    transition(case, Action::Redirect)?;
    set_deadline(case, None)?;
    let mut step = Step::new("redirect", &case.triage_unit);
    step.destination = route.as_str_name().to_owned();
    step.text = notice.clone();
    step.public = true;
    step.event = Some(Payload::CaseTriaged(ev::CaseTriaged {
        state: pb::PetitionState::Redirected as i32,
        organ_code: String::new(),
        route: route as i32,
        reason: notice,
        report_back_date: String::new(),
        acceptance_deadline: None,
    }));
    Ok(step)
}

pub fn not_accept(
    case: &mut case::Model,
    ctx: &Context<'_>,
    r: NotAcceptRequest,
) -> Result<Step, DispatchError> {
    ctx.ensure_triage(case)?;
    let reason = required("reason", &r.reason)?;
    transition(case, Action::NotAccept)?;
    set_deadline(case, None)?;
    let mut step = Step::new("not_accept", &case.triage_unit);
    step.reason = reason.clone();
    step.text = format!("不予受理：{reason}");
    step.public = true;
    step.event = Some(Payload::CaseTriaged(ev::CaseTriaged {
        state: pb::PetitionState::NotAccepted as i32,
        reason,
        ..Default::default()
    }));
    Ok(step)
}

pub fn escalate(
    case: &mut case::Model,
    ctx: &Context<'_>,
    r: EscalateRequest,
) -> Result<Step, DispatchError> {
    ctx.ensure_triage(case)?;
    let reason = required("reason", &r.reason)?;
    if state_of(case)? != State::Registered {
        return Err(DispatchError::Precondition(
            "only an item waiting for triage is escalated".into(),
        ));
    }
    let mut step = Step::new("escalate", &case.triage_unit);
    step.reason = reason.clone();
    // Inside the node the level above triages it now; from the top it goes to the province.
    let upper = ctx
        .reference
        .org
        .chain(&case.triage_unit)
        .into_iter()
        .skip(1)
        .find(|u| u.kind == UnitKind::PetitionOffice)
        .map(|u| u.code.clone());
    let state = match upper {
        Some(upper) => {
            step.destination = upper.clone();
            case.triage_unit = upper;
            pb::PetitionState::Registered
        }
        None => {
            transition(case, Action::Escalate)?;
            set_deadline(case, None)?;
            step.destination = "province".into();
            pb::PetitionState::Escalated
        }
    };
    step.text = format!("重大紧急事项，上报{}", step.destination);
    step.event = Some(Payload::CaseTriaged(ev::CaseTriaged {
        state: state as i32,
        organ_code: step.destination.clone(),
        reason,
        ..Default::default()
    }));
    Ok(step)
}

pub fn transfer(
    case: &mut case::Model,
    ctx: &Context<'_>,
    r: TransferRequest,
) -> Result<Step, DispatchError> {
    let from = case.responsible_organ.clone().unwrap_or_default();
    if ctx.ensure_organ(case).is_err() {
        ctx.ensure_triage(case)?;
    }
    if !matches!(
        state_of(case)?,
        State::Forwarded | State::Assigned | State::Accepted
    ) {
        return Err(DispatchError::Precondition(
            "only a routed item is transferred between organs".into(),
        ));
    }
    let reason = required("reason", &r.reason)?;
    let to = ctx.unit(&required("organ_code", &r.organ_code)?)?.clone();
    case.responsible_organ = Some(to.code.clone());
    case.responsible_region = Some(to.region.to_string());
    let mut step = Step::new("transfer", &from);
    step.destination = to.code.clone();
    step.reason = reason.clone();
    step.text = format!("转办至{}", to.name);
    step.public = true;
    step.event = Some(Payload::CaseTransferred(ev::CaseTransferred {
        from_organ_code: from,
        to_organ_code: to.code,
        to_node_region_code: String::new(),
        reason,
    }));
    Ok(step)
}

pub fn mark_foreign(
    case: &mut case::Model,
    ctx: &Context<'_>,
    r: MarkForeignRequest,
) -> Result<Step, DispatchError> {
    ctx.ensure_triage(case)?;
    let reason = required("reason", &r.reason)?;
    let target = xinfang_domain::region::RegionCode::parse(&r.node_region_code)
        .map_err(|e| DispatchError::field("node_region_code", e))?;
    if target.as_str() == ctx.node {
        return Err(DispatchError::field(
            "node_region_code",
            "that is this node",
        ));
    }
    transition(case, Action::TransferOut)?;
    set_deadline(case, None)?;
    let mut step = Step::new("transfer_out", &case.triage_unit);
    step.destination = target.to_string();
    step.reason = reason.clone();
    step.text = format!("属{target}管辖，经省平台转出");
    step.public = true;
    step.event = Some(Payload::CaseTransferred(ev::CaseTransferred {
        from_organ_code: case.triage_unit.clone(),
        to_organ_code: String::new(),
        to_node_region_code: target.to_string(),
        reason,
    }));
    Ok(step)
}
