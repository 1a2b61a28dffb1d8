//! Loading the node's reference data (code tables, organisation tree) from a folder, or the demo
//! data built into the binary, and reloading it without a restart. A file with an error is
//! rejected as a whole and the data in use stays.

use std::path::Path;
use std::sync::{Arc, RwLock};
use xinfang_domain::reference::{ReferenceData, ReferenceError, Source, Sources};

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

/// The reference data in use, swapped whole on reload.
#[derive(Clone)]
pub struct ReferenceStore {
    dir: Option<std::path::PathBuf>,
    current: Arc<RwLock<Arc<ReferenceData>>>,
}

impl ReferenceStore {
    pub fn open(dir: Option<&Path>) -> Result<Self, ReferenceError> {
        Ok(Self {
            dir: dir.map(Path::to_path_buf),
            current: Arc::new(RwLock::new(Arc::new(load(dir)?))),
        })
    }

    pub fn current(&self) -> Arc<ReferenceData> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Re-reads the files; on error the data in use stays and the error is returned.
    pub fn reload(&self) -> Result<(), ReferenceError> {
        let fresh = Arc::new(load(self.dir.as_deref())?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(())
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
