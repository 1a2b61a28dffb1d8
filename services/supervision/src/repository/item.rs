//! The watched item: its row (with the next check date the watcher's index orders by), the
//! warnings and overdue marks it announces, and the kept metric counts, changed by the
//! difference between the item before and after, in the same transaction.

use crate::counts;
use crate::entity::item;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel};
use xinfang_domain::lifecycle::State;
use xinfang_domain::metrics::Definitions;
use xinfang_domain::supervision::{Due, Item, ItemEvent};
use xinfang_events::Payload;
use xinfang_proto::xinfang::events::v1 as ev;
use xinfang_store::rows::{date, text, write_row};
use xinfang_store::{Meta, Repository, Versioned, Writes};

pub struct ItemRepository {
    pub warn_days: u32,
    pub definitions: Definitions,
}

impl Repository for ItemRepository {
    type Aggregate = Item;
    const KIND: &'static str = "item";

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
        let row = to_row(id, state, self.warn_days, version).into_active_model();
        let key = Condition::all().add(item::Column::PetitionId.eq(id));
        write_row(writes, row, key, item::Column::Version, expected).await
    }

    fn announce(&self, id: &str, _after: &Item, event: &ItemEvent) -> Option<(String, Payload)> {
        let payload = match event.clone() {
            ItemEvent::Warned { limit, due, organ } => {
                Payload::DeadlineWarned(ev::DeadlineWarned {
                    limit_name: limit,
                    due_date: due.to_string(),
                    organ_code: organ,
                })
            }
            ItemEvent::MarkedOverdue { limit, due, organ } => {
                Payload::DeadlineOverdue(ev::DeadlineOverdue {
                    limit_name: limit,
                    due_date: due.to_string(),
                    organ_code: organ,
                })
            }
            ItemEvent::Recorded(_)
            | ItemEvent::RepeatedLater
            | ItemEvent::EvaluationWindowPassed => return None,
        };
        Some((id.to_owned(), payload))
    }

    fn audit(&self, event: &ItemEvent) -> (&'static str, serde_json::Value) {
        match event {
            ItemEvent::Recorded(_) => ("fact", serde_json::Value::Null),
            ItemEvent::RepeatedLater => ("repeated_later", serde_json::Value::Null),
            ItemEvent::Warned { limit, due, .. } => (
                "warn",
                serde_json::json!({ "limit": limit, "due": due.to_string() }),
            ),
            ItemEvent::MarkedOverdue { limit, due, .. } => (
                "overdue",
                serde_json::json!({ "limit": limit, "due": due.to_string() }),
            ),
            ItemEvent::EvaluationWindowPassed => ("evaluation_missed", serde_json::Value::Null),
        }
    }

    async fn project(
        &self,
        writes: &mut Writes<'_>,
        _id: &str,
        before: Option<&Item>,
        after: &Item,
        _events: &[ItemEvent],
        _meta: &Meta,
    ) -> Result<(), DbErr> {
        counts::apply_change(writes, &self.definitions, before, after);
        Ok(())
    }
}

fn to_row(id: &str, i: &Item, warn_days: u32, version: i64) -> item::Model {
    item::Model {
        petition_id: id.to_owned(),
        case_number: i.case_number.clone(),
        region_code: i.region.clone(),
        registering_unit: i.registering_unit.clone(),
        channel_code: i.channel.clone(),
        organ_code: i.organ.clone(),
        state: i.state.as_str().to_owned(),
        online: i.online,
        visit: i.visit,
        repeat: i.repeat,
        bypass: i.bypass,
        first_time: i.first_time,
        petitioned_on: text(i.petitioned_on),
        registered_on: text(i.registered_on),
        registered_at: i.registered_at,
        exchanged_on: text(i.exchanged_on),
        limit_name: i.clock.as_ref().map(|c| c.limit.clone()),
        due_date: text(i.clock.as_ref().map(|c| c.due)),
        deadline: i.clock.as_ref().map(|c| c.explanation.clone()),
        warned_due: text(i.warned_due),
        overdue_due: text(i.overdue_due),
        next_check: text(i.next_check(warn_days)),
        acceptance_due: text(i.acceptance_due),
        accepted_on: text(i.accepted_on),
        accepted_in_time: i.accepted_in_time,
        acceptance_overdue: i.acceptance_overdue,
        answer_due: text(i.answer_due),
        answered_on: text(i.answered_on),
        answered_on_time: i.answered_on_time,
        answer_overdue: i.answer_overdue,
        evaluation_due: text(i.evaluation_due),
        evaluated: i.evaluated,
        satisfied: i.satisfied,
        evaluation_missed: i.evaluation_missed,
        repeated_later: i.repeated_later,
        escalated: i.escalated,
        screened: i.screened,
        paused: i.paused,
        version,
    }
}

pub fn item_from_row(row: item::Model) -> Result<Versioned<Item>, DbErr> {
    let state = State::parse(&row.state)
        .ok_or_else(|| DbErr::Type(format!("stored state {:?}", row.state)))?;
    let clock = match (&row.limit_name, date(&row.due_date)?) {
        (Some(limit), Some(due)) => Some(Due {
            limit: limit.clone(),
            due,
            explanation: row.deadline.clone().unwrap_or_default(),
        }),
        _ => None,
    };
    let item = Item {
        case_number: row.case_number,
        region: row.region_code,
        registering_unit: row.registering_unit,
        channel: row.channel_code,
        organ: row.organ_code,
        state,
        online: row.online,
        visit: row.visit,
        repeat: row.repeat,
        bypass: row.bypass,
        first_time: row.first_time,
        petitioned_on: date(&row.petitioned_on)?,
        registered_on: date(&row.registered_on)?,
        registered_at: row.registered_at,
        exchanged_on: date(&row.exchanged_on)?,
        clock,
        paused: row.paused,
        warned_due: date(&row.warned_due)?,
        overdue_due: date(&row.overdue_due)?,
        acceptance_due: date(&row.acceptance_due)?,
        accepted_on: date(&row.accepted_on)?,
        accepted_in_time: row.accepted_in_time,
        acceptance_overdue: row.acceptance_overdue,
        answer_due: date(&row.answer_due)?,
        answered_on: date(&row.answered_on)?,
        answered_on_time: row.answered_on_time,
        answer_overdue: row.answer_overdue,
        evaluation_due: date(&row.evaluation_due)?,
        evaluated: row.evaluated,
        satisfied: row.satisfied,
        evaluation_missed: row.evaluation_missed,
        repeated_later: row.repeated_later,
        escalated: row.escalated,
        screened: row.screened,
    };
    Ok(Versioned {
        state: item,
        version: row.version,
    })
}
