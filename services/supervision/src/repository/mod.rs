//! Supervision's aggregates on the write path: the watched item (with the kept metric counts as
//! its projection), the supervision order and the backlog entry.

mod backlog;
mod item;
mod order;

pub use backlog::{EntryRepository, entry_id};
pub use item::{ItemRepository, item_from_row};
pub use order::{OrderRepository, order_from_row};

use chrono::NaiveDate;
use sea_orm::DbErr;

/// Dates are stored as `YYYY-MM-DD` text.
fn date(value: &Option<String>) -> Result<Option<NaiveDate>, DbErr> {
    value
        .as_deref()
        .map(|d| {
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| DbErr::Type(format!("stored date {d:?}")))
        })
        .transpose()
}

fn text(date: Option<NaiveDate>) -> Option<String> {
    date.map(|d| d.to_string())
}
