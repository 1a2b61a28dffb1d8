//! The petition on the write path: its row (written whole at registration, guarded by its version
//! after), its petitioners (sealed) and public steps, and the event a registration announces on
//! `xinfang.intake.events`.

use crate::entity::{petition, petitioner, public_step};
use crate::sealed_at;
use crate::wire::{self, AgentJson, AttachmentJson, StoredFlag};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityName, EntityTrait, IntoActiveModel, QueryFilter,
    QueryTrait,
};
use std::sync::Mutex;
use xinfang_domain::identity::mask_name;
use xinfang_domain::lifecycle::State;
use xinfang_domain::petition::{
    Identity, Petition, PetitionEvent, PublicStep, Receipt, Registration,
};
use xinfang_domain::screening::{Disposition, Screening};
use xinfang_events::Payload;
use xinfang_platform::pii::PiiVault;
use xinfang_proto::xinfang::events::v1::PetitionRegistered;
use xinfang_proto::xinfang::petition::v1 as pb;
use xinfang_store::rows::update_guarded;
use xinfang_store::{Meta, Repository, Versioned, Writes};

pub struct PetitionRepository<'v> {
    vault: &'v PiiVault,
    /// The rows a registration stored, kept for its answer: built (hashed, sealed) once.
    stored: Mutex<Option<Registered>>,
}

/// A registration's petition row and its petitioners' rows.
type Registered = (petition::Model, Vec<petitioner::Model>);

impl<'v> PetitionRepository<'v> {
    pub fn new(vault: &'v PiiVault) -> Self {
        Self {
            vault,
            stored: Mutex::new(None),
        }
    }

    /// The rows the registration just saved wrote, as reading them back would give them: the
    /// clerk's answer comes from them without a second trip to the database.
    pub fn registered_rows(&self) -> Option<Registered> {
        self.stored().take()
    }

    fn stored(&self) -> std::sync::MutexGuard<'_, Option<Registered>> {
        self.stored
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The petition's row and its petitioners' rows when `event` is its registration.
    fn registration_rows(
        &self,
        id: &str,
        state: &Petition,
        event: &PetitionEvent,
        version: i64,
    ) -> Option<Registered> {
        let PetitionEvent::Registered {
            registration,
            receipt,
            screening,
            ..
        } = event
        else {
            return None;
        };
        let row = petition_row(
            id,
            state,
            registration,
            receipt,
            screening,
            self.vault,
            version,
        );
        Some((row, petitioner_rows(id, registration, self.vault)))
    }
}

impl Repository for PetitionRepository<'_> {
    type Aggregate = Petition;
    const KIND: &'static str = "petition";

    async fn load(
        &self,
        db: &impl ConnectionTrait,
        id: &str,
    ) -> Result<Option<Versioned<Petition>>, DbErr> {
        let Some(row) = petition::Entity::find_by_id(id.to_owned()).one(db).await? else {
            return Ok(None);
        };
        let state = State::parse(&row.state)
            .ok_or_else(|| DbErr::Type(format!("stored state {:?}", row.state)))?;
        Ok(Some(Versioned {
            state: Petition {
                case_number: row.case_number,
                state,
                organ: row.organ_code,
                registering_unit: row.registering_unit,
                region: row.region_code,
                registered_at: row.registered_at,
            },
            version: row.version,
        }))
    }

    async fn store(
        &self,
        writes: &mut Writes<'_>,
        id: &str,
        state: &Petition,
        events: &[PetitionEvent],
        expected: Option<i64>,
        version: i64,
    ) -> Result<bool, DbErr> {
        match (expected, events.first()) {
            (None, Some(event))
                if let Some((row, petitioners)) =
                    self.registration_rows(id, state, event, version) =>
            {
                // A second request with the same idempotency key fails the save, on its unique
                // key.
                writes.add_row(row.clone().into_active_model());
                // All of them in one insert: a group visit's petitioners cost one CTE.
                if !petitioners.is_empty() {
                    let models =
                        (petitioners.iter().cloned()).map(IntoActiveModel::into_active_model);
                    writes.add(
                        petitioner::Entity.table_name(),
                        petitioner::Entity::insert_many(models).into_query(),
                    );
                }
                *self.stored() = Some((row, petitioners));
                Ok(true)
            }
            (Some(expected), _) => {
                let update = petition::Entity::update_many()
                    .col_expr(petition::Column::State, Expr::value(state.state.as_str()))
                    .col_expr(
                        petition::Column::OrganCode,
                        Expr::value(state.organ.clone()),
                    )
                    .col_expr(petition::Column::Version, Expr::value(version))
                    .filter(petition::Column::Id.eq(id))
                    .filter(petition::Column::Version.eq(expected))
                    .into_query();
                update_guarded(writes, update).await
            }
            (None, _) => Err(DbErr::Custom(format!(
                "petition {id} starts with its registration"
            ))),
        }
    }

    fn announce(
        &self,
        id: &str,
        _after: &Petition,
        event: &PetitionEvent,
    ) -> Option<(String, Payload)> {
        match event {
            PetitionEvent::Registered {
                case_number,
                registration,
                screening,
                receipt,
                at,
            } => Some((
                id.to_owned(),
                registered_event(
                    case_number,
                    registration,
                    screening,
                    *at,
                    self.vault.hash(&receipt.query_code),
                ),
            )),
            // What the petitioner is told of the case is intake's own.
            PetitionEvent::CaseFollowed(_) => None,
        }
    }

    fn audit(&self, event: &PetitionEvent) -> (&'static str, serde_json::Value) {
        match event {
            PetitionEvent::Registered {
                case_number,
                registration,
                screening,
                ..
            } => (
                "register",
                serde_json::json!({
                    "case_number": case_number,
                    "state": screening.disposition.state().as_str(),
                    "channel": registration.channel.code,
                    "flags": flag_mask(screening),
                }),
            ),
            PetitionEvent::CaseFollowed(step) => (
                "follow_case",
                serde_json::json!({
                    "step": step.kind,
                    "state": step.state.map(State::as_str),
                }),
            ),
        }
    }

    async fn project(
        &self,
        writes: &mut Writes<'_>,
        id: &str,
        _before: Option<&Petition>,
        _after: &Petition,
        events: &[PetitionEvent],
        _meta: &Meta,
    ) -> Result<(), DbErr> {
        for event in events {
            match event {
                // Its row and its petitioners' are written whole by `store`.
                PetitionEvent::Registered { .. } => {}
                PetitionEvent::CaseFollowed(step) => {
                    writes.add_row(public_step_row(id, step));
                }
            }
        }
        Ok(())
    }
}

pub fn flag_mask(screening: &Screening) -> i64 {
    screening
        .flags
        .iter()
        .fold(0, |mask, f| mask | f.kind.bit())
}

fn linked(screening: &Screening) -> Option<String> {
    match &screening.disposition {
        Disposition::NewCase => None,
        Disposition::LinkedTo(id) | Disposition::NotReaccepted(id) => Some(id.clone()),
    }
}

fn id_type(identity: &Identity) -> pb::IdType {
    match identity {
        Identity::Resident(_) => pb::IdType::ResidentId,
        Identity::Passport(_) => pb::IdType::Passport,
        Identity::Other(_) => pb::IdType::Other,
        Identity::Anonymous => pb::IdType::None,
    }
}

fn petition_row(
    id: &str,
    state: &Petition,
    r: &Registration,
    receipt: &Receipt,
    screening: &Screening,
    vault: &PiiVault,
    version: i64,
) -> petition::Model {
    let flags: Vec<StoredFlag> = screening.flags.iter().map(Into::into).collect();
    petition::Model {
        id: id.to_owned(),
        case_number: state.case_number.clone(),
        kind: pb::ItemKind::from(r.kind).as_str_name().to_owned(),
        state: state.state.as_str().to_owned(),
        channel_code: r.channel.code.clone(),
        registering_unit: r.registering_unit.code.clone(),
        registering_region: r.registering_unit.region.to_string(),
        region_code: r.region.to_string(),
        content_category: r.category.code.clone(),
        title: r.title.clone(),
        content: r.content.clone(),
        headcount: r.headcount as i32,
        agent: r.agent.as_ref().map(|a| {
            serde_json::to_string(&AgentJson {
                name: a.name.clone(),
                phone_masked: a.phone.as_ref().map(|p| p.masked()).unwrap_or_default(),
                organisation: a.organisation.clone(),
                relation: a.relation.clone(),
            })
            .unwrap_or_default()
        }),
        attachments: serde_json::to_string(
            &r.attachments
                .iter()
                .map(AttachmentJson::from)
                .collect::<Vec<_>>(),
        )
        .unwrap_or_else(|_| "[]".into()),
        flags: serde_json::to_string(&flags).unwrap_or_else(|_| "[]".into()),
        flag_mask: flag_mask(screening),
        linked_petition_id: linked(screening),
        matter_key: r.matter_key.clone(),
        province_number: r.province_number.clone(),
        first_time_here: screening.first_time_here,
        first_time_anywhere: screening.first_time_anywhere,
        visited_level: r.visited_level.map(|l| l.name().to_owned()),
        petitioned_at: r.petitioned_at,
        registered_at: state.registered_at,
        registered_by: receipt.registered_by.clone(),
        query_code_hash: vault.hash(&receipt.query_code),
        query_code_sealed: vault.seal(&receipt.query_code, &sealed_at::query_code(id)),
        idempotency_key: receipt.idempotency_key.clone(),
        request_digest: receipt.request_digest.clone(),
        version,
        organ_code: None,
    }
}

/// The petitioners as stored: numbers sealed, hashed for look-up and masked for reading.
fn petitioner_rows(id: &str, r: &Registration, vault: &PiiVault) -> Vec<petitioner::Model> {
    r.petitioners
        .iter()
        .enumerate()
        .map(|(i, p)| (i as i32, p))
        .map(|(position, p)| petitioner::Model {
            petition_id: id.to_owned(),
            position,
            name: p.name.clone(),
            id_type: id_type(&p.identity).as_str_name().to_owned(),
            id_number_sealed: (p.identity.number())
                .map(|n| vault.seal(n, &sealed_at::id_number(id, position))),
            id_number_hash: p.identity.number().map(|n| vault.hash(n)),
            id_number_masked: p.identity.masked(),
            phone_sealed: (p.phone.as_ref())
                .map(|n| vault.seal(n.as_str(), &sealed_at::phone(id, position))),
            phone_masked: p.phone.as_ref().map(|n| n.masked()),
            address: p.address.clone(),
            region_code: p.region.to_string(),
            representative: p.representative,
        })
        .collect()
}

fn public_step_row(id: &str, step: &PublicStep) -> public_step::ActiveModel {
    public_step::ActiveModel {
        id: NotSet,
        petition_id: Set(id.to_owned()),
        kind: Set(step.kind.clone()),
        title: Set(step.title.clone()),
        organ_name: Set(step.organ_name.clone()),
        occurred_at: Set(step.occurred_at),
        text: Set(step.text.clone()),
        due_date: Set(step.due_date.clone()),
    }
}

/// `PetitionRegistered`: the item for the services that follow intake, petitioners masked.
fn registered_event(
    case_number: &str,
    r: &Registration,
    screening: &Screening,
    at: chrono::DateTime<chrono::Utc>,
    query_code_hash: String,
) -> Payload {
    let state = pb::PetitionState::from(screening.disposition.state());
    Payload::PetitionRegistered(PetitionRegistered {
        case_number: case_number.to_owned(),
        kind: pb::ItemKind::from(r.kind) as i32,
        state: state as i32,
        channel_code: r.channel.code.clone(),
        online: r.channel.online,
        visit: r.channel.visit,
        registering_unit: r.registering_unit.code.clone(),
        region_code: r.region.to_string(),
        content_category: r.category.code.clone(),
        title: r.title.clone(),
        petitioners: r
            .petitioners
            .iter()
            .map(|p| pb::Petitioner {
                name: mask_name(&p.name),
                id_type: id_type(&p.identity) as i32,
                id_number: p.identity.masked().unwrap_or_default(),
                phone: p.phone.as_ref().map(|n| n.masked()).unwrap_or_default(),
                address: p.address.clone(),
                region_code: p.region.to_string(),
                representative: p.representative,
            })
            .collect(),
        headcount: r.headcount as i32,
        flags: screening
            .flags
            .iter()
            .map(|f| StoredFlag::from(f).to_wire())
            .collect(),
        linked_petition_id: linked(screening).unwrap_or_default(),
        first_time_here: screening.first_time_here,
        first_time_anywhere: screening.first_time_anywhere,
        petitioned_at: Some(wire::timestamp(r.petitioned_at)),
        registered_at: Some(wire::timestamp(at)),
        triage_deadline: None,
        matter_key: r.matter_key.clone(),
        query_code_hash,
        province_number: r.province_number.clone(),
    })
}
