//! The case on the write path: its row, guarded by its version; what each of its events
//! announces on `xinfang.dispatch.events`; and the step rows of its timeline.

use crate::announce;
use crate::entity::{case, step};
use chrono::Utc;
use sea_orm::ActiveValue::NotSet;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel};
use xinfang_domain::aggregate::Aggregate;
use xinfang_domain::case::{
    Case, CaseEvent, ExtensionRequest, Opinion, PauseKind, RunningPause, SuggestionDecision,
};
use xinfang_domain::lifecycle::State;
use xinfang_events::Payload;
use xinfang_proto::convert::{kind_from_wire, opinion_from_wire, suggestion_from_wire};
use xinfang_proto::xinfang::dispatch::v1 as dp;
use xinfang_proto::xinfang::petition::v1 as pb;
use xinfang_store::rows::{date, text, write_row};
use xinfang_store::{Meta, Repository, Versioned, Writes};

pub struct CaseRepository;

impl Repository for CaseRepository {
    type Aggregate = Case;
    const KIND: &'static str = "case";

    async fn load(
        &self,
        db: &impl ConnectionTrait,
        id: &str,
    ) -> Result<Option<Versioned<Case>>, DbErr> {
        case::Entity::find_by_id(id.to_owned())
            .one(db)
            .await?
            .map(from_row)
            .transpose()
    }

    async fn store(
        &self,
        writes: &mut Writes<'_>,
        id: &str,
        state: &Case,
        _events: &[CaseEvent],
        expected: Option<i64>,
        version: i64,
    ) -> Result<bool, DbErr> {
        let row = to_row(state, version)?.into_active_model();
        let key = Condition::all().add(case::Column::PetitionId.eq(id));
        write_row(writes, row, key, case::Column::Version, expected).await
    }

    fn announce(&self, id: &str, _after: &Case, event: &CaseEvent) -> Option<(String, Payload)> {
        Some((id.to_owned(), announce::payload(event)))
    }

    fn audit(&self, event: &CaseEvent) -> (&'static str, serde_json::Value) {
        let action = announce::action(event);
        (action, serde_json::json!({ "step": action }))
    }

    async fn project(
        &self,
        writes: &mut Writes<'_>,
        id: &str,
        before: Option<&Case>,
        _after: &Case,
        events: &[CaseEvent],
        meta: &Meta,
    ) -> Result<(), DbErr> {
        let mut state = before.cloned();
        for event in events {
            let mut row = announce::step(id, state.as_ref(), event, meta).into_active_model();
            row.id = NotSet;
            writes.add_row(row);
            state = Case::evolve(state, event);
        }
        Ok(())
    }
}

fn json_err(e: serde_json::Error) -> DbErr {
    DbErr::Json(e.to_string())
}

/// The stored name of an answer: a handling opinion, or a suggestion's decision.
fn outcome_name(case: &Case) -> Option<String> {
    match (case.opinion, case.suggestion) {
        (Some(o), _) => Some(pb::HandlingOpinion::from(o).as_str_name().to_owned()),
        (None, Some(d)) => Some(dp::SuggestionDecision::from(d).as_str_name().to_owned()),
        (None, None) => None,
    }
}

fn outcome(name: Option<&str>) -> (Option<Opinion>, Option<SuggestionDecision>) {
    let Some(name) = name else {
        return (None, None);
    };
    (
        pb::HandlingOpinion::from_str_name(name).and_then(opinion_from_wire),
        dp::SuggestionDecision::from_str_name(name).and_then(suggestion_from_wire),
    )
}

pub fn to_row(c: &Case, version: i64) -> Result<case::Model, DbErr> {
    Ok(case::Model {
        petition_id: c.petition_id.clone(),
        case_number: c.case_number.clone(),
        kind: pb::ItemKind::from(c.kind).as_str_name().to_owned(),
        state: c.state.as_str().to_owned(),
        first_handler_unit: c.first_handler_unit.clone(),
        first_handler_region: c.first_handler_region.clone(),
        triage_unit: c.triage_unit.clone(),
        region_code: c.region.clone(),
        content_category: c.category.clone(),
        channel_code: c.channel.clone(),
        flag_mask: c.flag_mask,
        responsible_organ: c.organ.clone(),
        responsible_region: c.organ_region.clone(),
        handler_user_id: c.handler.clone(),
        routed_on: text(c.routed_on),
        deadline: c
            .deadline
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(json_err)?,
        due_date: text(c.due()),
        extension_days: c.extension_days as i32,
        extension_requested: c.extension_request.as_ref().map(|r| r.days as i32),
        extension_reason: c.extension_request.as_ref().map(|r| r.reason.clone()),
        opinion: outcome_name(c),
        report_back_date: text(c.report_back),
        registered_at: c.registered_at,
        updated_at: Utc::now(),
        version,
        pause_kind: c.pause.as_ref().map(|p| p.kind.as_str().to_owned()),
        pause_reason: c.pause.as_ref().map(|p| p.reason.clone()),
        pause_start: text(c.pause.as_ref().map(|p| p.start)),
        provisional: c.deadline.as_ref().is_some_and(|d| d.provisional),
    })
}

pub fn from_row(row: case::Model) -> Result<Versioned<Case>, DbErr> {
    let state = State::parse(&row.state)
        .ok_or_else(|| DbErr::Type(format!("stored state {:?}", row.state)))?;
    let (opinion, suggestion) = outcome(row.opinion.as_deref());
    let pause = match (&row.pause_kind, date(&row.pause_start)?) {
        (Some(kind), Some(start)) => Some(RunningPause {
            kind: PauseKind::parse(kind)
                .ok_or_else(|| DbErr::Type(format!("stored pause kind {kind:?}")))?,
            reason: row.pause_reason.clone().unwrap_or_default(),
            start,
        }),
        _ => None,
    };
    let case = Case {
        petition_id: row.petition_id,
        case_number: row.case_number,
        kind: kind_from_wire(pb::ItemKind::from_str_name(&row.kind).unwrap_or_default()),
        state,
        first_handler_unit: row.first_handler_unit,
        first_handler_region: row.first_handler_region,
        triage_unit: row.triage_unit,
        region: row.region_code,
        category: row.content_category,
        channel: row.channel_code,
        flag_mask: row.flag_mask,
        organ: row.responsible_organ,
        organ_region: row.responsible_region,
        handler: row.handler_user_id,
        routed_on: date(&row.routed_on)?,
        deadline: row
            .deadline
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(json_err)?,
        pause,
        extension_days: row.extension_days.max(0) as u32,
        extension_request: row.extension_requested.map(|days| ExtensionRequest {
            days: days.max(0) as u32,
            reason: row.extension_reason.clone().unwrap_or_default(),
        }),
        opinion,
        suggestion,
        report_back: date(&row.report_back_date)?,
        registered_at: row.registered_at,
    };
    Ok(Versioned {
        state: case,
        version: row.version,
    })
}

/// A step row before its id is assigned.
pub fn new_step(id: &str, action: &str, meta: &Meta) -> step::Model {
    step::Model {
        id: 0,
        petition_id: id.to_owned(),
        action: action.to_owned(),
        actor: meta.user.clone(),
        actor_unit: meta.unit.clone(),
        organ_code: String::new(),
        destination: String::new(),
        reason: String::new(),
        text: String::new(),
        occurred_at: meta.at,
        deadlines: "[]".into(),
        public: false,
    }
}
