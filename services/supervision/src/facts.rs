//! Following intake's and dispatch's events: each item's watched clock and the facts the metrics
//! count. Applied with the inbox row in one transaction, so a redelivered event changes nothing.

use crate::clock::{self, set_limit};
use crate::counts;
use crate::entity::item;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, DatabaseTransaction, EntityTrait, IntoActiveModel};
use xinfang_domain::clock::due_date;
use xinfang_domain::lifecycle::State;
use xinfang_domain::metrics::Definitions;
use xinfang_events::consumer::EventHandler;
use xinfang_events::{Envelope, Payload};
use xinfang_platform::clock::NodeClock;
use xinfang_platform::config::LimitSettings;
use xinfang_platform::reference::ReferenceStore;
use xinfang_proto::convert::state_from_wire;
use xinfang_proto::xinfang::petition::v1 as pb;

pub struct Facts {
    pub reference: ReferenceStore,
    pub limits: LimitSettings,
    pub clock: NodeClock,
    pub warn_days: u32,
    pub definitions: Definitions,
}

fn date_of(clock: &NodeClock, ts: &Option<prost_types::Timestamp>) -> Option<String> {
    ts.as_ref()
        .and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .map(|t| clock.date_of(t).to_string())
}

fn has_flag(flags: &[pb::ScreeningFlag], kind: pb::FlagKind) -> bool {
    flags.iter().any(|f| f.kind == kind as i32)
}

impl EventHandler for Facts {
    async fn apply(&self, txn: &DatabaseTransaction, envelope: &Envelope) -> anyhow::Result<()> {
        let Some(payload) = &envelope.payload else {
            return Ok(());
        };
        let id = envelope.petition_id.clone();
        let stored = item::Entity::find_by_id(id.clone()).one(txn).await?;
        let existed = stored.is_some();
        let mut item = stored.unwrap_or_else(|| item::Model {
            petition_id: id.clone(),
            state: State::Registered.as_str().into(),
            ..Default::default()
        });
        let before = item.clone();
        let on = date_of(&self.clock, &envelope.occurred_at)
            .unwrap_or_else(|| self.clock.today().to_string());
        let warn = self.warn_days;
        match payload {
            Payload::PetitionRegistered(e) => {
                item.case_number = e.case_number.clone();
                item.region_code = e.region_code.clone();
                item.registering_unit = e.registering_unit.clone();
                item.channel_code = e.channel_code.clone();
                item.online = e.online;
                item.visit = e.visit;
                item.repeat = has_flag(&e.flags, pb::FlagKind::Repeat);
                item.bypass = has_flag(&e.flags, pb::FlagKind::BypassVisit);
                item.first_time = e.first_time_here;
                item.petitioned_on = date_of(&self.clock, &e.petitioned_at);
                item.registered_on = date_of(&self.clock, &e.registered_at);
                if let Some(state) = pb::PetitionState::try_from(e.state)
                    .ok()
                    .and_then(state_from_wire)
                    && state != State::Registered
                {
                    item.state = state.as_str().into();
                }
                if !e.linked_petition_id.is_empty() {
                    mark_repeated(txn, &self.definitions, &e.linked_petition_id).await?;
                }
            }
            Payload::CaseOpened(e) => {
                item.organ_code = Some(e.organ_code.clone());
                set_limit(&mut item, e.triage_deadline.as_ref(), warn);
            }
            Payload::CaseTriaged(e) => {
                let state = pb::PetitionState::try_from(e.state)
                    .ok()
                    .and_then(state_from_wire);
                if let Some(state) = state {
                    item.state = state.as_str().into();
                }
                match state {
                    Some(State::Forwarded | State::Assigned) => {
                        item.organ_code = Some(e.organ_code.clone());
                        item.acceptance_due =
                            e.acceptance_deadline.as_ref().map(|d| d.due_date.clone());
                        set_limit(&mut item, e.acceptance_deadline.as_ref(), warn);
                    }
                    // Escalated inside the node: the level above triages, same clock.
                    Some(State::Registered) => item.organ_code = Some(e.organ_code.clone()),
                    _ => set_limit(&mut item, None, warn),
                }
            }
            Payload::CaseObjected(e) => {
                item.state = State::Registered.as_str().into();
                item.organ_code = Some(e.triage_unit.clone());
                set_limit(&mut item, e.triage_deadline.as_ref(), warn);
            }
            Payload::CaseAccepted(e) => {
                item.state = State::Accepted.as_str().into();
                item.accepted_on = Some(on.clone());
                item.accepted_in_time = e.within_limit;
                item.acceptance_overdue = false;
                item.answer_overdue = false;
                item.answer_due = e.handling_deadline.as_ref().map(|d| d.due_date.clone());
                set_limit(&mut item, e.handling_deadline.as_ref(), warn);
            }
            Payload::ExtensionDecided(e) if e.approved => {
                item.answer_overdue = false;
                item.answer_due = e.handling_deadline.as_ref().map(|d| d.due_date.clone());
                set_limit(&mut item, e.handling_deadline.as_ref(), warn);
            }
            Payload::CaseAnswered(e) => {
                item.state = State::Answered.as_str().into();
                item.answered_on = Some(e.answered_date.clone());
                item.answered_on_time = e.on_time;
                // The petitioner's windows are theirs to use: no organ is supervised on them.
                let answered = chrono::NaiveDate::parse_from_str(&e.answered_date, "%Y-%m-%d")?;
                let window = due_date(
                    &self.reference.current().calendar,
                    &self.limits.limit("evaluation_window"),
                    answered,
                    &[],
                    0,
                )?;
                item.evaluation_due = Some(window.due.to_string());
                set_limit(&mut item, None, warn);
            }
            Payload::SuggestionDecided(_) => {
                item.state = State::Answered.as_str().into();
                item.answered_on = Some(on.clone());
                set_limit(&mut item, None, warn);
            }
            Payload::CaseTransferred(e) if !e.to_node_region_code.is_empty() => {
                item.state = State::TransferredOut.as_str().into();
                set_limit(&mut item, None, warn);
            }
            Payload::CaseTransferred(e) => item.organ_code = Some(e.to_organ_code.clone()),
            Payload::EvaluationSubmitted(e) => {
                item.evaluated = true;
                item.satisfied = matches!(
                    pb::Satisfaction::try_from(e.department).unwrap_or_default(),
                    pb::Satisfaction::Satisfied | pb::Satisfaction::BasicallySatisfied
                );
                let watched = clock::watched(&item);
                clock::store(&mut item, &watched, warn);
            }
            _ => return Ok(()),
        }
        if item == before && existed {
            return Ok(());
        }
        counts::apply_change(txn, &self.definitions, existed.then_some(&before), &item).await?;
        if existed {
            item.into_active_model().reset_all().update(txn).await?;
        } else {
            item.into_active_model().insert(txn).await?;
        }
        Ok(())
    }
}

/// 初信初访一次性办结: a later repeat of an item means it was not settled in one pass. Events
/// of different items may arrive in any order, so the original may not be known yet: its row is
/// started here and completed by its own registration.
async fn mark_repeated(
    txn: &DatabaseTransaction,
    definitions: &Definitions,
    original: &str,
) -> anyhow::Result<()> {
    match item::Entity::find_by_id(original.to_owned())
        .one(txn)
        .await?
    {
        Some(item) if item.repeated_later => {}
        Some(item) => {
            let repeated = item::Model {
                repeated_later: true,
                ..item.clone()
            };
            counts::apply_change(txn, definitions, Some(&item), &repeated).await?;
            repeated.into_active_model().reset_all().update(txn).await?;
        }
        None => {
            let placeholder = item::Model {
                petition_id: original.to_owned(),
                state: State::Registered.as_str().into(),
                repeated_later: true,
                ..Default::default()
            };
            placeholder.into_active_model().insert(txn).await?;
        }
    }
    Ok(())
}
