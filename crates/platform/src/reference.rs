//! Loading the node's reference data (code tables, organisation tree) from a folder, or the demo
//! data built into the binary, and reloading it without a restart. A file with an error is
//! rejected as a whole and the data in use stays.

use arc_swap::ArcSwap;
use chrono::NaiveDate;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::watch;
use xinfang_domain::clock::Calendar;
use xinfang_domain::reference::{OrgTree, ReferenceData, ReferenceError, Source, Sources};

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

/// The provincial hub's demo organisation (`xinfang dev --with-hub`): the province's petition
/// bureau above the demo city and a second city; the code tables and calendar are the demo's.
pub const PROVINCE_DEMO_ORG: &str = include_str!("../../../config/province/org.toml");

pub fn load(dir: Option<&Path>) -> Result<ReferenceData, ReferenceError> {
    load_demo_or(dir, DEMO[2])
}

/// The files of `dir`, or the demo data with `org` as its organisation.
fn load_demo_or(dir: Option<&Path>, org: &str) -> Result<ReferenceData, ReferenceError> {
    let files: Vec<(String, String)> = match dir {
        None => FILES
            .iter()
            .zip([DEMO[0], DEMO[1], org, DEMO[3]])
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
/// services can wait for (to count provisional deadlines again, say). Holiday calendars the
/// province sent down are laid over the files' calendar, and the organisation it sent last takes
/// the place of the files' one, on every reload too.
#[derive(Clone)]
pub struct ReferenceStore {
    dir: Option<std::path::PathBuf>,
    /// The organisation of the demo data (when there is no folder).
    demo_org: &'static str,
    current: Arc<ArcSwap<ReferenceData>>,
    generation: Arc<watch::Sender<u64>>,
    /// The calendar updates, by version, in the order they came.
    calendar_updates: Arc<Mutex<Vec<(String, Calendar)>>>,
    /// The organisation the province sent last, with its version.
    organisation: Arc<Mutex<Option<(String, OrgTree)>>>,
}

impl ReferenceStore {
    pub fn open(dir: Option<&Path>) -> Result<Self, ReferenceError> {
        Self::open_demo_or(dir, DEMO[2])
    }

    /// The provincial hub's demo data (see [`PROVINCE_DEMO_ORG`]).
    pub fn province_demo() -> Result<Self, ReferenceError> {
        Self::open_demo_or(None, PROVINCE_DEMO_ORG)
    }

    fn open_demo_or(dir: Option<&Path>, demo_org: &'static str) -> Result<Self, ReferenceError> {
        Ok(Self {
            dir: dir.map(Path::to_path_buf),
            demo_org,
            current: Arc::new(ArcSwap::from_pointee(load_demo_or(dir, demo_org)?)),
            generation: Arc::new(watch::Sender::new(0)),
            calendar_updates: Arc::default(),
            organisation: Arc::default(),
        })
    }

    pub fn current(&self) -> Arc<ReferenceData> {
        self.current.load_full()
    }

    /// Re-reads the files; on error the data in use stays and the error is returned.
    pub fn reload(&self) -> Result<(), ReferenceError> {
        self.install(load_demo_or(self.dir.as_deref(), self.demo_org)?);
        Ok(())
    }

    /// Lays the holiday calendar `text` (calendar.toml's form), sent down as `version`, over
    /// the files' calendar: its published years take the place of theirs, now and after every
    /// reload. The same version again changes nothing. An invalid text is refused as a whole.
    pub fn apply_calendar(&self, version: &str, text: &str) -> Result<(), ReferenceError> {
        let update = Calendar::parse(Source {
            name: version,
            text,
        })?;
        {
            let mut updates = self
                .calendar_updates
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if updates.iter().any(|(v, _)| v == version) {
                return Ok(());
            }
            updates.push((version.to_owned(), update));
        }
        self.install(ReferenceData::clone(&self.current()));
        Ok(())
    }

    /// Puts the organisation `text` (org.toml's form), sent down as `version`, in the place of
    /// the files' one, now and after every reload: a later version replaces an earlier one, the
    /// same version again changes nothing. An invalid text, or one of another node, is refused.
    pub fn apply_organisation(&self, version: &str, text: &str) -> Result<(), ReferenceError> {
        let tree = OrgTree::parse(Source {
            name: version,
            text,
        })?;
        let own = self.current().org.node_region().cloned();
        if tree.node_region() != own.as_ref() {
            return Err(ReferenceError {
                file: version.to_owned(),
                line: 0,
                message: format!(
                    "the organisation of node {}, not of this node {}",
                    tree.node_region().map_or("?".into(), |r| r.to_string()),
                    own.map_or("?".into(), |r| r.to_string())
                ),
            });
        }
        {
            let mut organisation = self
                .organisation
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if organisation.as_ref().is_some_and(|(v, _)| v == version) {
                return Ok(());
            }
            *organisation = Some((version.to_owned(), tree));
        }
        self.install(ReferenceData::clone(&self.current()));
        Ok(())
    }

    /// Puts `data`, with the updates the province sent laid over it, in use, and counts a
    /// generation.
    fn install(&self, mut data: ReferenceData) {
        if let Some((_, tree)) = self
            .organisation
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            data.org = tree.clone();
        }
        for (_, update) in self
            .calendar_updates
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            data.calendar = data.calendar.updated_with(update);
        }
        self.current.store(Arc::new(data));
        self.generation.send_modify(|g| *g += 1);
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

    #[test]
    fn the_provinces_demo_holds_its_bureau_above_the_demo_city() {
        let store = ReferenceStore::province_demo().unwrap();
        let org = &store.current().org;
        let province = org.unit("prov-xfj").unwrap();
        let city = org.unit("city-xfj").unwrap();
        assert!(province.region.contains(&city.region) && province.region != city.region);
        store.reload().unwrap();
        assert!(
            store.current().org.unit("prov-xfj").is_some(),
            "a reload keeps it"
        );
    }

    #[test]
    fn a_calendar_update_outlasts_a_reload_and_a_bad_one_is_refused() {
        let store = ReferenceStore::open(None).unwrap();
        assert!(store.current().calendar.is_provisional(2027));
        let text = "[[year]]\nyear = 2027\nholidays = [\"2027-02-18\"]\n";
        store.apply_calendar("2027.1", text).unwrap();
        assert!(!store.current().calendar.is_provisional(2027));
        store.reload().unwrap();
        assert!(
            !store.current().calendar.is_provisional(2027),
            "laid over again"
        );
        let bad = store.apply_calendar("2027.2", "[[year]]\nyear = 2027\nholidays = [\"x\"]\n");
        assert!(bad.unwrap_err().file.contains("2027.2"));
    }

    #[test]
    fn an_organisation_update_takes_the_files_place_for_its_own_node_only() {
        let store = ReferenceStore::open(None).unwrap();
        assert!(store.current().org.unit("east-t3").is_none());
        let township = "\n[[unit]]\ncode = \"east-t3\"\nname = \"东城区淮北路街道\"\n\
                        kind = \"government\"\nregion = \"340102003\"\nparent = \"east-xfj\"\n";
        let text = format!("{}{township}", DEMO[2]);
        store.apply_organisation("2027.1", &text).unwrap();
        assert!(store.current().org.unit("east-t3").is_some());
        store.reload().unwrap();
        assert!(
            store.current().org.unit("east-t3").is_some(),
            "laid over again"
        );
        let other = DEMO[2].replace("\"3401", "\"3402");
        let refused = store.apply_organisation("2027.2", &other).unwrap_err();
        assert!(refused.message.contains("340200"), "{refused}");
        assert!(store.current().org.unit("east-t3").is_some(), "kept");
    }
}
