//! The shape of every aggregate of the platform (architecture.md, The write path): a pure
//! `decide` that turns a command into events or refuses it with a reason, and a pure `evolve`
//! that folds an event into the state. Services load, decide and save; the rules live here and
//! are tested without a database.

use crate::Refusal;

pub trait Aggregate: Sized + Clone {
    type Command;
    type Event;
    /// What a decision may consult besides the state: the actor, today, the reference data.
    type Context<'a>;

    /// The events `command` causes on `state` (None: the aggregate does not exist yet), or why
    /// it is refused. No events: nothing to do (a repeated command).
    fn decide(
        state: Option<&Self>,
        command: Self::Command,
        context: &Self::Context<'_>,
    ) -> Result<Vec<Self::Event>, Refusal>;

    /// The state after `event`. An event that cannot apply to a state leaves it as it is:
    /// `decide` never produces one.
    fn evolve(state: Option<Self>, event: &Self::Event) -> Option<Self>;

    /// The state after all of `events`.
    fn evolve_all<'e>(
        state: Option<Self>,
        events: impl IntoIterator<Item = &'e Self::Event>,
    ) -> Option<Self>
    where
        Self::Event: 'e,
    {
        events.into_iter().fold(state, Self::evolve)
    }
}

/// Who acts: a person of a unit with roles, or the platform itself (a watcher, a consumer).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Actor {
    pub user: String,
    pub unit: String,
    pub roles: Vec<String>,
}

impl Actor {
    pub fn new(user: &str, unit: &str, roles: &[&str]) -> Self {
        Self {
            user: user.to_owned(),
            unit: unit.to_owned(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
        }
    }

    /// The platform acting on its own behalf for `unit` (an event it follows, a clock it
    /// watches).
    pub fn system(unit: &str) -> Self {
        Self::new("system", unit, &[])
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}
