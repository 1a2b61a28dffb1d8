//! Loading the node's reference data (code tables, organisation tree) from a folder, or the demo
//! data built into the binary, and reloading it without a restart. A file with an error is
//! rejected as a whole and the data in use stays.

use arc_swap::ArcSwap;
use chrono::NaiveDate;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::watch;
use xinfang_domain::reference::{ReferenceData, ReferenceError, Source, Sources};

/// How far ahead the end of the loaded holiday arrangements is reported.
pub const CALENDAR_WARNING_DAYS: i64 = 60;

const FILES: [&str; 4] = [
    "channels.toml",
    "categories.toml",
    "org.toml",
    "calendar.toml",
];

/// The demo data of the embedded default: one city, two counties, four townships, and the
/// holiday calendar.
const DEMO: [&str; 4] = [
    include_str!("../../../config/reference/channels.toml"),
    include_str!("../../../config/reference/categories.toml"),
    include_str!("../../../config/reference/org.toml"),
    include_str!("../../../config/reference/calendar.toml"),
];

pub fn load(dir: Option<&Path>) -> Result<ReferenceData, ReferenceError> {
    let files: Vec<(String, String)> = match dir {
        None => FILES
            .iter()
            .zip(DEMO)
            .map(|(n, t)| (n.to_string(), t.to_owned()))
            .collect(),
        Some(dir) => FILES
            .iter()
            .map(|name| {
                let path = dir.join(name);
                let text = std::fs::read_to_string(&path).map_err(|e| ReferenceError {
                    file: path.display().to_string(),
                    line: 0,
                    message: e.to_string(),
                })?;
                Ok((path.display().to_string(), text))
            })
            .collect::<Result<_, ReferenceError>>()?,
    };
    let [channels, categories, org, calendar] = [0, 1, 2, 3].map(|i| Source {
        name: &files[i].0,
        text: &files[i].1,
    });
    ReferenceData::parse(Sources {
        channels,
        categories,
        org,
        calendar,
    })
}

/// The reference data in use, swapped whole on reload; each reload counts a new generation that
/// services can wait for (to count provisional deadlines again, say).
#[derive(Clone)]
pub struct ReferenceStore {
    dir: Option<std::path::PathBuf>,
    current: Arc<ArcSwap<ReferenceData>>,
    generation: Arc<watch::Sender<u64>>,
}

impl ReferenceStore {
    pub fn open(dir: Option<&Path>) -> Result<Self, ReferenceError> {
        Ok(Self {
            dir: dir.map(Path::to_path_buf),
            current: Arc::new(ArcSwap::from_pointee(load(dir)?)),
            generation: Arc::new(watch::Sender::new(0)),
        })
    }

    pub fn current(&self) -> Arc<ReferenceData> {
        self.current.load_full()
    }

    /// Re-reads the files; on error the data in use stays and the error is returned.
    pub fn reload(&self) -> Result<(), ReferenceError> {
        self.current.store(Arc::new(load(self.dir.as_deref())?));
        self.generation.send_modify(|g| *g += 1);
        Ok(())
    }

    /// Changes with every successful reload.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.generation.subscribe()
    }

    /// What to tell the people who run the node when the loaded holiday arrangements end within
    /// [`CALENDAR_WARNING_DAYS`] of `today`: deadlines past that day are provisional (暂定).
    pub fn calendar_warning(&self, today: NaiveDate) -> Option<String> {
        let end = self
            .current()
            .calendar
            .ends_within(today, CALENDAR_WARNING_DAYS)?;
        Some(format!(
            "the holiday calendar (calendar.toml) holds the State Council's arrangements only to {end}; \
             deadlines beyond it are counted on the statutory holidays alone and marked 暂定 until \
             next year's arrangement is added"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_data_parses() {
        let data = load(None).unwrap();
        assert!(data.channels.get("0100").is_some());
        assert!(data.org.units().count() >= 7);
    }
}
