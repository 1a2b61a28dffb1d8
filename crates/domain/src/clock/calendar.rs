//! 节假日安排: per year, the public holidays and the make-up working days (调休) of the State
//! Council's arrangement, as data a user can edit or replace.

use crate::reference::{ReferenceError, Source};
use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{date} is outside the loaded holiday calendar (years {years}); add that year's arrangement to calendar.toml"
)]
pub struct CalendarError {
    pub date: NaiveDate,
    pub years: String,
}

#[derive(Debug, Clone, Default)]
struct Year {
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
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
    holidays: Vec<Spanned<String>>,
    #[serde(default)]
    workdays: Vec<Spanned<String>>,
}

impl Calendar {
    pub fn parse(source: Source<'_>) -> Result<Self, ReferenceError> {
        let file: File = source.parse()?;
        let mut years = BTreeMap::new();
        for row in file.year {
            let year = *row.year.get_ref();
            let mut parsed = Year::default();
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
            let _ = row.note;
            if years.insert(year, parsed).is_some() {
                return Err(source.error_at(
                    row.year.span().start,
                    format!("year {year} is listed twice"),
                ));
            }
        }
        Ok(Self { years })
    }

    fn year(&self, date: NaiveDate) -> Result<&Year, CalendarError> {
        self.years.get(&date.year()).ok_or_else(|| CalendarError {
            date,
            years: self
                .years
                .keys()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        })
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
pub(crate) mod tests {
    use super::*;

    /// The calendar shipped in config/reference.
    pub fn shipped() -> Calendar {
        Calendar::parse(Source {
            name: "calendar.toml",
            text: include_str!("../../../../config/reference/calendar.toml"),
        })
        .unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

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
    fn a_date_outside_the_loaded_years_fails_clearly() {
        let err = shipped().is_working_day(d("2031-05-01")).unwrap_err();
        assert!(err.to_string().contains("2025, 2026, 2027"), "{err}");
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
