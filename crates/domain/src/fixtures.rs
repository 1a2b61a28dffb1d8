//! What the domain's tests share: dates from text and the reference data shipped in
//! `config/reference` (the demo city 340100 and its holiday calendar).

use crate::clock::Calendar;
use crate::reference::{OrgTree, Source};
use chrono::NaiveDate;

pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub fn calendar() -> Calendar {
    Calendar::parse(Source {
        name: "calendar.toml",
        text: include_str!("../../../config/reference/calendar.toml"),
    })
    .unwrap()
}

pub fn org() -> OrgTree {
    OrgTree::parse(Source {
        name: "org.toml",
        text: include_str!("../../../config/reference/org.toml"),
    })
    .unwrap()
}
