//! The `xinfang.supervision.v1.SupervisionService` gRPC API, scoped by the caller's unit: a
//! county supervisor reads its own county's items, orders and figures, the city all. Each call
//! hands over to the module of its resource: `orders`, `backlog`, `figures`, `worklist`.

use crate::error::SupervisionError;
use crate::oversight::Oversight;
use crate::worklist::Worklist;
use crate::{annual, backlog, figures, orders, scope, screening};
use tonic::{Request, Response, Status};
use xinfang_platform::auth::caller;
use xinfang_proto::xinfang::supervision::v1::supervision_service_server::SupervisionService;
use xinfang_proto::xinfang::supervision::v1::*;

const DEFAULT_PAGE: u64 = 50;
const MAX_PAGE: u64 = 500;

#[derive(Clone)]
pub struct SupervisionApi {
    pub oversight: Oversight,
}

fn page_size(n: i32) -> Result<u64, SupervisionError> {
    match n {
        0 => Ok(DEFAULT_PAGE),
        n if n < 0 => Err(SupervisionError::field("page_size", "must not be negative")),
        n => Ok(Ord::min(n as u64, MAX_PAGE)),
    }
}

/// The answer of a resource's handler, as gRPC wants it.
fn reply<T>(result: Result<T, SupervisionError>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(Into::into)
}

#[tonic::async_trait]
impl SupervisionService for SupervisionApi {
    async fn list_due_items(
        &self,
        request: Request<ListDueItemsRequest>,
    ) -> Result<Response<ListDueItemsResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let o = &self.oversight;
        reply(
            async {
                let scope = scope::narrowed(&o.reference.current(), &caller, &r.region_code)?;
                let due_before = match r.due_before.trim() {
                    "" => None,
                    d => Some(scope::date("due_before", d)?.to_string()),
                };
                let worklist = Worklist {
                    scope,
                    today: o.clock.today().to_string(),
                    overdue_only: r.overdue_only,
                    due_before,
                    after: r
                        .page_token
                        .split_once('|')
                        .map(|(d, id)| (d.to_owned(), id.to_owned())),
                    limit: page_size(r.page_size)?,
                };
                let (items, next_page_token) = worklist.fetch(o.uow.db()).await?;
                Ok(ListDueItemsResponse {
                    items,
                    next_page_token,
                })
            }
            .await,
        )
    }

    async fn list_supervision_orders(
        &self,
        request: Request<ListSupervisionOrdersRequest>,
    ) -> Result<Response<ListSupervisionOrdersResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        reply(
            async {
                let limit = page_size(r.page_size)?;
                orders::list(&self.oversight, &caller, r, limit).await
            }
            .await,
        )
    }

    async fn issue_supervision_order(
        &self,
        request: Request<IssueSupervisionOrderRequest>,
    ) -> Result<Response<SupervisionOrder>, Status> {
        let caller = caller(&request)?;
        reply(orders::issue(&self.oversight, &caller, request.into_inner()).await)
    }

    async fn reply_to_supervision_order(
        &self,
        request: Request<ReplyToSupervisionOrderRequest>,
    ) -> Result<Response<SupervisionOrder>, Status> {
        let caller = caller(&request)?;
        reply(orders::reply(&self.oversight, &caller, request.into_inner()).await)
    }

    async fn create_backlog_list(
        &self,
        request: Request<CreateBacklogListRequest>,
    ) -> Result<Response<BacklogList>, Status> {
        let caller = caller(&request)?;
        reply(backlog::create(&self.oversight, &caller, request.into_inner()).await)
    }

    async fn add_backlog_items(
        &self,
        request: Request<AddBacklogItemsRequest>,
    ) -> Result<Response<BacklogList>, Status> {
        let caller = caller(&request)?;
        reply(backlog::add_items(&self.oversight, &caller, request.into_inner()).await)
    }

    async fn assign_leader_package(
        &self,
        request: Request<AssignLeaderPackageRequest>,
    ) -> Result<Response<BacklogItem>, Status> {
        let caller = caller(&request)?;
        reply(backlog::assign_leader(&self.oversight, &caller, request.into_inner()).await)
    }

    async fn close_backlog_item(
        &self,
        request: Request<CloseBacklogItemRequest>,
    ) -> Result<Response<BacklogItem>, Status> {
        let caller = caller(&request)?;
        reply(backlog::close(&self.oversight, &caller, request.into_inner()).await)
    }

    async fn certify_resolution(
        &self,
        request: Request<CertifyResolutionRequest>,
    ) -> Result<Response<BacklogItem>, Status> {
        let caller = caller(&request)?;
        reply(backlog::certify(&self.oversight, &caller, request.into_inner()).await)
    }

    async fn file_screening_report(
        &self,
        request: Request<FileScreeningReportRequest>,
    ) -> Result<Response<ScreeningReport>, Status> {
        let caller = caller(&request)?;
        reply(screening::file(&self.oversight, &caller, request.into_inner()).await)
    }

    async fn get_metrics(
        &self,
        request: Request<GetMetricsRequest>,
    ) -> Result<Response<GetMetricsResponse>, Status> {
        let caller = caller(&request)?;
        reply(figures::metrics(&self.oversight, &caller, request.into_inner()).await)
    }

    async fn drill_down_metric(
        &self,
        request: Request<DrillDownMetricRequest>,
    ) -> Result<Response<DrillDownMetricResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        reply(
            async {
                let limit = page_size(r.page_size)?;
                figures::drill_down(&self.oversight, &caller, r, limit).await
            }
            .await,
        )
    }

    async fn get_petition_index(
        &self,
        request: Request<GetPetitionIndexRequest>,
    ) -> Result<Response<GetPetitionIndexResponse>, Status> {
        let caller = caller(&request)?;
        reply(figures::index(&self.oversight, &caller, request.into_inner()).await)
    }

    async fn export_monthly_bulletin(
        &self,
        request: Request<ExportMonthlyBulletinRequest>,
    ) -> Result<Response<ExportMonthlyBulletinResponse>, Status> {
        let caller = caller(&request)?;
        reply(figures::bulletin(&self.oversight, &caller, request.into_inner()).await)
    }

    async fn get_annual_report(
        &self,
        request: Request<GetAnnualReportRequest>,
    ) -> Result<Response<AnnualReport>, Status> {
        let caller = caller(&request)?;
        reply(annual::report(&self.oversight, &caller, request.into_inner()).await)
    }

    async fn drill_down_annual_figure(
        &self,
        request: Request<DrillDownAnnualFigureRequest>,
    ) -> Result<Response<DrillDownAnnualFigureResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        reply(
            async {
                let limit = page_size(r.page_size)?;
                annual::drill_down(&self.oversight, &caller, r, limit).await
            }
            .await,
        )
    }

    async fn export_annual_report(
        &self,
        request: Request<GetAnnualReportRequest>,
    ) -> Result<Response<ExportMonthlyBulletinResponse>, Status> {
        let caller = caller(&request)?;
        reply(annual::export(&self.oversight, &caller, request.into_inner()).await)
    }
}
