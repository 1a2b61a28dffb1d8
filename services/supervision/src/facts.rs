//! Following the other services' events: each event becomes a fact about an item, decided
//! by the watched item (`xinfang_domain::supervision::Item`) and saved through the unit of work
//! with the kept metric counts, in the transaction of the event's inbox row; the annual report's
//! facts are tallied, and an item a leader received is packaged to that leader.

use crate::SERVICE;
use crate::oversight::Oversight;
use crate::{backlog, screening, tally};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::DatabaseTransaction;
use xinfang_domain::aggregate::Aggregate;
use xinfang_domain::clock::due_date;
use xinfang_domain::lifecycle::State;
use xinfang_domain::supervision::{Due, Fact, Item, ItemCommand, ItemContext};
use xinfang_events::consumer::{EventHandler, HandlerError};
use xinfang_events::{Envelope, Payload};
use xinfang_proto::convert::state_from_wire;
use xinfang_proto::xinfang::petition::v1 as pb;
use xinfang_store::{Meta, reference_updates};

pub struct Facts {
    pub oversight: Oversight,
}

fn permanent(message: impl Into<String>) -> HandlerError {
    HandlerError::Permanent(message.into())
}

fn day(value: &str, what: &str) -> Result<NaiveDate, HandlerError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| permanent(format!("{what} {value:?} is not a date")))
}

fn due(deadline: &Option<pb::Deadline>, what: &str) -> Result<Due, HandlerError> {
    let d = deadline
        .as_ref()
        .ok_or_else(|| permanent(format!("{what} without its deadline")))?;
    Ok(Due {
        limit: d.limit_name.clone(),
        due: day(&d.due_date, "due date")?,
        explanation: d.explanation.clone(),
    })
}

fn has_flag(flags: &[pb::ScreeningFlag], kind: pb::FlagKind) -> bool {
    flags.iter().any(|f| f.kind == kind as i32)
}

fn state(value: i32) -> Option<State> {
    pb::PetitionState::try_from(value)
        .ok()
        .and_then(state_from_wire)
}

impl Facts {
    fn date_of(&self, ts: &Option<prost_types::Timestamp>) -> Option<NaiveDate> {
        ts.as_ref()
            .and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, t.nanos.max(0) as u32))
            .map(|t| self.oversight.clock.date_of(t))
    }

    /// The fact an event tells, if supervision follows it.
    fn fact(&self, envelope: &Envelope, payload: &Payload) -> Result<Option<Fact>, HandlerError> {
        let on = || {
            self.date_of(&envelope.occurred_at)
                .ok_or_else(|| permanent("an event without its time"))
        };
        Ok(Some(match payload {
            Payload::PetitionRegistered(e) => Fact::Registered {
                case_number: e.case_number.clone(),
                region: e.region_code.clone(),
                registering_unit: e.registering_unit.clone(),
                channel: e.channel_code.clone(),
                online: e.online,
                visit: e.visit,
                repeat: has_flag(&e.flags, pb::FlagKind::Repeat),
                bypass: has_flag(&e.flags, pb::FlagKind::BypassVisit),
                first_time: e.first_time_here,
                petitioned_on: self.date_of(&e.petitioned_at),
                registered_on: self.date_of(&e.registered_at),
                registered_at: e.registered_at.as_ref().and_then(|t| {
                    DateTime::<Utc>::from_timestamp(t.seconds, t.nanos.max(0) as u32)
                }),
                state: state(e.state).unwrap_or(State::Registered),
                // [default] escalated: a group or bypass visit (集体访, 越级访).
                escalated: e.visit
                    && (has_flag(&e.flags, pb::FlagKind::GroupPetition)
                        || has_flag(&e.flags, pb::FlagKind::BypassVisit)),
                screened: false,
            },
            Payload::CaseOpened(e) => Fact::Opened {
                triage_unit: e.organ_code.clone(),
                triage: due(&e.triage_deadline, "a case opened")?,
            },
            Payload::CaseTriaged(e) => match state(e.state) {
                Some(state @ (State::Forwarded | State::Assigned)) => Fact::Routed {
                    state,
                    organ: e.organ_code.clone(),
                    acceptance: due(&e.acceptance_deadline, "a routed case")?,
                },
                // Escalated inside the node: the level above triages, same clock.
                Some(State::Registered) => Fact::EscalatedWithin {
                    triage_unit: e.organ_code.clone(),
                },
                Some(state) => Fact::Left { state },
                None => return Err(permanent(format!("triaged to unknown state {}", e.state))),
            },
            Payload::CaseObjected(e) => Fact::Objected {
                triage_unit: e.triage_unit.clone(),
                triage: due(&e.triage_deadline, "an objection")?,
            },
            Payload::CaseAccepted(e) => Fact::Accepted {
                on: on()?,
                in_time: e.within_limit,
                handling: due(&e.handling_deadline, "an acceptance")?,
            },
            Payload::ExtensionDecided(e) if e.approved => Fact::Extended {
                handling: due(&e.handling_deadline, "an extension")?,
            },
            Payload::CaseAnswered(e) => {
                let answered = day(&e.answered_date, "answered date")?;
                // The petitioner's windows are theirs to use: no organ is supervised on them.
                let window = due_date(
                    &self.oversight.reference.current().calendar,
                    &self.oversight.limits.evaluation_window,
                    answered,
                    &[],
                    0,
                )
                .map_err(|e| permanent(e.to_string()))?;
                Fact::Answered {
                    on: answered,
                    on_time: e.on_time,
                    evaluation_due: window.due,
                }
            }
            Payload::SuggestionDecided(_) => Fact::SuggestionDecided { on: on()? },
            Payload::CaseTransferred(e) if !e.to_node_region_code.is_empty() => Fact::Left {
                state: State::TransferredOut,
            },
            Payload::CaseTransferred(e) => Fact::Transferred {
                organ: e.to_organ_code.clone(),
            },
            // 参评率 and 满意率 count the evaluation of the answer (stage 1; 0 before stages).
            Payload::EvaluationSubmitted(e) if e.stage <= 1 => Fact::Evaluated {
                satisfied: matches!(
                    pb::Satisfaction::try_from(e.department).unwrap_or_default(),
                    pb::Satisfaction::Satisfied | pb::Satisfaction::BasicallySatisfied
                ),
            },
            Payload::ClockPaused(_) => Fact::Paused,
            Payload::ClockResumed(e) => Fact::Resumed {
                due: due(&e.deadline, "a resumed clock")?,
            },
            _ => return Ok(None),
        }))
    }
}

impl EventHandler for Facts {
    /// The metrics' counts are rows every petition of a region adds to, each event locking its
    /// own in key order: a transaction of several petitions, on two lanes at once, would lock
    /// them in opposite orders.
    fn applies_together(&self) -> bool {
        false
    }

    async fn apply(
        &self,
        txn: &DatabaseTransaction,
        envelope: &Envelope,
    ) -> Result<(), HandlerError> {
        let Some(payload) = &envelope.payload else {
            return Ok(());
        };
        let o = &self.oversight;
        if reference_updates::follow(txn, SERVICE, &o.reference, Some(payload)).await? {
            return Ok(());
        }
        let occurred_on = self
            .date_of(&envelope.occurred_at)
            .ok_or_else(|| permanent("an event without its time"))?;
        tally::record(txn, envelope, payload, occurred_on).await?;
        if let Payload::ReceptionRecorded(e) = payload {
            let meta = Meta::from_actor(envelope.actor.as_ref(), o.clock.now());
            backlog::package_received(o, txn, &meta, &envelope.petition_id, e).await?;
        }
        let Some(mut fact) = self.fact(envelope, payload)? else {
            return Ok(());
        };
        // 漏排率: was the escalated item's matter on a report filed before it was petitioned?
        if let (
            Fact::Registered {
                escalated: true,
                screened,
                petitioned_on,
                ..
            },
            Payload::PetitionRegistered(e),
        ) = (&mut fact, payload)
        {
            *screened = screening::reported_before(txn, &e.matter_key, *petitioned_on).await?;
        }
        let repo = o.items();
        let ctx = ItemContext {
            warn_days: o.settings.warn_days_before,
        };
        let at = o.clock.now();
        let meta = Meta::from_actor(envelope.actor.as_ref(), at);
        let tx = o.uow.within(txn);
        // 初信初访一次性办结: a later repeat means the original was not settled in one pass. Its
        // events may come in any order: an original not seen yet is started here.
        if let Payload::PetitionRegistered(e) = payload
            && !e.linked_petition_id.is_empty()
        {
            tx.apply(&repo, &e.linked_petition_id, &meta, |state| {
                Item::decide(state, ItemCommand::MarkRepeatedLater, &ctx)
            })
            .await?;
        }
        tx.apply(&repo, &envelope.petition_id, &meta, |state| {
            Item::decide(state, ItemCommand::Record(fact.clone()), &ctx)
        })
        .await?;
        Ok(())
    }
}
