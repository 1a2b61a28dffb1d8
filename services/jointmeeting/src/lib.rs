//! 联席会议 — the joint meeting service. A petition office convenes its member units on hard
//! items and jurisdiction disputes; each item gets a decision (lead organ, cooperating organs,
//! measures, deadline), follow-up, and a resolution certified by the convener or a unit above
//! the lead organ. It knows the node's items from intake's events, and announces decisions and
//! resolutions keyed by the item. Every change is decided by the domain's `meeting::Meeting`
//! and saved through the unit of work. The service also keeps each petition office's joint
//! reception roster (联合接访, 一局一周) and its leaders' reception calendar (领导接访 / 约访):
//! bookings from the public, and the items each leader received, announced so that supervision
//! packages them to that leader (谁接访、谁包案).

pub mod api;
mod calendar;
mod entity;
mod error;
pub mod follow;
mod minutes;
mod reception;
mod repository;
mod roster;
pub mod run;
mod wire;

pub use api::JointMeetingApi;
pub use error::MeetingError;

/// The joint meeting service's name for its tables and topic.
pub const SERVICE: &str = "jointmeeting";
