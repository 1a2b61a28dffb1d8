//! The `xinfang.intake.v1.IntakeService` gRPC API.

use crate::case_numbers::CaseNumbers;
use crate::entity::{petition, petitioner, public_step};
use crate::error::IntakeError;
use crate::registration;
use crate::repository::PetitionRepository;
use crate::store::{ListFilter, Store};
use crate::{query_code, scope, sealed_at, wire};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Datelike, SubsecRound, Utc};
use prost::Message;
use sea_orm::{DbErr, SqlErr};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use tonic::{Request, Response, Status};
use xinfang_domain::FieldError;
use xinfang_domain::aggregate::Aggregate;
use xinfang_domain::identity::mask_name;
use xinfang_domain::lifecycle::State;
use xinfang_domain::petition::{self as item, PetitionCommand, PetitionContext, Receipt};
use xinfang_domain::screening::Policy;
use xinfang_domain::{Reason, Refusal};
use xinfang_platform::auth::{Caller, caller};
use xinfang_platform::clock::NodeClock;
use xinfang_platform::pii::PiiVault;
use xinfang_platform::public_calls::PublicLimits;
use xinfang_platform::reference::ReferenceStore;
use xinfang_proto::convert::{flag_from_wire, state_from_wire};
use xinfang_proto::xinfang::intake::v1::intake_service_server::IntakeService;
use xinfang_proto::xinfang::intake::v1::*;
use xinfang_proto::xinfang::petition::v1 as pb;
use xinfang_store::{Meta, UnitOfWork, WriteError};

const DEFAULT_PAGE: u64 = 50;
const MAX_PAGE: u64 = 500;
/// The most a page of petitions holds, in bytes.
const PAGE_BYTES: usize = 1 << 20;

/// What the intake service needs to run.
#[derive(Clone)]
pub struct IntakeApi {
    pub store: Store,
    pub uow: UnitOfWork,
    pub reference: ReferenceStore,
    pub vault: PiiVault,
    pub policy: Policy,
    /// The node's region code: prefixes case numbers, stamps events.
    pub node: String,
    pub public: PublicLimits,
    pub clock: NodeClock,
    pub case_numbers: Arc<CaseNumbers>,
}

#[tonic::async_trait]
impl IntakeService for IntakeApi {
    async fn register_petition(
        &self,
        request: Request<RegisterPetitionRequest>,
    ) -> Result<Response<RegisterPetitionResponse>, Status> {
        let caller = request.extensions().get::<Caller>().cloned();
        let from = self.public.address(&request);
        Ok(Response::new(
            self.register(caller.as_ref(), from, request.into_inner())
                .await?,
        ))
    }

    async fn get_petition(
        &self,
        request: Request<GetPetitionRequest>,
    ) -> Result<Response<Petition>, Status> {
        let caller = caller(&request)?;
        let petition = self.in_scope(&caller, &request.into_inner().id).await?;
        let petitioners = self
            .store
            .petitioners(&petition.id)
            .await
            .map_err(IntakeError::from)?;
        Ok(Response::new(wire::petition_to_wire(
            &petition,
            &petitioners,
        )))
    }

    async fn list_petitions(
        &self,
        request: Request<ListPetitionsRequest>,
    ) -> Result<Response<ListPetitionsResponse>, Status> {
        let caller = caller(&request)?;
        let filter = self.list_filter(&caller, request.into_inner())?;
        let mut rows = self.store.list(&filter).await.map_err(IntakeError::from)?;
        let mut more = rows.len() as u64 > filter.limit - 1;
        rows.truncate((filter.limit - 1) as usize);
        // One query for the whole page's petitioners.
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut petitioners: HashMap<String, Vec<_>> = HashMap::new();
        for p in self
            .store
            .petitioners_of(&ids)
            .await
            .map_err(IntakeError::from)?
        {
            petitioners
                .entry(p.petition_id.clone())
                .or_default()
                .push(p);
        }
        // A page ends early rather than outgrow what clients take (4 MiB by default).
        let mut petitions = Vec::with_capacity(rows.len());
        let mut bytes = 0;
        let mut last = None;
        for row in &rows {
            let petition = wire::petition_to_wire(
                row,
                petitioners.get(&row.id).map_or(&[][..], Vec::as_slice),
            );
            bytes += petition.encoded_len();
            if bytes > PAGE_BYTES && !petitions.is_empty() {
                more = true;
                break;
            }
            petitions.push(petition);
            last = Some(row);
        }
        let next_page_token = match (more, last) {
            (true, Some(last)) => page_token(last.registered_at, &last.id),
            _ => String::new(),
        };
        Ok(Response::new(ListPetitionsResponse {
            petitions,
            next_page_token,
        }))
    }

    async fn track_by_query_code(
        &self,
        request: Request<TrackByQueryCodeRequest>,
    ) -> Result<Response<TrackByQueryCodeResponse>, Status> {
        self.public
            .check(&self.public.tracking(self.public.address(&request)))
            .await?;
        let code = xinfang_platform::codes::typed(&request.into_inner().query_code);
        if code.is_empty() {
            return Err(IntakeError::from(Refusal::field("query_code", "required")).into());
        }
        let found = self
            .store
            .by_query_code(&self.vault, &code)
            .await
            .map_err(IntakeError::from)?;
        let petition = found.ok_or_else(|| {
            IntakeError::from(Refusal::new(
                Reason::NotFound,
                "no item has this query code",
            ))
        })?;
        let (petitioners, later) = self.people_and_steps(&petition.id).await?;
        Ok(Response::new(self.public_view(
            &petition,
            &petitioners,
            &later,
        )))
    }

    async fn hand_over(
        &self,
        request: Request<HandOverRequest>,
    ) -> Result<Response<HandOverResponse>, Status> {
        let caller = caller(&request)?;
        let id = request.into_inner().petition_id;
        let petition = self.in_scope(&caller, &id).await?;
        // Identity leaves the node only with an item that left it.
        if State::parse(&petition.state) != Some(State::TransferredOut) {
            return Err(IntakeError::from(Refusal::new(
                Reason::IllegalTransition,
                format!("petition {id} is not transferred to another city"),
            ))
            .into());
        }
        let (petitioners, later) = self.people_and_steps(&petition.id).await?;
        let in_full = petitioners
            .iter()
            .map(|p| {
                let open = |sealed: &Option<String>, at: String| match sealed {
                    Some(s) => self.vault.open(s, &at),
                    None => Ok(String::new()),
                };
                Ok(pb::Petitioner {
                    id_number: open(
                        &p.id_number_sealed,
                        sealed_at::id_number(&p.petition_id, p.position),
                    )?,
                    phone: open(
                        &p.phone_sealed,
                        sealed_at::phone(&p.petition_id, p.position),
                    )?,
                    ..wire::petitioner_to_wire(p)
                })
            })
            .collect::<Result<Vec<_>, xinfang_platform::pii::PiiError>>()
            .map_err(|e| xinfang_platform::error::internal("intake sealed data", e))?;
        Ok(Response::new(HandOverResponse {
            content: petition.content.clone(),
            steps: self.public_view(&petition, &petitioners, &later).steps,
            petitioners: in_full,
            petition: Some(wire::petition_to_wire(&petition, &petitioners)),
        }))
    }
}

impl IntakeApi {
    /// Petition `id`, if it lies in the caller's scope.
    async fn in_scope(&self, caller: &Caller, id: &str) -> Result<petition::Model, IntakeError> {
        self.store
            .by_id(id)
            .await?
            .filter(|p| {
                scope::of(&self.reference.current(), caller).is_ok_and(|s| scope::covers(&s, p))
            })
            .ok_or_else(|| {
                IntakeError::from(Refusal::new(
                    Reason::NotFound,
                    format!("no petition {id} in your scope"),
                ))
            })
    }

    /// A petition's petitioners and the steps its petitioner was told of.
    async fn people_and_steps(
        &self,
        id: &str,
    ) -> Result<(Vec<petitioner::Model>, Vec<public_step::Model>), IntakeError> {
        Ok((
            self.store.petitioners(id).await?,
            self.store.public_steps(id).await?,
        ))
    }

    async fn register(
        &self,
        caller: Option<&Caller>,
        from: std::net::IpAddr,
        request: RegisterPetitionRequest,
    ) -> Result<RegisterPetitionResponse, IntakeError> {
        let digest = hex::encode(Sha256::digest(request.encode_to_vec()));
        // A key is the caller's own: a user's, or for citizens their address's.
        let key = match caller {
            Some(c) => format!("user:{}|{}", c.user_id, request.idempotency_key),
            None => format!("citizen:{from}|{}", request.idempotency_key),
        };
        // A citizen's retry is answered before it counts against the address's limits. A
        // clerk's is found by the key's unique index when the rows are written, and answered
        // then: a look-up less for every registration (issue #9).
        if caller.is_none()
            && let Some(existing) = self.store.by_idempotency_key(&key).await?
        {
            return self
                .replay(existing, &request.idempotency_key, &digest)
                .await;
        }
        let reference = self.reference.current();
        // Kept to the microsecond, as the database keeps it: the answer is made from the rows
        // as written and must equal a later read.
        let now = self.clock.now().trunc_subsecs(6);
        let registration = registration::parse(&request, &reference, caller, now)?;
        let numbers: Vec<&str> = registration
            .petitioners
            .iter()
            .filter_map(|p| p.identity.number())
            .collect();
        let keys: Vec<String> = numbers.iter().map(|n| self.vault.hash(n)).collect();
        if caller.is_none() {
            self.public
                .check(&self.public.submission(from, &keys))
                .await?;
        }
        let priors = self.store.priors(&self.vault, &numbers).await?;
        let ctx = PetitionContext {
            petitioner_keys: &keys,
            priors: &priors,
            category_route: reference
                .categories
                .statutory_route(&registration.category.code),
            policy: &self.policy,
        };
        let id = uuid::Uuid::now_v7().to_string();
        let receipt = Receipt {
            idempotency_key: key.clone(),
            request_digest: digest.clone(),
            query_code: query_code::generate(),
            registered_by: caller.map_or("citizen".into(), |c| c.user_id.clone()),
        };
        let meta = match caller {
            Some(c) => Meta::of(c, now),
            None => Meta {
                user: "citizen".into(),
                unit: registration.registering_unit.code.clone(),
                name: String::new(),
                at: now,
            },
        };
        let year = self.clock.date_of(now).year();
        let (registration, receipt) = (&registration, &receipt);
        let draw = self.case_numbers.draw(year).await?;
        let node = &self.node;
        let repo = PetitionRepository::new(&self.vault);
        let numbers = &self.case_numbers;
        let (repo, meta, ctx, id_ref) = (&repo, &meta, &ctx, &id);
        let written = self
            .uow
            .run(|tx| async move {
                let number = numbers.number(draw, &tx).await?;
                let case_number = format!("{node}-{year}-{number:06}");
                // A fresh id: nothing to read first.
                tx.create(repo, id_ref, meta, |state| {
                    item::Petition::decide(
                        state,
                        PetitionCommand::Register {
                            case_number: case_number.clone(),
                            registration: Box::new(registration.clone()),
                            receipt: receipt.clone(),
                            at: now,
                        },
                        ctx,
                    )
                })
                .await
            })
            .await;
        match written {
            Ok(saved) => {
                let state = saved.state.as_ref().map(|p| p.state.as_str());
                tracing::info!(petition = %id, state = state.unwrap_or_default(), "registered");
                let (stored, petitioners) = repo.registered_rows().ok_or_else(|| {
                    IntakeError::Corrupt(format!("petition {id} registered without its rows"))
                })?;
                Ok(RegisterPetitionResponse {
                    petition: Some(wire::petition_to_wire(&stored, &petitioners)),
                    query_code: receipt.query_code.clone(),
                    replayed: false,
                })
            }
            // The key was taken: a clerk's retry, or another copy that committed first.
            Err(WriteError::Database(err)) if is_unique_violation(&err) => {
                match self.store.by_idempotency_key(&key).await? {
                    Some(existing) => {
                        self.replay(existing, &request.idempotency_key, &digest)
                            .await
                    }
                    None => Err(IntakeError::Database(err)),
                }
            }
            Err(err) => Err(err.into()),
        }
    }

    /// The same key again: the same petition if the body is the same, ALREADY_EXISTS otherwise.
    async fn replay(
        &self,
        existing: petition::Model,
        key: &str,
        digest: &str,
    ) -> Result<RegisterPetitionResponse, IntakeError> {
        if existing.request_digest != digest {
            return Err(Refusal::new(
                Reason::IdempotencyKeyReused,
                format!(
                    "idempotency_key {key:?} was used for another request (petition {})",
                    existing.case_number
                ),
            )
            .into());
        }
        let query_code = self
            .vault
            .open(
                &existing.query_code_sealed,
                &sealed_at::query_code(&existing.id),
            )
            .map_err(|e| IntakeError::Corrupt(e.to_string()))?;
        let petitioners = self.store.petitioners(&existing.id).await?;
        Ok(RegisterPetitionResponse {
            petition: Some(wire::petition_to_wire(&existing, &petitioners)),
            query_code,
            replayed: true,
        })
    }

    fn list_filter(
        &self,
        caller: &Caller,
        request: ListPetitionsRequest,
    ) -> Result<ListFilter, IntakeError> {
        let reference = self.reference.current();
        let scope = scope::of(&reference, caller)?;
        let mut errors = Vec::new();
        let mut states = Vec::new();
        for (i, s) in request.states.iter().enumerate() {
            match pb::PetitionState::try_from(*s)
                .ok()
                .and_then(state_from_wire)
            {
                Some(state) => states.push(state),
                None => errors.push(FieldError::new(
                    format!("states[{i}]"),
                    format!("unknown state {s}"),
                )),
            }
        }
        let mut flag_mask = 0;
        for (i, f) in request.flags.iter().enumerate() {
            match pb::FlagKind::try_from(*f).ok().and_then(flag_from_wire) {
                Some(kind) => flag_mask |= kind.bit(),
                None => errors.push(FieldError::new(
                    format!("flags[{i}]"),
                    format!("unknown flag {f}"),
                )),
            }
        }
        let mut date = |field: &str, value: &str, plus_days: i64| -> Option<DateTime<Utc>> {
            if value.is_empty() {
                return None;
            }
            match xinfang_domain::field::day(field, value) {
                Ok(d) => Some(
                    (d + chrono::Duration::days(plus_days))
                        .and_hms_opt(0, 0, 0)?
                        .and_utc(),
                ),
                Err(e) => {
                    errors.push(e);
                    None
                }
            }
        };
        let registered_from = date("registered_from", &request.registered_from, 0);
        let registered_before = date("registered_to", &request.registered_to, 1);
        let after = match request.page_token.as_str() {
            "" => None,
            token => match parse_page_token(token) {
                Some(after) => Some(after),
                None => {
                    errors.push(FieldError::new(
                        "page_token",
                        "not a token this service issued",
                    ));
                    None
                }
            },
        };
        let region_prefix = match request.region_code.trim() {
            "" => None,
            code if code.bytes().all(|b| b.is_ascii_digit()) && code.len() <= 12 => {
                Some(code.to_owned())
            }
            code => {
                errors.push(FieldError::new(
                    "region_code",
                    format!("{code:?} is not a region code prefix"),
                ));
                None
            }
        };
        if request.page_size < 0 {
            errors.push(FieldError::new("page_size", "must not be negative"));
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let page = match request.page_size {
            0 => DEFAULT_PAGE,
            n => (n as u64).min(MAX_PAGE),
        };
        Ok(ListFilter {
            scope,
            states,
            channel_code: Some(request.channel_code).filter(|c| !c.is_empty()),
            region_prefix,
            registered_from,
            registered_before,
            flag_mask,
            after,
            // One more than the page, to know whether there is a next one.
            limit: page + 1,
        })
    }

    /// 可查询、可跟踪: what the petitioner sees with the query code. Names masked, no numbers.
    fn public_view(
        &self,
        p: &petition::Model,
        petitioners: &[petitioner::Model],
        later: &[public_step::Model],
    ) -> TrackByQueryCodeResponse {
        let reference = self.reference.current();
        let unit_name = reference
            .org
            .unit(&p.registering_unit)
            .map(|u| u.name.clone())
            .unwrap_or_default();
        let state = State::parse(&p.state);
        let mut steps = vec![pb::PublicStep {
            kind: "registered".into(),
            title: "已登记".into(),
            organ_name: unit_name.clone(),
            occurred_at: Some(wire::timestamp(p.registered_at)),
            text: format!("您的信访事项已登记，编号 {}", p.case_number),
            due_date: String::new(),
        }];
        match state {
            Some(State::Linked) => steps.push(pb::PublicStep {
                kind: "linked".into(),
                title: "重复信访".into(),
                organ_name: unit_name,
                occurred_at: Some(wire::timestamp(p.registered_at)),
                text: "您反映的事项正在办理中，本次来信来访已并入原事项办理".into(),
                due_date: String::new(),
            }),
            Some(State::NotReaccepted) => steps.push(pb::PublicStep {
                kind: "not_reaccepted".into(),
                title: "不再受理".into(),
                organ_name: unit_name,
                occurred_at: Some(wire::timestamp(p.registered_at)),
                text: "该事项已经复核终结，同一事实和理由不再受理 (《信访工作条例》第三十六条)"
                    .into(),
                due_date: String::new(),
            }),
            _ => {}
        }
        steps.extend(later.iter().map(|s| pb::PublicStep {
            kind: s.kind.clone(),
            title: s.title.clone(),
            organ_name: s.organ_name.clone(),
            occurred_at: Some(wire::timestamp(s.occurred_at)),
            text: s.text.clone(),
            due_date: s.due_date.clone().unwrap_or_default(),
        }));
        // What another city told the petitioner before the item came here comes first.
        steps.sort_by_key(|s| s.occurred_at.map(|t| (t.seconds, t.nanos)));
        // The limit last told, while the item waits for its next step.
        let waiting = state.is_some_and(|s| {
            s.is_open() && !matches!(s, State::Answered | State::Reviewed | State::ReExamined)
        });
        let expected_date = steps
            .iter()
            .rev()
            .find(|s| !s.due_date.is_empty())
            .filter(|_| waiting)
            .map(|s| s.due_date.clone())
            .unwrap_or_default();
        TrackByQueryCodeResponse {
            case_number: p.case_number.clone(),
            title: p.title.clone(),
            state: state.map(pb::PetitionState::from).unwrap_or_default() as i32,
            registered_at: Some(wire::timestamp(p.registered_at)),
            steps,
            petitioner_names: petitioners.iter().map(|x| mask_name(&x.name)).collect(),
            content_category: p.content_category.clone(),
            expected_date,
        }
    }
}

fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

fn page_token(at: DateTime<Utc>, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{id}", at.to_rfc3339()))
}

fn parse_page_token(token: &str) -> Option<(DateTime<Utc>, String)> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(token).ok()?).ok()?;
    let (at, id) = text.split_once('|')?;
    Some((
        DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc),
        id.to_owned(),
    ))
}
