//! The watched clock of an item, between its stored columns and the domain's [`Watched`].

use crate::entity::item;
use chrono::NaiveDate;
use xinfang_domain::supervision::Watched;
use xinfang_proto::xinfang::petition::v1 as pb;

pub fn parse(date: &Option<String>) -> Option<NaiveDate> {
    date.as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

fn text(date: Option<NaiveDate>) -> Option<String> {
    date.map(|d| d.to_string())
}

pub fn watched(item: &item::Model) -> Watched {
    Watched {
        due: parse(&item.due_date),
        warned_due: parse(&item.warned_due),
        overdue_due: parse(&item.overdue_due),
        evaluation_due: parse(&item.evaluation_due),
        evaluation_settled: item.evaluated || item.evaluation_missed,
    }
}

/// Writes the watched state back, with the next check date the watcher's index orders by.
pub fn store(item: &mut item::Model, watched: &Watched, warn_days: u32) {
    item.warned_due = text(watched.warned_due);
    item.overdue_due = text(watched.overdue_due);
    item.evaluation_missed =
        item.evaluation_missed || (watched.evaluation_settled && !item.evaluated);
    item.next_check = text(watched.next_check(warn_days));
}

/// Starts watching a new limit (or stops watching with None).
pub fn set_limit(item: &mut item::Model, deadline: Option<&pb::Deadline>, warn_days: u32) {
    match deadline {
        Some(d) => {
            item.limit_name = Some(d.limit_name.clone());
            item.due_date = Some(d.due_date.clone());
            item.deadline = Some(d.explanation.clone());
        }
        None => {
            item.limit_name = None;
            item.due_date = None;
            item.deadline = None;
        }
    }
    let watched = watched(item);
    store(item, &watched, warn_days);
}
