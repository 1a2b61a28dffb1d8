//! The steps of a case (domain.md, Lifecycle): each checks the lifecycle and the caller's part,
//! changes the case, and says what happened — the step row and the event the API then writes in
//! one transaction.

pub mod acceptance;
pub mod handling;
pub mod triage;

use crate::entity::case;
use crate::error::DispatchError;
use chrono::NaiveDate;
use xinfang_domain::clock::Deadline;
use xinfang_domain::lifecycle::{Action, State};
use xinfang_events::Payload;

/// What a step did: recorded as a step row and announced as an event.
pub struct Step {
    pub action: &'static str,
    pub organ: String,
    pub destination: String,
    pub reason: String,
    pub text: String,
    pub deadlines: Vec<Deadline>,
    pub public: bool,
    pub event: Option<Payload>,
}

impl Step {
    pub fn new(action: &'static str, organ: &str) -> Self {
        Self {
            action,
            organ: organ.to_owned(),
            destination: String::new(),
            reason: String::new(),
            text: String::new(),
            deadlines: Vec::new(),
            public: false,
            event: None,
        }
    }
}

pub fn state_of(case: &case::Model) -> Result<State, DispatchError> {
    State::parse(&case.state)
        .ok_or_else(|| DispatchError::Internal(format!("stored state {:?}", case.state)))
}

/// Moves the case along the lifecycle, or says why it cannot move.
pub fn transition(case: &mut case::Model, action: Action) -> Result<State, DispatchError> {
    let next = state_of(case)?.apply(action)?;
    case.state = next.as_str().to_owned();
    Ok(next)
}

pub fn set_deadline(
    case: &mut case::Model,
    deadline: Option<&Deadline>,
) -> Result<(), DispatchError> {
    case.deadline = deadline
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| DispatchError::Internal(e.to_string()))?;
    case.due_date = deadline.map(|d| d.due.to_string());
    Ok(())
}

pub fn current_deadline(case: &case::Model) -> Option<Deadline> {
    case.deadline
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
}

pub fn required(field: &str, value: &str) -> Result<String, DispatchError> {
    match value.trim() {
        "" => Err(DispatchError::field(field, "required")),
        v => Ok(v.to_owned()),
    }
}

pub fn parse_date(field: &str, value: &str) -> Result<NaiveDate, DispatchError> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| DispatchError::field(field, format!("{value:?} is not a date YYYY-MM-DD")))
}
