//! The node's clock: real time, optionally started at a configured instant or shifted by whole
//! days, so that the embedded default can let time pass without sleeping. Every service of a
//! node reads time from here, and dates of limits are local dates in the node's time zone.

use crate::config::ClockSettings;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};

#[derive(Debug, Clone, Copy)]
pub struct NodeClock {
    offset: Duration,
    zone: FixedOffset,
}

impl NodeClock {
    pub fn new(settings: &ClockSettings) -> Result<Self, String> {
        let zone = FixedOffset::east_opt(settings.utc_offset_hours * 3600).ok_or_else(|| {
            format!(
                "clock.utc_offset_hours: {} is not a time zone",
                settings.utc_offset_hours
            )
        })?;
        let start = match &settings.start {
            None => Duration::zero(),
            Some(start) => {
                let at = DateTime::parse_from_rfc3339(start)
                    .map_err(|e| format!("clock.start: {start:?} is not an RFC 3339 time: {e}"))?;
                at.with_timezone(&Utc) - Utc::now()
            }
        };
        Ok(Self {
            offset: start + Duration::days(settings.offset_days),
            zone,
        })
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }

    /// The local date of an instant.
    pub fn date_of(&self, at: DateTime<Utc>) -> NaiveDate {
        self.local(at).date_naive()
    }

    /// An instant in the node's time zone (Beijing time).
    pub fn local(&self, at: DateTime<Utc>) -> DateTime<FixedOffset> {
        at.with_timezone(&self.zone)
    }

    /// An instant as people read it: `2026-02-03 09:00:00`, in the node's time zone.
    pub fn show(&self, at: DateTime<Utc>) -> String {
        self.local(at).format("%Y-%m-%d %H:%M:%S").to_string()
    }

    /// The last second of a local day (a limit's due date), as an instant.
    pub fn end_of(&self, day: NaiveDate) -> DateTime<Utc> {
        let last = day.and_hms_opt(23, 59, 59).expect("a valid time");
        (last - Duration::seconds(i64::from(self.zone.local_minus_utc()))).and_utc()
    }

    pub fn today(&self) -> NaiveDate {
        self.date_of(self.now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_due_day_ends_at_midnight_beijing_time() {
        let clock = NodeClock::new(&ClockSettings {
            utc_offset_hours: 8,
            start: None,
            offset_days: 0,
        })
        .unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 4, 1).unwrap();
        assert_eq!(clock.end_of(day).to_rfc3339(), "2026-04-01T15:59:59+00:00");
    }

    #[test]
    fn a_configured_start_and_offset_move_the_date() {
        let clock = NodeClock::new(&ClockSettings {
            utc_offset_hours: 8,
            start: Some("2026-02-03T23:30:00+08:00".into()),
            offset_days: 2,
        })
        .unwrap();
        assert_eq!(clock.today().to_string(), "2026-02-05");
        // 16:30 UTC on 02-03 is already 02-04 in Beijing.
        let late = DateTime::parse_from_rfc3339("2026-02-03T16:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(clock.date_of(late).to_string(), "2026-02-04");
    }

    #[test]
    fn a_bad_start_names_its_key() {
        let err = NodeClock::new(&ClockSettings {
            utc_offset_hours: 8,
            start: Some("yesterday".into()),
            offset_days: 0,
        })
        .unwrap_err();
        assert!(err.starts_with("clock.start"));
    }
}
