//! 节假日安排: per year, the public holidays and the make-up working days (调休) of the State
//! Council's arrangement, as data a user can edit or replace. A year without its arrangement is
//! counted on the statutory holidays alone (`statutory`) and marked provisional (暂定), so a
//! deadline that ends there is computed, flagged and recomputed once the arrangement is loaded.

use super::statutory;
use crate::reference::{ReferenceError, Source};
use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{date} is outside the years the holiday calendar can count (1901–2099); the loaded arrangements cover {years}"
)]
pub struct CalendarError {
    pub date: NaiveDate,
    pub years: String,
}

#[derive(Debug, Clone, Default)]
struct Year {
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
    /// Statutory days only: the State Council's arrangement is not loaded.
    provisional: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Calendar {
    years: BTreeMap<i32, Year>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    year: Vec<YearRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearRow {
    year: Spanned<i32>,
    #[serde(default)]
    note: String,
    /// The row lists the statutory days only, before the arrangement is published.
    #[serde(default)]
    provisional: bool,
    holidays: Vec<Spanned<String>>,
    #[serde(default)]
    workdays: Vec<Spanned<String>>,
}

/// How many years after the last loaded one are counted ahead on the statutory days.
const YEARS_AHEAD: i32 = 5;

impl Calendar {
    pub fn parse(source: Source<'_>) -> Result<Self, ReferenceError> {
        let file: File = source.parse()?;
        let mut years = BTreeMap::new();
        for row in file.year {
            let year = *row.year.get_ref();
            let mut parsed = Year {
                provisional: row.provisional,
                ..Year::default()
            };
            for (list, target, what) in [
                (&row.holidays, &mut parsed.holidays, "holiday"),
                (&row.workdays, &mut parsed.workdays, "make-up working day"),
            ] {
                for day in list {
                    let date =
                        NaiveDate::parse_from_str(day.get_ref(), "%Y-%m-%d").map_err(|_| {
                            source.error_at(
                                day.span().start,
                                format!("{what} {:?} is not a date YYYY-MM-DD", day.get_ref()),
                            )
                        })?;
                    if date.year() != year {
                        return Err(source.error_at(
                            day.span().start,
                            format!("{what} {date} is not in {year}"),
                        ));
                    }
                    target.insert(date);
                }
            }
            if let Some(both) = parsed.holidays.intersection(&parsed.workdays).next() {
                return Err(source.error_at(
                    row.year.span().start,
                    format!("{both} is both a holiday and a working day"),
                ));
            }
            let _ = row.note; // for the people who edit the file
            if years.insert(year, parsed).is_some() {
                return Err(source.error_at(
                    row.year.span().start,
                    format!("year {year} is listed twice"),
                ));
            }
        }
        let mut calendar = Self { years };
        if let Some(&last) = calendar.years.keys().next_back() {
            for year in last + 1..=last + YEARS_AHEAD {
                if let Some(statutory) = Self::statutory_year(year) {
                    calendar.years.insert(year, statutory);
                }
            }
        }
        Ok(calendar)
    }

    fn statutory_year(year: i32) -> Option<Year> {
        Some(Year {
            holidays: statutory::holidays(year)?.into_iter().collect(),
            workdays: BTreeSet::new(),
            provisional: true,
        })
    }

    fn year(&self, date: NaiveDate) -> Result<Cow<'_, Year>, CalendarError> {
        if let Some(year) = self.years.get(&date.year()) {
            return Ok(Cow::Borrowed(year));
        }
        Self::statutory_year(date.year())
            .map(Cow::Owned)
            .ok_or_else(|| CalendarError {
                date,
                years: self.published_list(),
            })
    }

    fn published_list(&self) -> String {
        self.published_years()
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Whether the days of `year` are counted without the State Council's arrangement (暂定).
    pub fn is_provisional(&self, year: i32) -> bool {
        self.years.get(&year).is_none_or(|y| y.provisional)
    }

    /// The last day of the last year whose arrangement is loaded.
    pub fn published_through(&self) -> Option<NaiveDate> {
        let last = self
            .years
            .iter()
            .filter(|(_, y)| !y.provisional)
            .map(|(year, _)| *year)
            .next_back()?;
        NaiveDate::from_ymd_opt(last, 12, 31)
    }

    /// The end of the loaded arrangements, if it comes within `days` of `today` (or is past):
    /// time to add next year's arrangement.
    pub fn ends_within(&self, today: NaiveDate, days: i64) -> Option<NaiveDate> {
        let end = self.published_through()?;
        ((end - today).num_days() < days).then_some(end)
    }

    /// This calendar with the published years of `update` in place of its own (a calendar the
    /// province sends down: next year's arrangement, a correction). The statutory days are
    /// still counted ahead of the new last year.
    pub fn updated_with(&self, update: &Calendar) -> Calendar {
        let mut years = self.years.clone();
        for (year, days) in update.years.iter().filter(|(_, y)| !y.provisional) {
            years.insert(*year, days.clone());
        }
        let mut calendar = Calendar { years };
        if let Some(last) = calendar.published_through().map(|d| d.year()) {
            for year in last + 1..=last + YEARS_AHEAD {
                if !calendar.years.contains_key(&year)
                    && let Some(statutory) = Self::statutory_year(year)
                {
                    calendar.years.insert(year, statutory);
                }
            }
        }
        calendar
    }

    /// The years of the State Council's arrangement this calendar holds.
    pub fn published_years(&self) -> Vec<i32> {
        self.years
            .iter()
            .filter(|(_, y)| !y.provisional)
            .map(|(year, _)| *year)
            .collect()
    }

    /// A working day: a weekday that is not a holiday, or a make-up working day.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        let year = self.year(date)?;
        if year.workdays.contains(&date) {
            return Ok(true);
        }
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        Ok(!weekend && !year.holidays.contains(&date))
    }

    /// The first working day on or after `date`.
    pub fn next_working_day(&self, mut date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        while !self.is_working_day(date)? {
            date = date.succ_opt().expect("dates far from the end of time");
        }
        Ok(date)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::d;

    use crate::fixtures::calendar as shipped;

    #[test]
    fn spring_festival_2026_rest_and_make_up_days() {
        let c = shipped();
        assert!(!c.is_working_day(d("2026-02-17")).unwrap(), "正月初一");
        assert!(
            !c.is_working_day(d("2026-02-23")).unwrap(),
            "a Monday inside the holiday"
        );
        assert!(c.is_working_day(d("2026-02-14")).unwrap(), "调休 Saturday");
        assert!(c.is_working_day(d("2026-02-28")).unwrap(), "调休 Saturday");
        assert!(c.is_working_day(d("2026-02-24")).unwrap());
        assert!(
            !c.is_working_day(d("2026-03-01")).unwrap(),
            "an ordinary Sunday"
        );
    }

    #[test]
    fn a_year_without_its_arrangement_counts_the_statutory_days_only() {
        let c = shipped();
        assert!(c.is_provisional(2027));
        assert!(!c.is_provisional(2026));
        assert_eq!(c.published_through(), Some(d("2026-12-31")));
        // 2027-02-08 (初三) is a statutory holiday, 2027-02-09 an ordinary Tuesday.
        assert!(!c.is_working_day(d("2027-02-08")).unwrap());
        assert!(c.is_working_day(d("2027-02-09")).unwrap());
        // Far beyond the loaded years, the statutory days still count.
        assert!(!c.is_working_day(d("2031-10-02")).unwrap());
        assert!(c.is_provisional(2031));
    }

    #[test]
    fn the_end_of_the_loaded_arrangements_is_seen_sixty_days_ahead() {
        let c = shipped();
        assert_eq!(c.ends_within(d("2026-11-28"), 60), Some(d("2026-12-31")));
        assert_eq!(c.ends_within(d("2026-10-01"), 60), None);
    }

    #[test]
    fn a_date_beyond_the_lunar_tables_fails_clearly() {
        let err = shipped().is_working_day(d("2150-05-04")).unwrap_err();
        assert!(err.to_string().contains("2025, 2026"), "{err}");
    }

    #[test]
    fn an_update_puts_its_published_years_in_place_of_the_statutory_ones() {
        let update = Calendar::parse(Source {
            name: "update",
            text: "[[year]]\nyear = 2027\nholidays = [\"2027-02-18\"]\nworkdays = [\"2027-02-20\"]\n",
        })
        .unwrap();
        let c = shipped().updated_with(&update);
        assert!(!c.is_provisional(2027));
        assert!(
            !c.is_working_day(d("2027-02-18")).unwrap(),
            "the update's holiday"
        );
        assert!(
            c.is_working_day(d("2027-02-20")).unwrap(),
            "its make-up Saturday"
        );
        // 2027-02-08 was a statutory day; the arrangement sent does not list it.
        assert!(c.is_working_day(d("2027-02-08")).unwrap());
        assert_eq!(c.published_years(), vec![2025, 2026, 2027]);
        assert!(c.is_provisional(2028));
        assert!(
            !c.is_working_day(d("2032-10-01")).unwrap(),
            "statutory days ahead"
        );
        // The years the update does not publish stay as they were.
        assert!(!c.is_working_day(d("2026-02-17")).unwrap());
    }

    #[test]
    fn a_date_of_another_year_is_rejected_with_its_line() {
        let text = "[[year]]\nyear = 2026\nholidays = [\"2025-10-01\"]\n";
        let err = Calendar::parse(Source {
            name: "c.toml",
            text,
        })
        .unwrap_err();
        assert_eq!(err.line, 3);
    }
}
