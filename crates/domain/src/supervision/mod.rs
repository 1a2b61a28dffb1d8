//! 督查督办 (domain.md, Supervision): the watched item — an item's clock and the facts its
//! metrics count — and the supervision order (督办单) to an organ that let a limit pass.

pub mod backlog;
pub mod item;
pub mod order;
pub mod screening;
mod watch;

pub use backlog::{Entry, EntryCommand, EntryContext, EntryEvent, Leader, Resolution};
pub use item::{Due, Fact, Item, ItemCommand, ItemContext, ItemEvent};
pub use order::{Order, OrderCommand, OrderContext, OrderEvent, Reply};
pub use screening::{Report, ReportCommand, ReportEvent};
pub use watch::{Checks, Watched};
