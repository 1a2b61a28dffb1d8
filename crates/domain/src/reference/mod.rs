//! Reference data a bureau edits (domain.md, Reference data): the channel and content-category
//! code tables and the organisation tree. Parsed from TOML text into domain types; a file is
//! accepted or rejected as a whole, and a rejection names the file and the line.

mod categories;
mod channels;
mod org;

pub use categories::{Category, CategoryTable};
pub use channels::{Channel, ChannelTable};
pub use org::{OrgTree, OrgUnit, UnitKind};

use crate::clock::Calendar;
use std::fmt;

/// A reference file that could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ReferenceError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// The text of one reference file and the name to report errors with.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

impl Source<'_> {
    pub(crate) fn error_at(&self, offset: usize, message: impl Into<String>) -> ReferenceError {
        ReferenceError {
            file: self.name.to_owned(),
            line: self.text[..offset.min(self.text.len())]
                .matches('\n')
                .count()
                + 1,
            message: message.into(),
        }
    }

    pub(crate) fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, ReferenceError> {
        toml::from_str(self.text).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            self.error_at(offset, e.message().to_owned())
        })
    }
}

/// Everything a node's services read from reference files.
#[derive(Debug, Clone)]
pub struct ReferenceData {
    pub channels: ChannelTable,
    pub categories: CategoryTable,
    pub org: OrgTree,
    pub calendar: Calendar,
}

/// The reference files of a node, by name.
pub struct Sources<'a> {
    pub channels: Source<'a>,
    pub categories: Source<'a>,
    pub org: Source<'a>,
    pub calendar: Source<'a>,
}

impl ReferenceData {
    pub fn parse(sources: Sources<'_>) -> Result<Self, ReferenceError> {
        Ok(Self {
            channels: ChannelTable::parse(sources.channels)?,
            categories: CategoryTable::parse(sources.categories)?,
            org: OrgTree::parse(sources.org)?,
            calendar: Calendar::parse(sources.calendar)?,
        })
    }
}
