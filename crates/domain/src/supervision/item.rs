//! The watched item (supervision's aggregate): what supervision knows of one petition item —
//! the clock it watches and the facts every metric counts — built from intake's and dispatch's
//! events in any order, and checked by the watcher each day.

use super::watch::{Checks, Watched};
use crate::aggregate::Aggregate;
use crate::lifecycle::State;
use crate::metrics::ItemFacts;
use crate::{Reason, Refusal};
use chrono::{DateTime, NaiveDate, Utc};

/// A due date being watched, with its limit and the explanation a clerk reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub limit: String,
    pub due: NaiveDate,
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub case_number: String,
    pub region: String,
    pub registering_unit: String,
    pub channel: String,
    /// The unit whose clock runs: the triage unit, then the responsible organ.
    pub organ: Option<String>,
    pub state: State,
    pub online: bool,
    pub visit: bool,
    pub repeat: bool,
    pub bypass: bool,
    pub first_time: bool,
    pub petitioned_on: Option<NaiveDate>,
    pub registered_on: Option<NaiveDate>,
    /// When intake registered it: a registered item still without its case some minutes later
    /// lost an event on its way to dispatch.
    pub registered_at: Option<DateTime<Utc>>,
    pub exchanged_on: Option<NaiveDate>,
    /// The limit watched now; None when no clock runs.
    pub clock: Option<Due>,
    /// The clock is stopped (听证, 鉴定, 核查): no warning, no overdue mark.
    pub paused: bool,
    pub warned_due: Option<NaiveDate>,
    pub overdue_due: Option<NaiveDate>,
    pub acceptance_due: Option<NaiveDate>,
    pub accepted_on: Option<NaiveDate>,
    pub accepted_in_time: bool,
    pub acceptance_overdue: bool,
    pub answer_due: Option<NaiveDate>,
    pub answered_on: Option<NaiveDate>,
    pub answered_on_time: bool,
    /// The handling limit passed unanswered (counts into 按期办结率 before the answer comes).
    pub answer_overdue: bool,
    pub evaluation_due: Option<NaiveDate>,
    pub evaluated: bool,
    pub satisfied: bool,
    pub evaluation_missed: bool,
    /// A later repeat of this item: not settled in one pass (初信初访一次性办结).
    pub repeated_later: bool,
    /// A group or bypass visit (集体访, 越级访), and whether dispute screening had reported its
    /// matter before (漏排率).
    pub escalated: bool,
    pub screened: bool,
}

impl Default for Item {
    fn default() -> Self {
        Self {
            case_number: String::new(),
            region: String::new(),
            registering_unit: String::new(),
            channel: String::new(),
            organ: None,
            state: State::Registered,
            online: false,
            visit: false,
            repeat: false,
            bypass: false,
            first_time: false,
            petitioned_on: None,
            registered_on: None,
            registered_at: None,
            exchanged_on: None,
            clock: None,
            paused: false,
            warned_due: None,
            overdue_due: None,
            acceptance_due: None,
            accepted_on: None,
            accepted_in_time: false,
            acceptance_overdue: false,
            answer_due: None,
            answered_on: None,
            answered_on_time: false,
            answer_overdue: false,
            evaluation_due: None,
            evaluated: false,
            satisfied: false,
            evaluation_missed: false,
            repeated_later: false,
            escalated: false,
            screened: false,
        }
    }
}

/// What another service's event tells supervision about an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    Registered {
        case_number: String,
        region: String,
        registering_unit: String,
        channel: String,
        online: bool,
        visit: bool,
        repeat: bool,
        bypass: bool,
        first_time: bool,
        petitioned_on: Option<NaiveDate>,
        registered_on: Option<NaiveDate>,
        registered_at: Option<DateTime<Utc>>,
        /// Registered, or linked (重复件) / not re-accepted (不再受理): no case of its own.
        state: State,
        escalated: bool,
        screened: bool,
    },
    Opened {
        triage_unit: String,
        triage: Due,
    },
    /// Forwarded or assigned to an organ, with the acceptance limit.
    Routed {
        state: State,
        organ: String,
        acceptance: Due,
    },
    /// Escalated inside the node: the level above triages, on the same clock.
    EscalatedWithin {
        triage_unit: String,
    },
    /// Left the track: redirected, not accepted, escalated out, transferred out.
    Left {
        state: State,
    },
    Objected {
        triage_unit: String,
        triage: Due,
    },
    Accepted {
        on: NaiveDate,
        in_time: bool,
        handling: Due,
    },
    Extended {
        handling: Due,
    },
    Answered {
        on: NaiveDate,
        on_time: bool,
        evaluation_due: NaiveDate,
    },
    SuggestionDecided {
        on: NaiveDate,
    },
    Transferred {
        organ: String,
    },
    Evaluated {
        satisfied: bool,
    },
    Paused,
    /// The clock runs again (a pause ended) or was counted again (a new calendar).
    Resumed {
        due: Due,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemCommand {
    Record(Fact),
    /// A later item links to this one as its original.
    MarkRepeatedLater,
    /// The watcher's daily look at the clock.
    Check {
        today: NaiveDate,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemEvent {
    Recorded(Fact),
    RepeatedLater,
    Warned {
        limit: String,
        due: NaiveDate,
        organ: String,
    },
    MarkedOverdue {
        limit: String,
        due: NaiveDate,
        organ: String,
    },
    EvaluationWindowPassed,
}

pub struct ItemContext {
    /// A warning this many days before a limit ends.
    pub warn_days: u32,
}

impl Item {
    /// The clock as the watcher sees it: no due date while paused.
    pub fn watched(&self) -> Watched {
        Watched {
            due: self.clock.as_ref().filter(|_| !self.paused).map(|c| c.due),
            warned_due: self.warned_due,
            overdue_due: self.overdue_due,
            evaluation_due: self.evaluation_due,
            evaluation_settled: self.evaluated || self.evaluation_missed,
        }
    }

    /// The next day the watcher must look at this item (its index).
    pub fn next_check(&self, warn_days: u32) -> Option<NaiveDate> {
        self.watched().next_check(warn_days)
    }

    /// The due date people work to (none while paused).
    pub fn due(&self) -> Option<NaiveDate> {
        self.watched().due
    }

    /// What the metrics count of this item.
    pub fn facts(&self) -> ItemFacts {
        ItemFacts {
            online: self.online,
            visit: self.visit,
            repeat: self.repeat,
            bypass: self.bypass,
            first_time: self.first_time,
            petitioned_on: self.petitioned_on,
            registered_on: self.registered_on,
            exchanged_on: self.exchanged_on,
            accepted: self.accepted_on.is_some(),
            accepted_in_time: self.accepted_in_time,
            acceptance_overdue: self.acceptance_overdue,
            answer_due: self.answer_due,
            answered: self.answered_on.is_some(),
            answered_on_time: self.answered_on_time,
            answer_overdue: self.answer_overdue,
            evaluated: self.evaluated,
            satisfied: self.satisfied,
            evaluation_missed: self.evaluation_missed,
            repeated_later: self.repeated_later,
            escalated: self.escalated,
            screened: self.screened,
        }
    }

    fn watch(&mut self, clock: Option<Due>) {
        self.clock = clock;
        self.paused = false;
    }

    fn record(&mut self, fact: &Fact) {
        match fact.clone() {
            Fact::Registered {
                case_number,
                region,
                registering_unit,
                channel,
                online,
                visit,
                repeat,
                bypass,
                first_time,
                petitioned_on,
                registered_on,
                registered_at,
                state,
                escalated,
                screened,
            } => {
                self.escalated = escalated;
                self.screened = screened;
                self.case_number = case_number;
                self.region = region;
                self.registering_unit = registering_unit;
                self.channel = channel;
                self.online = online;
                self.visit = visit;
                self.repeat = repeat;
                self.bypass = bypass;
                self.first_time = first_time;
                self.petitioned_on = petitioned_on;
                self.registered_on = registered_on;
                self.registered_at = registered_at;
                // The case's own events move a registered item on; they may come first.
                if state != State::Registered {
                    self.state = state;
                }
            }
            Fact::Opened {
                triage_unit,
                triage,
            } => {
                self.organ = Some(triage_unit);
                self.watch(Some(triage));
            }
            Fact::Routed {
                state,
                organ,
                acceptance,
            } => {
                self.state = state;
                self.organ = Some(organ);
                self.acceptance_due = Some(acceptance.due);
                self.watch(Some(acceptance));
            }
            Fact::EscalatedWithin { triage_unit } => self.organ = Some(triage_unit),
            Fact::Left { state } => {
                self.state = state;
                self.watch(None);
            }
            Fact::Objected {
                triage_unit,
                triage,
            } => {
                self.state = State::Registered;
                self.organ = Some(triage_unit);
                self.watch(Some(triage));
            }
            Fact::Accepted {
                on,
                in_time,
                handling,
            } => {
                self.state = State::Accepted;
                self.accepted_on = Some(on);
                self.accepted_in_time = in_time;
                self.acceptance_overdue = false;
                self.answer_overdue = false;
                self.answer_due = Some(handling.due);
                self.watch(Some(handling));
            }
            Fact::Extended { handling } => {
                self.answer_overdue = false;
                self.answer_due = Some(handling.due);
                self.watch(Some(handling));
            }
            Fact::Answered {
                on,
                on_time,
                evaluation_due,
            } => {
                self.state = State::Answered;
                self.answered_on = Some(on);
                self.answered_on_time = on_time;
                // The petitioner's windows are theirs to use: no organ is supervised on them.
                self.evaluation_due = Some(evaluation_due);
                self.watch(None);
            }
            Fact::SuggestionDecided { on } => {
                self.state = State::Answered;
                self.answered_on = Some(on);
                self.watch(None);
            }
            Fact::Transferred { organ } => self.organ = Some(organ),
            Fact::Evaluated { satisfied } => {
                self.evaluated = true;
                self.satisfied = satisfied;
            }
            Fact::Paused => self.paused = self.clock.is_some(),
            Fact::Resumed { due } => {
                match due.limit.as_str() {
                    "acceptance" => {
                        self.acceptance_due = Some(due.due);
                        self.acceptance_overdue = false;
                    }
                    "handling" => {
                        self.answer_due = Some(due.due);
                        self.answer_overdue = false;
                    }
                    _ => {}
                }
                self.watch(Some(due));
            }
        }
    }
}

impl Aggregate for Item {
    type Command = ItemCommand;
    type Event = ItemEvent;
    type Context<'a> = ItemContext;

    fn decide(
        state: Option<&Item>,
        command: ItemCommand,
        ctx: &ItemContext,
    ) -> Result<Vec<ItemEvent>, Refusal> {
        match command {
            ItemCommand::Record(fact) => {
                let event = ItemEvent::Recorded(fact);
                let changed = Item::evolve(state.cloned(), &event).as_ref() != state;
                Ok(if changed { vec![event] } else { Vec::new() })
            }
            ItemCommand::MarkRepeatedLater => Ok(if state.is_some_and(|i| i.repeated_later) {
                Vec::new()
            } else {
                vec![ItemEvent::RepeatedLater]
            }),
            ItemCommand::Check { today } => {
                let item = state
                    .ok_or_else(|| Refusal::new(Reason::UnknownItem, "no such item is watched"))?;
                Ok(item.checks(today, ctx.warn_days))
            }
        }
    }

    fn evolve(state: Option<Item>, event: &ItemEvent) -> Option<Item> {
        let mut item = state.unwrap_or_default();
        match event {
            ItemEvent::Recorded(fact) => item.record(fact),
            ItemEvent::RepeatedLater => item.repeated_later = true,
            ItemEvent::Warned { due, .. } => item.warned_due = Some(*due),
            ItemEvent::MarkedOverdue { limit, due, .. } => {
                item.overdue_due = Some(*due);
                match limit.as_str() {
                    "acceptance" if item.accepted_on.is_none() => item.acceptance_overdue = true,
                    "handling" if item.answered_on.is_none() => item.answer_overdue = true,
                    _ => {}
                }
            }
            ItemEvent::EvaluationWindowPassed => item.evaluation_missed = !item.evaluated,
        }
        Some(item)
    }
}

impl Item {
    fn checks(&self, today: NaiveDate, warn_days: u32) -> Vec<ItemEvent> {
        let Checks {
            warn,
            overdue,
            evaluation_missed,
        } = self.watched().checks(today, warn_days);
        let organ = self.organ.clone().unwrap_or_default();
        let mut events = Vec::new();
        if let Some(clock) = &self.clock {
            if warn {
                events.push(ItemEvent::Warned {
                    limit: clock.limit.clone(),
                    due: clock.due,
                    organ: organ.clone(),
                });
            }
            if overdue {
                events.push(ItemEvent::MarkedOverdue {
                    limit: clock.limit.clone(),
                    due: clock.due,
                    organ,
                });
            }
        }
        if evaluation_missed {
            events.push(ItemEvent::EvaluationWindowPassed);
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::d;

    fn due(limit: &str, day: &str) -> Due {
        Due {
            limit: limit.into(),
            due: d(day),
            explanation: String::new(),
        }
    }

    fn run(item: Option<Item>, command: ItemCommand) -> (Option<Item>, Vec<ItemEvent>) {
        let events = Item::decide(item.as_ref(), command, &ItemContext { warn_days: 3 }).unwrap();
        (Item::evolve_all(item, &events), events)
    }

    fn opened() -> Item {
        let (item, _) = run(
            None,
            ItemCommand::Record(Fact::Opened {
                triage_unit: "east-t1".into(),
                triage: due("triage", "2026-02-24"),
            }),
        );
        item.unwrap()
    }

    #[test]
    fn a_fact_seen_again_changes_nothing() {
        let item = opened();
        let (_, events) = run(
            Some(item),
            ItemCommand::Record(Fact::Opened {
                triage_unit: "east-t1".into(),
                triage: due("triage", "2026-02-24"),
            }),
        );
        assert!(events.is_empty());
    }

    #[test]
    fn the_watcher_warns_once_and_marks_overdue_once_per_due_date() {
        let item = opened();
        let (item, events) = run(
            Some(item),
            ItemCommand::Check {
                today: d("2026-02-21"),
            },
        );
        assert!(matches!(events[..], [ItemEvent::Warned { .. }]));
        let (item, events) = run(
            item,
            ItemCommand::Check {
                today: d("2026-02-21"),
            },
        );
        assert!(events.is_empty());
        let (item, events) = run(
            item,
            ItemCommand::Check {
                today: d("2026-02-25"),
            },
        );
        assert!(matches!(events[..], [ItemEvent::MarkedOverdue { .. }]));
        let (_, events) = run(
            item,
            ItemCommand::Check {
                today: d("2026-02-26"),
            },
        );
        assert!(events.is_empty());
    }

    #[test]
    fn a_paused_clock_is_neither_warned_nor_overdue_and_runs_again_with_its_new_date() {
        let (item, _) = run(Some(opened()), ItemCommand::Record(Fact::Paused));
        let item = item.unwrap();
        assert_eq!(item.next_check(3), None);
        let (item, events) = run(
            Some(item),
            ItemCommand::Check {
                today: d("2026-03-01"),
            },
        );
        assert!(events.is_empty());
        let (item, _) = run(
            item,
            ItemCommand::Record(Fact::Resumed {
                due: due("triage", "2026-03-10"),
            }),
        );
        assert_eq!(item.unwrap().next_check(3), Some(d("2026-03-07")));
    }

    #[test]
    fn an_overdue_handling_limit_counts_until_the_answer_or_an_extension() {
        let (item, _) = run(
            Some(opened()),
            ItemCommand::Record(Fact::Accepted {
                on: d("2026-02-05"),
                in_time: true,
                handling: due("handling", "2026-04-07"),
            }),
        );
        let (item, _) = run(
            item,
            ItemCommand::Check {
                today: d("2026-04-08"),
            },
        );
        assert!(item.as_ref().unwrap().answer_overdue);
        let (item, _) = run(
            item,
            ItemCommand::Record(Fact::Extended {
                handling: due("handling", "2026-05-06"),
            }),
        );
        let item = item.unwrap();
        assert!(!item.answer_overdue);
        assert_eq!(item.answer_due, Some(d("2026-05-06")));
    }

    #[test]
    fn a_repeat_marks_its_original_once_even_before_the_original_is_known() {
        let (item, events) = run(None, ItemCommand::MarkRepeatedLater);
        assert_eq!(events, [ItemEvent::RepeatedLater]);
        let (_, events) = run(item, ItemCommand::MarkRepeatedLater);
        assert!(events.is_empty());
    }
}
