//! 积案 and 包案: an item on a backlog list, the leader who takes personal charge of it with a
//! target date, its closing (办结), and its resolution (化解) — certified by a supervisor with the
//! evidence, never self-declared (domain.md, Supervision).

use crate::aggregate::{Actor, Aggregate};
use crate::{Reason, Refusal};
use chrono::NaiveDate;

/// 包案: the leader in charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leader {
    pub name: String,
    pub post: String,
    pub target: NaiveDate,
}

/// 化解, as certified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub certified_by: String,
    pub evidence: String,
    pub on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Entry {
    pub leader: Option<Leader>,
    pub closed_on: Option<NaiveDate>,
    pub resolution: Option<Resolution>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryCommand {
    /// Puts the item on the list (nothing happens when it is there already).
    Add,
    AssignLeader(Leader),
    Close {
        on: NaiveDate,
    },
    Certify {
        evidence: String,
        on: NaiveDate,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryEvent {
    Added,
    LeaderAssigned(Leader),
    Closed { on: NaiveDate },
    Certified(Resolution),
}

pub struct EntryContext<'a> {
    pub actor: &'a Actor,
}

impl Aggregate for Entry {
    type Command = EntryCommand;
    type Event = EntryEvent;
    type Context<'a> = EntryContext<'a>;

    fn decide(
        state: Option<&Entry>,
        command: EntryCommand,
        ctx: &EntryContext<'_>,
    ) -> Result<Vec<EntryEvent>, Refusal> {
        let (entry, command) = match (state, command) {
            (None, EntryCommand::Add) => return Ok(vec![EntryEvent::Added]),
            (None, _) => {
                return Err(Refusal::new(
                    Reason::NotFound,
                    "the item is not on this list",
                ));
            }
            (Some(entry), command) => (entry, command),
        };
        Ok(match command {
            EntryCommand::Add => Vec::new(),
            EntryCommand::AssignLeader(leader) => vec![EntryEvent::LeaderAssigned(leader)],
            EntryCommand::Close { .. } if entry.closed_on.is_some() => Vec::new(),
            EntryCommand::Close { on } => vec![EntryEvent::Closed { on }],
            EntryCommand::Certify { evidence, on } => {
                if !ctx.actor.has_role("supervisor") {
                    return Err(Refusal::new(
                        Reason::RoleRequired,
                        "化解 is certified by a supervisor (role supervisor), not self-declared",
                    ));
                }
                if entry.closed_on.is_none() {
                    return Err(Refusal::new(
                        Reason::NotClosed,
                        "an item is certified resolved after it is closed (办结)",
                    ));
                }
                vec![EntryEvent::Certified(Resolution {
                    certified_by: format!("{}@{}", ctx.actor.user, ctx.actor.unit),
                    evidence,
                    on,
                })]
            }
        })
    }

    fn evolve(state: Option<Entry>, event: &EntryEvent) -> Option<Entry> {
        let mut entry = state.unwrap_or_default();
        match event {
            EntryEvent::Added => {}
            EntryEvent::LeaderAssigned(leader) => entry.leader = Some(leader.clone()),
            EntryEvent::Closed { on } => entry.closed_on = Some(*on),
            EntryEvent::Certified(resolution) => entry.resolution = Some(resolution.clone()),
        }
        Some(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::d;

    fn run(entry: Option<&Entry>, roles: &[&str], command: EntryCommand) -> Result<Entry, Refusal> {
        let actor = Actor::new("u", "city-xfj", roles);
        let events = Entry::decide(entry, command, &EntryContext { actor: &actor })?;
        Ok(Entry::evolve_all(entry.cloned(), &events).unwrap_or_default())
    }

    #[test]
    fn resolution_is_certified_by_a_supervisor_after_closing() {
        let added = run(None, &[], EntryCommand::Add).unwrap();
        let certify = || EntryCommand::Certify {
            evidence: "息诉罢访承诺书".into(),
            on: d("2026-06-01"),
        };
        assert_eq!(
            run(Some(&added), &["supervisor"], certify())
                .unwrap_err()
                .reason,
            Reason::NotClosed
        );
        let closed = run(
            Some(&added),
            &[],
            EntryCommand::Close {
                on: d("2026-05-20"),
            },
        )
        .unwrap();
        assert_eq!(
            run(Some(&closed), &["clerk"], certify())
                .unwrap_err()
                .reason,
            Reason::RoleRequired
        );
        let resolved = run(Some(&closed), &["supervisor"], certify()).unwrap();
        assert_eq!(resolved.resolution.unwrap().certified_by, "u@city-xfj");
    }
}
