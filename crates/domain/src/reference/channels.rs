//! 信访形式: the channel code table. Codes are the province's (four digits, `0400` phone), so
//! this is data, not an enum.

use super::{ReferenceError, Source};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub code: String,
    pub name: String,
    /// Counts into 网信占比 (online share).
    pub online: bool,
    /// A visit in person (来访): subject to the bypass-visit rule.
    pub visit: bool,
    pub province_code: String,
}

#[derive(Debug, Clone, Default)]
pub struct ChannelTable {
    channels: BTreeMap<String, Channel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    channel: Vec<Row>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    code: Spanned<String>,
    name: String,
    #[serde(default)]
    online: bool,
    #[serde(default)]
    visit: bool,
    province_code: Option<String>,
}

impl ChannelTable {
    pub fn parse(source: Source<'_>) -> Result<Self, ReferenceError> {
        let file: File = source.parse()?;
        let mut channels = BTreeMap::new();
        for row in file.channel {
            let span = row.code.span();
            let code = row.code.into_inner();
            if code.is_empty() || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(source.error_at(
                    span.start,
                    format!("channel code {code:?} must be letters or digits"),
                ));
            }
            let channel = Channel {
                province_code: row.province_code.unwrap_or_else(|| code.clone()),
                code: code.clone(),
                name: row.name,
                online: row.online,
                visit: row.visit,
            };
            if channels.insert(code.clone(), channel).is_some() {
                return Err(
                    source.error_at(span.start, format!("channel code {code} is listed twice"))
                );
            }
        }
        Ok(Self { channels })
    }

    pub fn get(&self, code: &str) -> Option<&Channel> {
        self.channels.get(code)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Channel> {
        self.channels.values()
    }
}
