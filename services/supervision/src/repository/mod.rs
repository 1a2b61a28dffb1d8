//! Supervision's aggregates on the write path: the watched item (with the kept metric counts as
//! its projection), the supervision order and the backlog entry.

mod backlog;
mod item;
mod order;

pub use backlog::{EntryRepository, entry_id};
pub use item::{ItemRepository, item_from_row};
pub use order::{OrderRepository, order_from_row};
