//! The `xinfang.evaluation.v1.EvaluationService` gRPC API. Reads are scoped by the caller's unit;
//! every change goes through [`Desk::change`].

use crate::desk::{Change, Desk};
use crate::entity::item;
use crate::error::EvaluationError;
use crate::repository::item_from_row;
use crate::{scope, tokens, wire};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tonic::{Request, Response, Status};
use xinfang_domain::evaluation::{Channel, Evaluator, Item, ItemCommand, Proxy, Stage, Verdict};
use xinfang_domain::{Reason, Refusal};
use xinfang_platform::auth::{Caller, caller};
use xinfang_platform::pii::PiiVault;
use xinfang_platform::public_calls::PublicLimits;
use xinfang_proto::convert::{
    evaluation_channel_from_wire, opinion_from_wire, satisfaction_from_wire,
};
use xinfang_proto::xinfang::evaluation::v1::evaluation_service_server::EvaluationService;
use xinfang_proto::xinfang::evaluation::v1::*;
use xinfang_proto::xinfang::petition::v1 as pb;
use xinfang_store::Meta;

/// The most terminated items one list answers with.
const MAX_LIST: u64 = 500;

#[derive(Clone)]
pub struct EvaluationApi {
    pub desk: Desk,
    pub vault: PiiVault,
    pub public: PublicLimits,
}

fn reply<T>(result: Result<T, EvaluationError>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(Into::into)
}

fn refused(reason: Reason, message: &str) -> EvaluationError {
    EvaluationError::Refused(Refusal::new(reason, message))
}

impl EvaluationApi {
    async fn load(&self, petition_id: &str) -> Result<Option<Item>, EvaluationError> {
        let row = item::Entity::find_by_id(petition_id.to_owned())
            .one(self.desk.uow.db())
            .await?;
        Ok(row.map(item_from_row).transpose()?.map(|v| v.state))
    }

    /// The item of `petition_id` as `caller` may see it.
    async fn visible(&self, caller: &Caller, petition_id: &str) -> Result<Item, EvaluationError> {
        let id = scope::required("petition_id", petition_id)?;
        let scope = scope::of(&self.desk.reference.current(), caller)?;
        scope::seen(&scope, self.load(&id).await?)
    }

    /// A change by `caller` of an item it sees.
    async fn change(
        &self,
        caller: &Caller,
        petition_id: &str,
        command: ItemCommand,
        token: Option<String>,
    ) -> Result<Item, EvaluationError> {
        self.visible(caller, petition_id).await?;
        let meta = Meta::of(caller, self.desk.clock.now());
        self.desk
            .change(Change {
                petition_id: petition_id.trim(),
                meta: &meta,
                unit: &caller.org_unit,
                command,
                token,
            })
            .await
    }

    fn record(&self, petition_id: &str, item: &Item) -> Record {
        let reference = self.desk.reference.current();
        wire::record(petition_id, item, &self.desk.limits, &reference.calendar)
    }

    /// The citizen's evaluation: the token names the item, the query code must be its own.
    async fn citizen(
        &self,
        r: &SubmitEvaluationRequest,
    ) -> Result<(String, Evaluator), EvaluationError> {
        let bad = || {
            refused(
                Reason::BadEvaluationToken,
                "the query code and evaluation code do not open an evaluation",
            )
        };
        let code = scope::required("query_code", &r.query_code)?;
        let token = scope::required("token", &r.token)?;
        let token_hash = tokens::hash(&token);
        let found = crate::entity::token::Entity::find_by_id(token_hash.clone())
            .one(self.desk.uow.db())
            .await?
            .ok_or_else(bad)?;
        let item = self.load(&found.petition_id).await?.ok_or_else(bad)?;
        let normal = xinfang_platform::codes::typed(&code);
        let own = item.registration.as_ref().is_some_and(|reg| {
            self.vault
                .hashes(&normal)
                .iter()
                .any(|h| h == &reg.query_code_hash)
        });
        if !own {
            return Err(bad());
        }
        Ok((found.petition_id, Evaluator::Citizen { token_hash }))
    }

    async fn submit(
        &self,
        caller: Option<&Caller>,
        r: SubmitEvaluationRequest,
    ) -> Result<Evaluation, EvaluationError> {
        let satisfaction = |field: &str, value: i32| {
            satisfaction_from_wire(value).ok_or_else(|| {
                EvaluationError::field(field, "满意, 基本满意 or 不满意 is required")
            })
        };
        let (petition_id, by, default_channel, meta) = match caller {
            None => {
                let (id, by) = self.citizen(&r).await?;
                let meta = Meta {
                    user: "citizen".into(),
                    unit: String::new(),
                    name: String::new(),
                    at: self.desk.clock.now(),
                };
                (id, by, Channel::Sms, meta)
            }
            Some(c) => {
                let id = scope::required("petition_id", &r.petition_id)?;
                self.visible(c, &id).await?;
                let by = Evaluator::Proxy(Proxy {
                    name: scope::required("proxy_name", &r.proxy_name)?,
                    unit: c.org_unit.clone(),
                });
                let meta = Meta::of(c, self.desk.clock.now());
                (id, by, Channel::Phone, meta)
            }
        };
        let channel = match r.channel {
            0 => default_channel,
            n => evaluation_channel_from_wire(n)
                .ok_or_else(|| EvaluationError::field("channel", format!("unknown channel {n}")))?,
        };
        let verdict = Verdict {
            department: satisfaction("department", r.department)?,
            organ: satisfaction("handling_organ", r.handling_organ)?,
            comment: r.comment.trim().to_owned(),
            channel,
        };
        let item = self
            .desk
            .change(Change {
                petition_id: &petition_id,
                meta: &meta,
                unit: &meta.unit,
                command: ItemCommand::Evaluate {
                    by,
                    verdict,
                    at: meta.at,
                },
                token: None,
            })
            .await?;
        let made = item
            .evaluations
            .last()
            .ok_or_else(|| refused(Reason::NotAnswered, "no evaluation was made"))?;
        Ok(wire::evaluation(&petition_id, made))
    }

    async fn request(
        &self,
        caller: &Caller,
        stage: Stage,
        r: RequestReviewRequest,
    ) -> Result<ReviewCase, EvaluationError> {
        let addressed = Some(r.organ_code.trim().to_owned()).filter(|o| !o.is_empty());
        let command = ItemCommand::Request {
            stage,
            reason: scope::required("reason", &r.reason)?,
            addressed,
        };
        let item = self.change(caller, &r.petition_id, command, None).await?;
        wire::latest_review(r.petition_id.trim(), &item, stage)
            .ok_or_else(|| refused(Reason::NotFound, "the request was not recorded"))
    }

    async fn decide(
        &self,
        caller: &Caller,
        stage: Stage,
        r: DecideReviewRequest,
    ) -> Result<ReviewCase, EvaluationError> {
        let opinion = pb::HandlingOpinion::try_from(r.opinion)
            .ok()
            .and_then(opinion_from_wire)
            .ok_or_else(|| {
                EvaluationError::field("opinion", "支持, 解释说明 or 不予支持 is required")
            })?;
        let (token, token_hash) = tokens::issue();
        let command = ItemCommand::Decide {
            stage,
            opinion,
            text: scope::required("text", &r.text)?,
            publish: r.publish_opinion,
            token_hash,
        };
        let item = self
            .change(caller, &r.petition_id, command, Some(token))
            .await?;
        wire::latest_review(r.petition_id.trim(), &item, stage)
            .ok_or_else(|| refused(Reason::NotFound, "no such review"))
    }

    /// The re-examination the hearing belongs to, after a hearing step.
    async fn hearing(
        &self,
        caller: &Caller,
        petition_id: &str,
        command: ItemCommand,
    ) -> Result<ReviewCase, EvaluationError> {
        let item = self.change(caller, petition_id, command, None).await?;
        wire::latest_review(petition_id.trim(), &item, Stage::ReExamination)
            .ok_or_else(|| refused(Reason::NotFound, "no such re-examination"))
    }

    async fn terminated(
        &self,
        caller: &Caller,
        r: ListTerminatedRequest,
    ) -> Result<ListTerminatedResponse, EvaluationError> {
        let scope = scope::of(&self.desk.reference.current(), caller)?;
        let mut query = item::Entity::find()
            .filter(scope::items(&scope))
            .filter(item::Column::TerminatedOn.is_not_null());
        if r.year != 0 {
            query = query.filter(item::Column::TerminatedOn.starts_with(format!("{}-", r.year)));
        }
        let rows = query
            .order_by_asc(item::Column::TerminatedOn)
            .order_by_asc(item::Column::PetitionId)
            .limit(MAX_LIST)
            .all(self.desk.uow.db())
            .await?;
        let mut records = Vec::with_capacity(rows.len());
        for row in rows {
            let id = row.petition_id.clone();
            let item = item_from_row(row)?.state;
            records.push(self.record(&id, &item));
        }
        Ok(ListTerminatedResponse { records })
    }
}

#[tonic::async_trait]
impl EvaluationService for EvaluationApi {
    async fn submit_evaluation(
        &self,
        request: Request<SubmitEvaluationRequest>,
    ) -> Result<Response<Evaluation>, Status> {
        let caller = request.extensions().get::<Caller>().cloned();
        if caller.is_none() {
            self.public
                .check(&self.public.evaluation(self.public.address(&request)))
                .await?;
        }
        reply(self.submit(caller.as_ref(), request.into_inner()).await)
    }

    async fn list_evaluations(
        &self,
        request: Request<ListEvaluationsRequest>,
    ) -> Result<Response<ListEvaluationsResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        reply(
            async {
                let item = self.visible(&caller, &r.petition_id).await?;
                let id = r.petition_id.trim();
                Ok(ListEvaluationsResponse {
                    evaluations: item
                        .evaluations
                        .iter()
                        .map(|e| wire::evaluation(id, e))
                        .collect(),
                })
            }
            .await,
        )
    }

    async fn get_record(
        &self,
        request: Request<GetRecordRequest>,
    ) -> Result<Response<Record>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        reply(
            async {
                let item = self.visible(&caller, &r.petition_id).await?;
                Ok(self.record(r.petition_id.trim(), &item))
            }
            .await,
        )
    }

    async fn record_revisit(
        &self,
        request: Request<RecordRevisitRequest>,
    ) -> Result<Response<Revisit>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        reply(
            async {
                let command = ItemCommand::RecordRevisit {
                    text: scope::required("text", &r.text)?,
                    analysis: scope::required("analysis", &r.analysis)?,
                    outcome: r.outcome.trim().to_owned(),
                    at: self.desk.clock.now(),
                };
                let item = self.change(&caller, &r.petition_id, command, None).await?;
                let record = self.record(r.petition_id.trim(), &item);
                record
                    .revisits
                    .into_iter()
                    .rev()
                    .find(|v| v.recorded_at.is_some())
                    .ok_or_else(|| refused(Reason::NoRevisitOpen, "no revisit was recorded"))
            }
            .await,
        )
    }

    async fn request_review(
        &self,
        request: Request<RequestReviewRequest>,
    ) -> Result<Response<ReviewCase>, Status> {
        let caller = caller(&request)?;
        reply(
            self.request(&caller, Stage::Review, request.into_inner())
                .await,
        )
    }

    async fn decide_review(
        &self,
        request: Request<DecideReviewRequest>,
    ) -> Result<Response<ReviewCase>, Status> {
        let caller = caller(&request)?;
        reply(
            self.decide(&caller, Stage::Review, request.into_inner())
                .await,
        )
    }

    async fn request_re_examination(
        &self,
        request: Request<RequestReviewRequest>,
    ) -> Result<Response<ReviewCase>, Status> {
        let caller = caller(&request)?;
        reply(
            self.request(&caller, Stage::ReExamination, request.into_inner())
                .await,
        )
    }

    async fn decide_re_examination(
        &self,
        request: Request<DecideReviewRequest>,
    ) -> Result<Response<ReviewCase>, Status> {
        let caller = caller(&request)?;
        reply(
            self.decide(&caller, Stage::ReExamination, request.into_inner())
                .await,
        )
    }

    async fn schedule_hearing(
        &self,
        request: Request<ScheduleHearingRequest>,
    ) -> Result<Response<ReviewCase>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        reply(
            async {
                let command = ItemCommand::ScheduleHearing {
                    start: scope::date("start_date", &r.start_date)?,
                    place: scope::required("place", &r.place)?,
                    participants: r.participants.clone(),
                };
                self.hearing(&caller, &r.petition_id, command).await
            }
            .await,
        )
    }

    async fn end_hearing(
        &self,
        request: Request<EndHearingRequest>,
    ) -> Result<Response<ReviewCase>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        reply(
            async {
                let command = ItemCommand::EndHearing {
                    end: scope::date("end_date", &r.end_date)?,
                    record: scope::required("record", &r.record)?,
                };
                self.hearing(&caller, &r.petition_id, command).await
            }
            .await,
        )
    }

    async fn terminate(
        &self,
        request: Request<TerminateRequest>,
    ) -> Result<Response<Record>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        reply(
            async {
                let command = ItemCommand::Terminate {
                    reason: scope::required("reason", &r.reason)?,
                };
                let item = self.change(&caller, &r.petition_id, command, None).await?;
                Ok(self.record(r.petition_id.trim(), &item))
            }
            .await,
        )
    }

    async fn list_terminated(
        &self,
        request: Request<ListTerminatedRequest>,
    ) -> Result<Response<ListTerminatedResponse>, Status> {
        let caller = caller(&request)?;
        reply(self.terminated(&caller, request.into_inner()).await)
    }

    async fn record_spot_check(
        &self,
        request: Request<RecordSpotCheckRequest>,
    ) -> Result<Response<Record>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        reply(
            async {
                let command = ItemCommand::SpotCheck {
                    findings: scope::required("findings", &r.findings)?,
                    corrections: r.corrections.trim().to_owned(),
                };
                let item = self.change(&caller, &r.petition_id, command, None).await?;
                Ok(self.record(r.petition_id.trim(), &item))
            }
            .await,
        )
    }

    async fn report_to_province(
        &self,
        request: Request<ReportToProvinceRequest>,
    ) -> Result<Response<Record>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        reply(
            async {
                let command = ItemCommand::ReportToProvince {
                    reason: scope::required("reason", &r.reason)?,
                };
                let item = self.change(&caller, &r.petition_id, command, None).await?;
                Ok(self.record(r.petition_id.trim(), &item))
            }
            .await,
        )
    }
}
