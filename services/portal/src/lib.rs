//! 阳光信访 portal: the pages people use instead of the CLI — the citizen's (submit, track,
//! evaluate, book a leader's reception), the clerk's console, the supervisor's board and the
//! leader's dashboard — and Open311 GeoReport v2 for the public channel.
//!
//! It keeps nothing of its own: every page is one or more calls to the services' gRPC APIs,
//! with the signed-in user's token (the same tokens, the same authorization policy) or, for the
//! citizen, none, naming the citizen's address so that intake's rate limits count the person and
//! not the portal. Pages are rendered on the server (maud): they work without JavaScript on any
//! phone, and there is no second build or second copy of the rules in a front end.

mod backend;
mod chart;
mod csrf;
mod failure;
mod headers;
mod lang;
mod layout;
mod open311;
mod pages;
pub mod run;
mod session;
mod state;
