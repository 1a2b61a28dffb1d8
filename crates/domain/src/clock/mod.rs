//! The statutory clock (domain.md, Counting days): a holiday calendar that is data, limits with
//! their unit, and due dates that explain themselves.
//!
//! "日" counts calendar days starting the day after the trigger; a deadline whose last day is a
//! rest day (a weekend day that is not a make-up working day, or a public holiday) moves to the
//! next working day (民法典 Art. 201, 203). Working-day limits count weekdays that are not
//! holidays, plus make-up working days (调休). Pauses (hearing, appraisal, inspection) extend a
//! clock by exactly their length; an extension is granted once and never beyond its cap. A year
//! whose holiday arrangement is not loaded counts its statutory holidays alone (暂定).

mod calendar;
mod deadline;
mod statutory;

pub use calendar::{Calendar, CalendarError};
pub use deadline::{
    Deadline, Extension, ExtensionError, Limit, LimitUnit, Limits, Pause, due_date, label_of,
};
