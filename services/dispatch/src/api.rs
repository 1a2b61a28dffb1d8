//! The `xinfang.dispatch.v1.DispatchService` gRPC API: triage, acceptance, handling, answers.
//! Every step checks the lifecycle and the caller's part, computes the resulting deadlines,
//! and writes the case, the step and its event in one transaction.

use crate::context::Context;
use crate::entity::{case, step};
use crate::error::DispatchError;
use crate::store::{ListFilter, Store};
use crate::wire;
use chrono::NaiveDate;
use tonic::{Request, Response, Status};
use xinfang_domain::clock::{Deadline, Extension};
use xinfang_domain::lifecycle::{Action, State};
use xinfang_domain::reference::UnitKind;
use xinfang_events::{EventDraft, Payload};
use xinfang_platform::auth::{Caller, caller};
use xinfang_platform::clock::NodeClock;
use xinfang_platform::config::LimitSettings;
use xinfang_platform::reference::ReferenceStore;
use xinfang_proto::convert::state_from_wire;
use xinfang_proto::xinfang::dispatch::v1::dispatch_service_server::DispatchService;
use xinfang_proto::xinfang::dispatch::v1::*;
use xinfang_proto::xinfang::events::v1 as ev;
use xinfang_proto::xinfang::petition::v1 as pb;

const DEFAULT_PAGE: u64 = 50;
const MAX_PAGE: u64 = 500;

#[derive(Clone)]
pub struct DispatchApi {
    pub store: Store,
    pub reference: ReferenceStore,
    pub limits: LimitSettings,
    pub clock: NodeClock,
    pub node: String,
}

/// What a step did: recorded as a step row and announced as an event.
struct Step {
    action: &'static str,
    organ: String,
    destination: String,
    reason: String,
    text: String,
    deadlines: Vec<Deadline>,
    public: bool,
    event: Option<Payload>,
}

impl Step {
    fn new(action: &'static str, organ: &str) -> Self {
        Self {
            action,
            organ: organ.to_owned(),
            destination: String::new(),
            reason: String::new(),
            text: String::new(),
            deadlines: Vec::new(),
            public: false,
            event: None,
        }
    }
}

fn state_of(case: &case::Model) -> Result<State, DispatchError> {
    State::parse(&case.state)
        .ok_or_else(|| DispatchError::Internal(format!("stored state {:?}", case.state)))
}

/// Moves the case along the lifecycle, or says why it cannot move.
fn transition(case: &mut case::Model, action: Action) -> Result<State, DispatchError> {
    let next = state_of(case)?.apply(action)?;
    case.state = next.as_str().to_owned();
    Ok(next)
}

fn set_deadline(case: &mut case::Model, deadline: Option<&Deadline>) -> Result<(), DispatchError> {
    case.deadline = deadline
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| DispatchError::Internal(e.to_string()))?;
    case.due_date = deadline.map(|d| d.due.to_string());
    Ok(())
}

fn current_deadline(case: &case::Model) -> Option<Deadline> {
    case.deadline
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
}

fn required(field: &str, value: &str) -> Result<String, DispatchError> {
    match value.trim() {
        "" => Err(DispatchError::field(field, "required")),
        v => Ok(v.to_owned()),
    }
}

fn parse_date(field: &str, value: &str) -> Result<NaiveDate, DispatchError> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| DispatchError::field(field, format!("{value:?} is not a date YYYY-MM-DD")))
}

impl DispatchApi {
    fn context(&self, caller: Caller) -> Context<'_> {
        let now = self.clock.now();
        Context {
            caller,
            now,
            today: self.clock.date_of(now),
            reference: self.reference.current(),
            limits: &self.limits,
        }
    }

    async fn load(
        &self,
        ctx: &Context<'_>,
        petition_id: &str,
    ) -> Result<case::Model, DispatchError> {
        let id = required("petition_id", petition_id)?;
        self.store
            .get(&id)
            .await?
            .filter(|c| ctx.can_see(c))
            .ok_or_else(|| DispatchError::NotFound(format!("no case {id} in your scope")))
    }

    /// Applies one step to a case: `decide` checks and changes the case and says what happened.
    async fn act<T>(
        &self,
        request: Request<T>,
        petition_id: impl Fn(&T) -> &str,
        decide: impl FnOnce(&mut case::Model, &Context<'_>, T) -> Result<Step, DispatchError>,
    ) -> Result<Response<Case>, Status> {
        let ctx = self.context(caller(&request)?);
        let message = request.into_inner();
        let case = self.load(&ctx, petition_id(&message)).await?;
        let seen = case.updated_at;
        let mut changed = case.clone();
        let step = decide(&mut changed, &ctx, message)?;
        changed.updated_at = ctx.now.max(seen + chrono::Duration::microseconds(1));
        let row = step::Model {
            id: 0,
            petition_id: changed.petition_id.clone(),
            action: step.action.to_owned(),
            actor: ctx.caller.user_id.clone(),
            actor_unit: ctx.caller.org_unit.clone(),
            organ_code: step.organ,
            destination: step.destination,
            reason: step.reason,
            text: step.text,
            occurred_at: ctx.now,
            deadlines: serde_json::to_string(&step.deadlines)
                .map_err(|e| DispatchError::Internal(e.to_string()))?,
            public: step.public,
        };
        let event = step.event.map(|payload| {
            EventDraft::new(&changed.petition_id, payload, ctx.now).by(Some(&ctx.caller))
        });
        self.store
            .commit(&self.node, seen, changed.clone(), row, event)
            .await?;
        tracing::info!(petition = %changed.petition_id, action = step.action, state = %changed.state, due = ?changed.due_date, "case step");
        let steps = self
            .store
            .steps(&changed.petition_id)
            .await
            .map_err(DispatchError::from)?;
        Ok(Response::new(wire::case_to_wire(&changed, &steps)))
    }

    /// Forward (转送) and assign (交办) share everything but the report-back date.
    fn route(
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
}

#[tonic::async_trait]
impl DispatchService for DispatchApi {
    async fn list_cases(
        &self,
        request: Request<ListCasesRequest>,
    ) -> Result<Response<ListCasesResponse>, Status> {
        let ctx = self.context(caller(&request)?);
        let r = request.into_inner();
        let org = &ctx.reference.org;
        let own = org.unit(&ctx.caller.org_unit).ok_or_else(|| {
            DispatchError::PermissionDenied(format!(
                "unit {} is not in this node",
                ctx.caller.org_unit
            ))
        })?;
        let units: Vec<String> = org
            .units()
            .filter(|u| ctx.caller_covers(&u.code))
            .map(|u| u.code.clone())
            .collect();
        let mut states = Vec::new();
        for (i, s) in r.states.iter().enumerate() {
            let state = pb::PetitionState::try_from(*s)
                .ok()
                .and_then(state_from_wire)
                .ok_or_else(|| {
                    DispatchError::field(&format!("states[{i}]"), format!("unknown state {s}"))
                })?;
            states.push(state.as_str().to_owned());
        }
        let due_before = match r.due_before.trim() {
            "" => None,
            d => Some(parse_date("due_before", d)?.to_string()),
        };
        if r.page_size < 0 {
            return Err(DispatchError::field("page_size", "must not be negative").into());
        }
        let page = if r.page_size == 0 {
            DEFAULT_PAGE
        } else {
            (r.page_size as u64).min(MAX_PAGE)
        };
        let filter = ListFilter {
            units,
            region_prefix: (own.kind == UnitKind::PetitionOffice)
                .then(|| own.region.scope_prefix().to_owned()),
            states,
            organ_code: Some(r.organ_code).filter(|o| !o.is_empty()),
            handler_user_id: Some(r.handler_user_id).filter(|h| !h.is_empty()),
            due_before,
            overdue_on: r.overdue_only.then(|| ctx.today.to_string()),
            after: Some(r.page_token).filter(|t| !t.is_empty()),
            limit: page + 1,
        };
        let mut rows = self
            .store
            .list(&filter)
            .await
            .map_err(DispatchError::from)?;
        let more = rows.len() as u64 > page;
        rows.truncate(page as usize);
        let next_page_token = if more {
            rows.last()
                .map(|c| c.petition_id.clone())
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(ListCasesResponse {
            cases: rows.iter().map(|c| wire::case_to_wire(c, &[])).collect(),
            next_page_token,
        }))
    }

    async fn get_case(&self, request: Request<GetCaseRequest>) -> Result<Response<Case>, Status> {
        let ctx = self.context(caller(&request)?);
        let case = self.load(&ctx, &request.get_ref().petition_id).await?;
        let steps = self
            .store
            .steps(&case.petition_id)
            .await
            .map_err(DispatchError::from)?;
        Ok(Response::new(wire::case_to_wire(&case, &steps)))
    }

    async fn propose_route(
        &self,
        request: Request<ProposeRouteRequest>,
    ) -> Result<Response<ProposeRouteResponse>, Status> {
        let ctx = self.context(caller(&request)?);
        let case = self.load(&ctx, &request.get_ref().petition_id).await?;
        let region = xinfang_domain::region::RegionCode::parse(&case.region_code)
            .map_err(DispatchError::Internal)?;
        let units = ctx
            .reference
            .org
            .competent_units(&region, &case.content_category);
        let explanation = match units.first() {
            Some(first) => format!(
                "按路由表（属地 {} × 内容分类 {}），建议转送 {}；其余为上级主管部门",
                case.region_code, case.content_category, first.name
            ),
            None => format!(
                "路由表中没有 {} 地区 {} 类事项的主管单位，请人工确定",
                case.region_code, case.content_category
            ),
        };
        Ok(Response::new(ProposeRouteResponse {
            organ_codes: units.iter().map(|u| u.code.clone()).collect(),
            explanation,
        }))
    }

    async fn forward(&self, request: Request<ForwardRequest>) -> Result<Response<Case>, Status> {
        self.act(
            request,
            |r| &r.petition_id,
            |case, ctx, r| Self::route(case, ctx, &r.organ_code, Action::Forward, None, r.note),
        )
        .await
    }

    async fn assign(&self, request: Request<AssignRequest>) -> Result<Response<Case>, Status> {
        self.act(
            request,
            |r| &r.petition_id,
            |case, ctx, r| {
                let report_back = parse_date("report_back_date", &r.report_back_date)?;
                if report_back <= ctx.today {
                    return Err(DispatchError::field(
                        "report_back_date",
                        "must be after today",
                    ));
                }
                Self::route(
                    case,
                    ctx,
                    &r.organ_code,
                    Action::Assign,
                    Some(report_back),
                    r.note,
                )
            },
        )
        .await
    }

    async fn redirect(&self, request: Request<RedirectRequest>) -> Result<Response<Case>, Status> {
        self.act(request, |r| &r.petition_id, |case, ctx, r| {
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
        })
        .await
    }

    async fn not_accept(
        &self,
        request: Request<NotAcceptRequest>,
    ) -> Result<Response<Case>, Status> {
        self.act(
            request,
            |r| &r.petition_id,
            |case, ctx, r| {
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
            },
        )
        .await
    }

    async fn escalate(&self, request: Request<EscalateRequest>) -> Result<Response<Case>, Status> {
        self.act(
            request,
            |r| &r.petition_id,
            |case, ctx, r| {
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
            },
        )
        .await
    }

    async fn accept(&self, request: Request<AcceptRequest>) -> Result<Response<Case>, Status> {
        self.act(
            request,
            |r| &r.petition_id,
            |case, ctx, r| {
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
            },
        )
        .await
    }

    async fn object(&self, request: Request<ObjectRequest>) -> Result<Response<Case>, Status> {
        self.act(
            request,
            |r| &r.petition_id,
            |case, ctx, r| {
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
                    if let Some(superior) =
                        ctx.reference.org.common_superior(&case.triage_unit, &organ)
                    {
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
            },
        )
        .await
    }

    async fn assign_handler(
        &self,
        request: Request<AssignHandlerRequest>,
    ) -> Result<Response<Case>, Status> {
        self.act(
            request,
            |r| &r.petition_id,
            |case, ctx, r| {
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
            },
        )
        .await
    }

    async fn add_progress_note(
        &self,
        request: Request<AddProgressNoteRequest>,
    ) -> Result<Response<Case>, Status> {
        self.act(
            request,
            |r| &r.petition_id,
            |case, ctx, r| {
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
            },
        )
        .await
    }

    async fn request_extension(
        &self,
        request: Request<RequestExtensionRequest>,
    ) -> Result<Response<Case>, Status> {
        let cap = self.limits.extension_cap_days;
        self.act(
            request,
            |r| &r.petition_id,
            |case, ctx, r| {
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
                Extension { cap_days: cap }
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
            },
        )
        .await
    }

    async fn decide_extension(
        &self,
        request: Request<DecideExtensionRequest>,
    ) -> Result<Response<Case>, Status> {
        self.act(
            request,
            |r| &r.petition_id,
            |case, ctx, r| {
                ctx.ensure_approver(case)?;
                let days = case.extension_requested.ok_or_else(|| {
                    DispatchError::Precondition("no extension request is waiting".into())
                })?;
                let reason = case.extension_reason.clone().unwrap_or_default();
                case.extension_requested = None;
                let organ = case.responsible_organ.clone().unwrap_or_default();
                let mut step = Step::new("decide_extension", &organ);
                step.reason = r.reason.clone();
                let deadline = if r.approved {
                    let current = current_deadline(case).ok_or_else(|| {
                        DispatchError::Internal("an accepted case without a deadline".into())
                    })?;
                    let extended = ctx.deadline("handling", current.trigger, days as u32)?;
                    case.extension_days = days;
                    set_deadline(case, Some(&extended))?;
                    step.text =
                        format!("延期{days}日，理由：{reason}；办理期限至 {}", extended.due);
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
            },
        )
        .await
    }

    async fn answer(&self, request: Request<AnswerRequest>) -> Result<Response<Case>, Status> {
        self.act(
            request,
            |r| &r.petition_id,
            |case, ctx, r| {
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
            },
        )
        .await
    }

    async fn submit_completion_report(
        &self,
        request: Request<SubmitCompletionReportRequest>,
    ) -> Result<Response<Case>, Status> {
        self.act(
            request,
            |r| &r.petition_id,
            |case, ctx, r| {
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
            },
        )
        .await
    }

    async fn transfer(&self, request: Request<TransferRequest>) -> Result<Response<Case>, Status> {
        self.act(
            request,
            |r| &r.petition_id,
            |case, ctx, r| {
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
            },
        )
        .await
    }

    async fn mark_foreign(
        &self,
        request: Request<MarkForeignRequest>,
    ) -> Result<Response<Case>, Status> {
        let node = self.node.clone();
        self.act(
            request,
            |r| &r.petition_id,
            |case, ctx, r| {
                ctx.ensure_triage(case)?;
                let reason = required("reason", &r.reason)?;
                let target = xinfang_domain::region::RegionCode::parse(&r.node_region_code)
                    .map_err(|e| DispatchError::field("node_region_code", e))?;
                if target.as_str() == node {
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
            },
        )
        .await
    }

    async fn decide_suggestion(
        &self,
        request: Request<DecideSuggestionRequest>,
    ) -> Result<Response<Case>, Status> {
        self.act(
            request,
            |r| &r.petition_id,
            |case, ctx, r| {
                if case.kind != pb::ItemKind::Suggestion.as_str_name() {
                    return Err(DispatchError::Precondition(
                        "this item is a petition, not a people's suggestion (人民建议)".into(),
                    ));
                }
                let decision = SuggestionDecision::try_from(r.decision)
                    .ok()
                    .filter(|d| *d != SuggestionDecision::Unspecified)
                    .ok_or_else(|| {
                        DispatchError::field("decision", "采纳, 部分采纳 or 不予采纳")
                    })?;
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
            },
        )
        .await
    }
}
