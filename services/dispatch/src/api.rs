//! The `xinfang.dispatch.v1.DispatchService` gRPC API: triage, acceptance, handling, answers.
//! Every step checks the lifecycle and the caller's part, computes the resulting deadlines,
//! and writes the case, the step and its event in one transaction.

use crate::context::Context;
use crate::entity::{case, step};
use crate::error::DispatchError;
use crate::steps::{Step, acceptance, handling, parse_date, required, triage};
use crate::store::{ListFilter, Store};
use crate::wire;
use tonic::{Request, Response, Status};
use xinfang_domain::reference::UnitKind;
use xinfang_events::EventDraft;
use xinfang_platform::auth::{Caller, caller};
use xinfang_platform::clock::NodeClock;
use xinfang_platform::config::LimitSettings;
use xinfang_platform::reference::ReferenceStore;
use xinfang_proto::convert::state_from_wire;
use xinfang_proto::xinfang::dispatch::v1::dispatch_service_server::DispatchService;
use xinfang_proto::xinfang::dispatch::v1::*;
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

impl DispatchApi {
    fn context(&self, caller: Caller) -> Context<'_> {
        let now = self.clock.now();
        Context {
            caller,
            now,
            today: self.clock.date_of(now),
            reference: self.reference.current(),
            limits: &self.limits,
            node: &self.node,
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
        self.act(request, |r| &r.petition_id, triage::forward).await
    }

    async fn assign(&self, request: Request<AssignRequest>) -> Result<Response<Case>, Status> {
        self.act(request, |r| &r.petition_id, triage::assign).await
    }

    async fn redirect(&self, request: Request<RedirectRequest>) -> Result<Response<Case>, Status> {
        self.act(request, |r| &r.petition_id, triage::redirect)
            .await
    }

    async fn not_accept(
        &self,
        request: Request<NotAcceptRequest>,
    ) -> Result<Response<Case>, Status> {
        self.act(request, |r| &r.petition_id, triage::not_accept)
            .await
    }

    async fn escalate(&self, request: Request<EscalateRequest>) -> Result<Response<Case>, Status> {
        self.act(request, |r| &r.petition_id, triage::escalate)
            .await
    }

    async fn accept(&self, request: Request<AcceptRequest>) -> Result<Response<Case>, Status> {
        self.act(request, |r| &r.petition_id, acceptance::accept)
            .await
    }

    async fn object(&self, request: Request<ObjectRequest>) -> Result<Response<Case>, Status> {
        self.act(request, |r| &r.petition_id, acceptance::object)
            .await
    }

    async fn assign_handler(
        &self,
        request: Request<AssignHandlerRequest>,
    ) -> Result<Response<Case>, Status> {
        self.act(request, |r| &r.petition_id, handling::assign_handler)
            .await
    }

    async fn add_progress_note(
        &self,
        request: Request<AddProgressNoteRequest>,
    ) -> Result<Response<Case>, Status> {
        self.act(request, |r| &r.petition_id, handling::add_progress_note)
            .await
    }

    async fn request_extension(
        &self,
        request: Request<RequestExtensionRequest>,
    ) -> Result<Response<Case>, Status> {
        self.act(request, |r| &r.petition_id, handling::request_extension)
            .await
    }

    async fn decide_extension(
        &self,
        request: Request<DecideExtensionRequest>,
    ) -> Result<Response<Case>, Status> {
        self.act(request, |r| &r.petition_id, handling::decide_extension)
            .await
    }

    async fn answer(&self, request: Request<AnswerRequest>) -> Result<Response<Case>, Status> {
        self.act(request, |r| &r.petition_id, handling::answer)
            .await
    }

    async fn submit_completion_report(
        &self,
        request: Request<SubmitCompletionReportRequest>,
    ) -> Result<Response<Case>, Status> {
        self.act(request, |r| &r.petition_id, handling::completion_report)
            .await
    }

    async fn transfer(&self, request: Request<TransferRequest>) -> Result<Response<Case>, Status> {
        self.act(request, |r| &r.petition_id, triage::transfer)
            .await
    }

    async fn mark_foreign(
        &self,
        request: Request<MarkForeignRequest>,
    ) -> Result<Response<Case>, Status> {
        self.act(request, |r| &r.petition_id, triage::mark_foreign)
            .await
    }

    async fn decide_suggestion(
        &self,
        request: Request<DecideSuggestionRequest>,
    ) -> Result<Response<Case>, Status> {
        self.act(request, |r| &r.petition_id, handling::decide_suggestion)
            .await
    }
}
