//! When the watcher acts on an item's clock: a warning some days before a limit ends, an overdue
//! mark (and a supervision order) the day after it ended, and the end of the evaluation window.
//! Each happens once per due date: a changed deadline (an extension) is watched anew, a restart
//! repeats nothing.

use chrono::{Days, NaiveDate};

/// What the watcher knows of an item's clock.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Watched {
    pub due: Option<NaiveDate>,
    /// The due date a warning was given for.
    pub warned_due: Option<NaiveDate>,
    /// The due date an overdue mark was given for.
    pub overdue_due: Option<NaiveDate>,
    /// The last day the petitioner may evaluate (评价期限).
    pub evaluation_due: Option<NaiveDate>,
    /// Evaluated, or already counted as not evaluated.
    pub evaluation_settled: bool,
}

/// What is due today.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checks {
    pub warn: bool,
    pub overdue: bool,
    pub evaluation_missed: bool,
}

impl Checks {
    pub fn any(self) -> bool {
        self.warn || self.overdue || self.evaluation_missed
    }
}

fn minus(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_sub_days(Days::new(u64::from(days)))
        .unwrap_or(date)
}

fn plus_one(date: NaiveDate) -> NaiveDate {
    date.succ_opt().unwrap_or(date)
}

impl Watched {
    fn warning_pending(&self) -> Option<NaiveDate> {
        let due = self.due?;
        (self.warned_due != Some(due) && self.overdue_due != Some(due)).then_some(due)
    }

    fn overdue_pending(&self) -> Option<NaiveDate> {
        let due = self.due?;
        (self.overdue_due != Some(due)).then_some(due)
    }

    fn evaluation_pending(&self) -> Option<NaiveDate> {
        self.evaluation_due.filter(|_| !self.evaluation_settled)
    }

    /// What to do today. A warning comes only before the limit ends; once it has ended the
    /// overdue mark says more.
    pub fn checks(&self, today: NaiveDate, warn_days: u32) -> Checks {
        Checks {
            warn: self
                .warning_pending()
                .is_some_and(|due| today >= minus(due, warn_days) && today <= due),
            overdue: self.overdue_pending().is_some_and(|due| today > due),
            evaluation_missed: self.evaluation_pending().is_some_and(|last| today > last),
        }
    }

    /// Records what was done today.
    pub fn apply(&mut self, checks: Checks) {
        if checks.warn {
            self.warned_due = self.due;
        }
        if checks.overdue {
            self.overdue_due = self.due;
        }
        if checks.evaluation_missed {
            self.evaluation_settled = true;
        }
    }

    /// The next day something may be due: what the watcher's index is ordered by.
    pub fn next_check(&self, warn_days: u32) -> Option<NaiveDate> {
        [
            self.warning_pending().map(|due| minus(due, warn_days)),
            self.overdue_pending().map(plus_one),
            self.evaluation_pending().map(plus_one),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::d;

    #[test]
    fn an_untouched_item_is_warned_once_then_marked_overdue_once() {
        let mut w = Watched {
            due: Some(d("2026-02-24")),
            ..Default::default()
        };
        assert_eq!(w.next_check(3), Some(d("2026-02-21")));
        assert!(!w.checks(d("2026-02-20"), 3).any());

        let today = d("2026-02-21");
        let checks = w.checks(today, 3);
        assert_eq!(
            checks,
            Checks {
                warn: true,
                ..Default::default()
            }
        );
        w.apply(checks);
        assert!(!w.checks(today, 3).any(), "the same day again does nothing");
        assert_eq!(w.next_check(3), Some(d("2026-02-25")));

        assert!(
            !w.checks(d("2026-02-24"), 3).any(),
            "the last day is not overdue"
        );
        let checks = w.checks(d("2026-02-25"), 3);
        assert_eq!(
            checks,
            Checks {
                overdue: true,
                ..Default::default()
            }
        );
        w.apply(checks);
        assert_eq!(w.next_check(3), None);
        assert!(!w.checks(d("2026-03-30"), 3).any());
    }

    #[test]
    fn a_new_due_date_is_watched_anew() {
        let mut w = Watched {
            due: Some(d("2026-04-07")),
            warned_due: Some(d("2026-04-07")),
            ..Default::default()
        };
        w.due = Some(d("2026-05-06")); // extended
        assert_eq!(w.next_check(3), Some(d("2026-05-03")));
    }

    #[test]
    fn a_watcher_that_slept_through_the_warning_only_marks_overdue() {
        let w = Watched {
            due: Some(d("2026-02-24")),
            ..Default::default()
        };
        assert_eq!(
            w.checks(d("2026-03-02"), 3),
            Checks {
                overdue: true,
                ..Default::default()
            }
        );
    }

    #[test]
    fn the_evaluation_window_closes_the_day_after_its_last_day() {
        let w = Watched {
            evaluation_due: Some(d("2026-03-05")),
            ..Default::default()
        };
        assert_eq!(w.next_check(3), Some(d("2026-03-06")));
        assert!(w.checks(d("2026-03-06"), 3).evaluation_missed);
        let settled = Watched {
            evaluation_settled: true,
            ..w
        };
        assert_eq!(settled.next_check(3), None);
    }
}
