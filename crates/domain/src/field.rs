//! The error every parser of outside input returns: which field, and what is wrong with it.

use chrono::{Datelike, NaiveDate};
use std::fmt;
use std::ops::RangeInclusive;

/// A violation of one input field, named the way the wire message names it
/// (`petitioners[0].id_number`), so the caller can point at it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error seen from an enclosing message: `id_number` becomes `petitioners[2].id_number`.
    pub fn within(mut self, parent: &str) -> Self {
        self.field = format!("{parent}.{}", self.field);
        self
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// The years a day or a time people enter may fall in: nothing of the platform is older, and
/// date arithmetic stays far from chrono's limits.
pub const YEARS: RangeInclusive<i32> = 1990..=2099;

/// A day people enter: `YYYY-MM-DD` within [`YEARS`].
pub fn day(field: &str, value: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| YEARS.contains(&d.year()))
        .ok_or_else(|| {
            FieldError::new(
                field,
                format!(
                    "{value:?} is not a day YYYY-MM-DD between {} and {}",
                    YEARS.start(),
                    YEARS.end()
                ),
            )
        })
}

/// Collects every field error of a request, so the caller learns all of them at once.
#[derive(Debug, Default)]
pub struct Fields(Vec<FieldError>);

impl Fields {
    pub fn new() -> Self {
        Self::default()
    }

    /// The value, or None with its field errors kept.
    pub fn take<T>(&mut self, parsed: Result<T, crate::Refusal>) -> Option<T> {
        parsed.map_err(|r| self.0.extend(r.fields)).ok()
    }

    /// The request's value when no field was wrong, else every field error.
    pub fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, crate::Refusal> {
        match (self.0.is_empty(), value()) {
            (true, Some(value)) => Ok(value),
            _ => Err(crate::Refusal::invalid(self.0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_taken_within_the_years_and_refused_outside() {
        assert_eq!(
            day("from", " 2026-02-03 ").unwrap(),
            NaiveDate::from_ymd_opt(2026, 2, 3).unwrap()
        );
        for bad in [
            "+262142-12-31",
            "0001-01-01",
            "2100-01-01",
            "2026-02-30",
            "昨天",
        ] {
            let err = day("from", bad).unwrap_err();
            assert_eq!(err.field, "from", "{bad}");
        }
    }
}
