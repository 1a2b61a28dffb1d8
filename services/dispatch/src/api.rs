//! The `xinfang.dispatch.v1.DispatchService` gRPC API: each step is parsed, then decided by the
//! case (`xinfang_domain::case`) and saved through the unit of work with its step row, audit row
//! and event.

use crate::cases::Cases;
use crate::commands::{self, Parsed, date, required};
use crate::error::DispatchError;
use crate::queues::ListFilter;
use crate::repository::{CaseRepository, from_row};
use crate::scope;
use crate::wire;
use tonic::{Request, Response, Status};
use xinfang_domain::aggregate::{Actor, Aggregate};
use xinfang_domain::case::Case as DomainCase;
use xinfang_domain::{Reason, Refusal};
use xinfang_platform::auth::{Caller, caller};
use xinfang_platform::policy::Scope;
use xinfang_proto::convert::state_from_wire;
use xinfang_proto::xinfang::dispatch::v1::dispatch_service_server::DispatchService;
use xinfang_proto::xinfang::dispatch::v1::*;
use xinfang_proto::xinfang::petition::v1 as pb;
use xinfang_store::{Meta, Repository};

const DEFAULT_PAGE: u64 = 50;
const MAX_PAGE: u64 = 500;

#[derive(Clone)]
pub struct DispatchApi {
    pub cases: Cases,
}

fn not_in_scope(id: &str) -> Refusal {
    Refusal::new(Reason::NotFound, format!("no case {id} in your scope"))
}

impl DispatchApi {
    /// One case the caller may see, with its steps.
    async fn load(&self, caller: &Caller, id: &str) -> Result<Case, DispatchError> {
        let id = required("petition_id", id)?;
        let scope = Scope::of(&self.cases.reference.current().org, caller)?;
        let case = CaseRepository
            .load(self.cases.uow.db(), &id)
            .await?
            .map(|v| v.state)
            .filter(|c| scope::sees(&scope, c))
            .ok_or_else(|| not_in_scope(&id))?;
        let steps = self.cases.queues.steps(&id).await?;
        Ok(wire::case_to_wire(&case, &steps))
    }

    /// Applies one step: parse → load → decide → save, the case as the caller sees it after.
    async fn act<T>(
        &self,
        request: Request<T>,
        parse: impl FnOnce(&T) -> Result<Parsed, Refusal>,
    ) -> Result<Response<Case>, Status> {
        let caller = caller(&request)?;
        let (id, command) = parse(request.get_ref()).map_err(DispatchError::from)?;
        let cases = &self.cases;
        let now = cases.clock.now();
        let reference = cases.reference.current();
        let actor = Actor {
            user: caller.user_id.clone(),
            unit: caller.org_unit.clone(),
            roles: caller.roles.clone(),
        };
        let ctx = cases.context(&actor, &reference, cases.clock.date_of(now));
        let scope = Scope::of(&reference.org, &caller).map_err(DispatchError::from)?;
        let saved = cases
            .uow
            .execute(&CaseRepository, &id, &Meta::of(&caller, now), |state| {
                let case = state
                    .filter(|c| scope::sees(&scope, c))
                    .ok_or_else(|| not_in_scope(&id))?;
                DomainCase::decide(Some(case), command.clone(), &ctx)
            })
            .await
            .map_err(DispatchError::from)?;
        let case = saved
            .state
            .ok_or_else(|| DispatchError::Internal(format!("case {id} vanished")))?;
        tracing::info!(petition = %id, events = saved.events.len(), state = %case.state, due = ?case.due(), "case step");
        let steps = cases.queues.steps(&id).await.map_err(DispatchError::from)?;
        Ok(Response::new(wire::case_to_wire(&case, &steps)))
    }
}

#[tonic::async_trait]
impl DispatchService for DispatchApi {
    async fn list_cases(
        &self,
        request: Request<ListCasesRequest>,
    ) -> Result<Response<ListCasesResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let scope =
            Scope::of(&self.cases.reference.current().org, &caller).map_err(DispatchError::from)?;
        let mut states = Vec::new();
        for (i, s) in r.states.iter().enumerate() {
            let state = pb::PetitionState::try_from(*s)
                .ok()
                .and_then(state_from_wire)
                .ok_or_else(|| {
                    DispatchError::from(Refusal::field(
                        &format!("states[{i}]"),
                        format!("unknown state {s}"),
                    ))
                })?;
            states.push(state.as_str().to_owned());
        }
        let due_before = match r.due_before.trim() {
            "" => None,
            d => Some(
                date("due_before", d)
                    .map_err(DispatchError::from)?
                    .to_string(),
            ),
        };
        if r.page_size < 0 {
            return Err(
                DispatchError::from(Refusal::field("page_size", "must not be negative")).into(),
            );
        }
        let page = if r.page_size == 0 {
            DEFAULT_PAGE
        } else {
            (r.page_size as u64).min(MAX_PAGE)
        };
        let filter = ListFilter {
            scope,
            states,
            organ_code: Some(r.organ_code).filter(|o| !o.is_empty()),
            handler_user_id: Some(r.handler_user_id).filter(|h| !h.is_empty()),
            due_before,
            overdue_on: r.overdue_only.then(|| self.cases.clock.today().to_string()),
            after: Some(r.page_token).filter(|t| !t.is_empty()),
            limit: page + 1,
        };
        let mut rows = self
            .cases
            .queues
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
        let cases = rows
            .into_iter()
            .map(|row| from_row(row).map(|v| wire::case_to_wire(&v.state, &[])))
            .collect::<Result<_, _>>()
            .map_err(DispatchError::from)?;
        Ok(Response::new(ListCasesResponse {
            cases,
            next_page_token,
        }))
    }

    async fn get_case(&self, request: Request<GetCaseRequest>) -> Result<Response<Case>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(
            self.load(&caller, &request.get_ref().petition_id).await?,
        ))
    }

    async fn propose_route(
        &self,
        request: Request<ProposeRouteRequest>,
    ) -> Result<Response<ProposeRouteResponse>, Status> {
        let caller = caller(&request)?;
        let case = self.load(&caller, &request.get_ref().petition_id).await?;
        let reference = self.cases.reference.current();
        let region = xinfang_domain::region::RegionCode::parse(&case.region_code)
            .map_err(DispatchError::Internal)?;
        let units = reference
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
        self.act(request, commands::forward).await
    }

    async fn assign(&self, request: Request<AssignRequest>) -> Result<Response<Case>, Status> {
        self.act(request, commands::assign).await
    }

    async fn redirect(&self, request: Request<RedirectRequest>) -> Result<Response<Case>, Status> {
        self.act(request, commands::redirect).await
    }

    async fn not_accept(
        &self,
        request: Request<NotAcceptRequest>,
    ) -> Result<Response<Case>, Status> {
        self.act(request, commands::not_accept).await
    }

    async fn escalate(&self, request: Request<EscalateRequest>) -> Result<Response<Case>, Status> {
        self.act(request, commands::escalate).await
    }

    async fn accept(&self, request: Request<AcceptRequest>) -> Result<Response<Case>, Status> {
        self.act(request, commands::accept).await
    }

    async fn object(&self, request: Request<ObjectRequest>) -> Result<Response<Case>, Status> {
        self.act(request, commands::object).await
    }

    async fn assign_handler(
        &self,
        request: Request<AssignHandlerRequest>,
    ) -> Result<Response<Case>, Status> {
        self.act(request, commands::assign_handler).await
    }

    async fn add_progress_note(
        &self,
        request: Request<AddProgressNoteRequest>,
    ) -> Result<Response<Case>, Status> {
        self.act(request, commands::add_progress_note).await
    }

    async fn request_extension(
        &self,
        request: Request<RequestExtensionRequest>,
    ) -> Result<Response<Case>, Status> {
        self.act(request, commands::request_extension).await
    }

    async fn decide_extension(
        &self,
        request: Request<DecideExtensionRequest>,
    ) -> Result<Response<Case>, Status> {
        self.act(request, commands::decide_extension).await
    }

    async fn answer(&self, request: Request<AnswerRequest>) -> Result<Response<Case>, Status> {
        self.act(request, commands::answer).await
    }

    async fn submit_completion_report(
        &self,
        request: Request<SubmitCompletionReportRequest>,
    ) -> Result<Response<Case>, Status> {
        self.act(request, commands::completion_report).await
    }

    async fn start_pause(
        &self,
        request: Request<StartPauseRequest>,
    ) -> Result<Response<Case>, Status> {
        self.act(request, commands::start_pause).await
    }

    async fn end_pause(&self, request: Request<EndPauseRequest>) -> Result<Response<Case>, Status> {
        self.act(request, commands::end_pause).await
    }

    async fn transfer(&self, request: Request<TransferRequest>) -> Result<Response<Case>, Status> {
        self.act(request, commands::transfer).await
    }

    async fn mark_foreign(
        &self,
        request: Request<MarkForeignRequest>,
    ) -> Result<Response<Case>, Status> {
        self.act(request, commands::mark_foreign).await
    }

    async fn decide_suggestion(
        &self,
        request: Request<DecideSuggestionRequest>,
    ) -> Result<Response<Case>, Status> {
        self.act(request, commands::decide_suggestion).await
    }
}
