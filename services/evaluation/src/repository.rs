//! The item after its answer on the write path: its row (the aggregate as JSON beside the
//! columns the scope and the watcher select by), what its events announce, and its tokens.

use crate::entity::{item, token};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityName, EntityTrait, IntoActiveModel,
    QueryTrait, Set,
};
use xinfang_domain::clock::Limits;
use xinfang_domain::evaluation::{Item, ItemEvent, ReviewOutcome, Stage};
use xinfang_domain::reference::ReferenceData;
use xinfang_events::Payload;
use xinfang_proto::xinfang::evaluation::v1 as evp;
use xinfang_proto::xinfang::events::v1 as ev;
use xinfang_proto::xinfang::petition::v1 as pb;
use xinfang_store::rows::{from_json, text, to_json, write_row};
use xinfang_store::{Meta, Repository, Versioned, Writes};

pub struct ItemRepository<'a> {
    pub limits: &'a Limits,
    pub reference: &'a ReferenceData,
}

impl ItemRepository<'_> {
    fn to_row(&self, id: &str, item: &Item, version: i64) -> Result<item::Model, DbErr> {
        let organ_of = |stage: Stage| {
            item.reviews
                .iter()
                .rev()
                .find(|r| r.stage == stage && matches!(r.outcome, ReviewOutcome::Accepted { .. }))
                .map(|r| r.organ.clone())
                .unwrap_or_default()
        };
        let registration = item.registration.as_ref();
        Ok(item::Model {
            petition_id: id.to_owned(),
            case_number: registration
                .map(|r| r.case_number.clone())
                .unwrap_or_default(),
            region_code: registration.map(|r| r.region.clone()).unwrap_or_default(),
            registering_unit: registration
                .map(|r| r.registering_unit.clone())
                .unwrap_or_default(),
            answer_organ: item
                .answer
                .as_ref()
                .map(|a| a.organ.clone())
                .unwrap_or_default(),
            review_organ: organ_of(Stage::Review),
            re_examination_organ: organ_of(Stage::ReExamination),
            lifecycle: item.state().map(|s| s.as_str()).unwrap_or("").to_owned(),
            terminated_on: text(item.terminated.as_ref().map(|t| t.on)),
            next_check: text(item.next_check(self.limits, &self.reference.calendar)),
            state: to_json(item)?,
            version,
        })
    }
}

pub fn item_from_row(row: item::Model) -> Result<Versioned<Item>, DbErr> {
    let state = from_json(&row.state, &format!("evaluation item {}", row.petition_id))?;
    Ok(Versioned {
        state,
        version: row.version,
    })
}

impl Repository for ItemRepository<'_> {
    type Aggregate = Item;
    const KIND: &'static str = "evaluation";

    async fn load(
        &self,
        db: &impl ConnectionTrait,
        id: &str,
    ) -> Result<Option<Versioned<Item>>, DbErr> {
        item::Entity::find_by_id(id.to_owned())
            .one(db)
            .await?
            .map(item_from_row)
            .transpose()
    }

    async fn store(
        &self,
        writes: &mut Writes<'_>,
        id: &str,
        state: &Item,
        _events: &[ItemEvent],
        expected: Option<i64>,
        version: i64,
    ) -> Result<bool, DbErr> {
        let row = self.to_row(id, state, version)?.into_active_model();
        let key = Condition::all().add(item::Column::PetitionId.eq(id));
        write_row(writes, row, key, item::Column::Version, expected).await
    }

    fn announce(&self, id: &str, after: &Item, event: &ItemEvent) -> Option<(String, Payload)> {
        let stage = |s: Stage| evp::Stage::from(s) as i32;
        let payload = match event {
            ItemEvent::Evaluated(e) => Payload::EvaluationSubmitted(ev::EvaluationSubmitted {
                department: pb::Satisfaction::from(e.department) as i32,
                handling_organ: pb::Satisfaction::from(e.organ) as i32,
                stage: stage(e.stage),
                channel: evp::EvaluationChannel::from(e.channel) as i32,
            }),
            ItemEvent::Requested(r) => {
                let (accepted, notice, deadline) = match &r.outcome {
                    ReviewOutcome::NotAccepted { notice } => (false, notice.clone(), None),
                    ReviewOutcome::Accepted { deadline, .. } => {
                        (true, String::new(), Some(deadline.into()))
                    }
                };
                Payload::ReviewRequested(ev::ReviewRequested {
                    stage: stage(r.stage),
                    organ_code: r.organ.clone(),
                    accepted,
                    notice,
                    decision_deadline: deadline,
                })
            }
            ItemEvent::Decided {
                stage: s, decision, ..
            } => Payload::ReviewDecided(ev::ReviewDecided {
                stage: stage(*s),
                opinion: pb::HandlingOpinion::from(decision.opinion) as i32,
                organ_code: decision.organ.clone(),
                text: decision.text.clone(),
                decided_date: decision.on.to_string(),
                request_window: after
                    .request_deadline(self.limits, &self.reference.calendar)
                    .as_ref()
                    .map(Into::into),
            }),
            ItemEvent::HearingScheduled(h) => Payload::HearingScheduled(ev::HearingScheduled {
                hearing_id: format!("{id}/{}", h.start),
                date: h.start.to_string(),
            }),
            ItemEvent::HearingEnded { end, deadline, .. } => {
                let start = after
                    .pending()
                    .and_then(|p| match &p.outcome {
                        ReviewOutcome::Accepted { hearings, .. } => {
                            hearings.iter().rev().find(|h| h.end == Some(*end))
                        }
                        ReviewOutcome::NotAccepted { .. } => None,
                    })
                    .map(|h| h.start.to_string())
                    .unwrap_or_default();
                Payload::HearingEnded(ev::HearingEnded {
                    hearing_id: format!("{id}/{start}"),
                    start_date: start,
                    end_date: end.to_string(),
                    deadline: Some(deadline.into()),
                })
            }
            ItemEvent::Terminated(t) => Payload::PetitionTerminated(ev::PetitionTerminated {
                reason: t.reason.clone(),
                matter_key: after
                    .registration
                    .as_ref()
                    .map(|r| r.matter_key.clone())
                    .unwrap_or_default(),
            }),
            ItemEvent::ReportedToProvince(r) => {
                Payload::ProvinceEvaluationMarked(ev::ProvinceEvaluationMarked {
                    reason: r.reason.clone(),
                    marked_date: r.on.to_string(),
                })
            }
            ItemEvent::Closed { .. } => Payload::PetitionClosed(ev::PetitionClosed {
                reason: "申请期限届满未提出复查或复核，办结".into(),
            }),
            // What intake and dispatch told, and the revisit, stay here.
            ItemEvent::Registered(_)
            | ItemEvent::Redirected { .. }
            | ItemEvent::SpotChecked(_)
            | ItemEvent::Answered { .. }
            | ItemEvent::RevisitOpened(_)
            | ItemEvent::RevisitRecorded(_) => return None,
        };
        Some((id.to_owned(), payload))
    }

    fn audit(&self, event: &ItemEvent) -> (&'static str, serde_json::Value) {
        use serde_json::json;
        match event {
            ItemEvent::Registered(_) => ("registered", serde_json::Value::Null),
            ItemEvent::Redirected { route } => ("redirected", json!({ "route": route })),
            ItemEvent::SpotChecked(c) => ("spot_check", json!({ "unit": c.unit })),
            ItemEvent::ReportedToProvince(r) => {
                ("report_to_province", json!({ "on": r.on.to_string() }))
            }
            ItemEvent::Answered { opinion, .. } => (
                "answered",
                json!({ "organ": opinion.organ, "on": opinion.on.to_string() }),
            ),
            ItemEvent::Evaluated(e) => (
                "evaluate",
                json!({ "stage": e.stage.as_str(), "department": e.department, "organ": e.organ,
                        "proxy": e.proxy.as_ref().map(|p| &p.name) }),
            ),
            ItemEvent::RevisitOpened(r) => (
                "open_revisit",
                json!({ "organ": r.organ, "due": r.due.to_string() }),
            ),
            ItemEvent::RevisitRecorded(_) => ("record_revisit", serde_json::Value::Null),
            ItemEvent::Requested(r) => (
                "request",
                json!({ "stage": r.stage.as_str(), "organ": r.organ,
                        "accepted": matches!(r.outcome, ReviewOutcome::Accepted { .. }) }),
            ),
            ItemEvent::Decided {
                stage, decision, ..
            } => (
                "decide",
                json!({ "stage": stage.as_str(), "opinion": decision.opinion }),
            ),
            ItemEvent::HearingScheduled(h) => {
                ("schedule_hearing", json!({ "start": h.start.to_string() }))
            }
            ItemEvent::HearingEnded { end, deadline, .. } => (
                "end_hearing",
                json!({ "end": end.to_string(), "due": deadline.due.to_string() }),
            ),
            ItemEvent::Terminated(t) => ("terminate", json!({ "on": t.on.to_string() })),
            ItemEvent::Closed { on } => ("close", json!({ "on": on.to_string() })),
        }
    }

    /// Each new token is found by its hash.
    async fn project(
        &self,
        writes: &mut Writes<'_>,
        id: &str,
        _before: Option<&Item>,
        _after: &Item,
        events: &[ItemEvent],
        _meta: &Meta,
    ) -> Result<(), DbErr> {
        for event in events {
            let (stage, hash) = match event {
                ItemEvent::Answered { token_hash, .. } => (Stage::Answer, token_hash),
                ItemEvent::Decided {
                    stage, token_hash, ..
                } => (*stage, token_hash),
                _ => continue,
            };
            writes.add(
                token::Entity.table_name(),
                token::Entity::insert(token::ActiveModel {
                    hash: Set(hash.clone()),
                    petition_id: Set(id.to_owned()),
                    stage: Set(stage.as_str().to_owned()),
                })
                .on_conflict(OnConflict::new().do_nothing().to_owned())
                .into_query(),
            );
        }
        Ok(())
    }
}
