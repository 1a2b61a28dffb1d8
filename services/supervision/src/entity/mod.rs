//! Supervision's tables (see `migrations/src/supervision`).

pub mod backlog_item;
pub mod backlog_list;
pub mod item;
pub mod order;
