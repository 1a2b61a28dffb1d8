//! Limits, pauses, extensions and the due dates they make, each with its explanation.

use super::calendar::{Calendar, CalendarError};
use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitUnit {
    /// 日: calendar days; a last day that is a rest day moves to the next working day.
    CalendarDays,
    /// 工作日.
    WorkingDays,
}

/// A statutory limit as configured: its name, length and unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    pub name: String,
    pub days: u32,
    pub unit: LimitUnit,
}

impl Limit {
    pub fn new(name: &str, days: u32, unit: LimitUnit) -> Self {
        Self {
            name: name.to_owned(),
            days,
            unit,
        }
    }

    /// The name a clerk knows the limit by.
    pub fn label(&self) -> &str {
        label_of(&self.name)
    }
}

/// The name a clerk knows a limit by (`handling` is 办理).
pub fn label_of(name: &str) -> &str {
    match name {
        "triage" => "分流",
        "acceptance" => "受理告知",
        "objection" => "异议",
        "handling" => "办理",
        "review_window" => "复查申请",
        "review_decision" => "复查",
        "re_examination_window" => "复核申请",
        "re_examination_decision" => "复核",
        "evaluation_window" => "评价",
        "revisit" => "回访",
        "order_reply" => "督办回复",
        other => other,
    }
}

/// A pause of the clock (听证, 鉴定, 核查), both days inclusive; these days do not count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    pub reason: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// The statutory limits of a node, as configured; each names its length and unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub triage: Limit,
    pub acceptance: Limit,
    pub objection: Limit,
    pub handling: Limit,
    pub review_window: Limit,
    pub review_decision: Limit,
    pub re_examination_window: Limit,
    pub re_examination_decision: Limit,
    pub evaluation_window: Limit,
    /// 回访: the organ's visit to a dissatisfied petitioner.
    pub revisit: Limit,
    pub order_reply: Limit,
    /// One extension of the handling limit, at most this many calendar days (Art. 34).
    pub extension_cap_days: u32,
}

impl Default for Limits {
    /// The limits of the 信访工作条例, and the [default] 30-day evaluation window and 5 working
    /// days for the reply to a supervision order.
    fn default() -> Self {
        let days = |name, n| Limit::new(name, n, LimitUnit::CalendarDays);
        Self {
            triage: days("triage", 15),
            acceptance: days("acceptance", 15),
            objection: Limit::new("objection", 5, LimitUnit::WorkingDays),
            handling: days("handling", 60),
            review_window: days("review_window", 30),
            review_decision: days("review_decision", 30),
            re_examination_window: days("re_examination_window", 30),
            re_examination_decision: days("re_examination_decision", 30),
            evaluation_window: days("evaluation_window", 30),
            revisit: days("revisit", 15),
            order_reply: Limit::new("order_reply", 5, LimitUnit::WorkingDays),
            extension_cap_days: 30,
        }
    }
}

/// A due date with everything it was computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub limit: Limit,
    pub trigger: NaiveDate,
    pub pauses: Vec<Pause>,
    pub extension_days: u32,
    /// The last day before moving off a rest day.
    pub raw_due: NaiveDate,
    pub due: NaiveDate,
    pub explanation: String,
    /// Counted through a year whose holiday arrangement is not loaded (暂定): recomputed when it
    /// is.
    #[serde(default)]
    pub provisional: bool,
}

impl Deadline {
    /// The same limit from the same trigger, counted again (a new calendar, new pauses).
    pub fn recompute(
        &self,
        calendar: &Calendar,
        pauses: &[Pause],
    ) -> Result<Deadline, CalendarError> {
        due_date(
            calendar,
            &self.limit,
            self.trigger,
            pauses,
            self.extension_days,
        )
    }
}

fn add_days(date: NaiveDate, days: u64) -> Result<NaiveDate, CalendarError> {
    date.checked_add_days(Days::new(days))
        .ok_or_else(|| CalendarError {
            date,
            years: String::new(),
        })
}

/// The part of each pause that lies after `trigger`: only days after it count in its limit.
fn after_trigger(pauses: &[Pause], trigger: NaiveDate) -> Vec<Pause> {
    pauses
        .iter()
        .filter(|p| p.end > trigger)
        .map(|p| Pause {
            start: p.start.max(trigger.succ_opt().unwrap_or(trigger)),
            ..p.clone()
        })
        .collect()
}

/// The due date of `limit` triggered on `trigger`, with pauses and an extension (calendar days).
pub fn due_date(
    calendar: &Calendar,
    limit: &Limit,
    trigger: NaiveDate,
    pauses: &[Pause],
    extension_days: u32,
) -> Result<Deadline, CalendarError> {
    let pauses = &after_trigger(pauses, trigger);
    let mut notes = vec![format!(
        "{}期限{}{}，自{}次日起算",
        limit.label(),
        limit.days,
        match limit.unit {
            LimitUnit::CalendarDays => "日",
            LimitUnit::WorkingDays => "个工作日",
        },
        trigger
    )];
    let (raw_due, due) = match limit.unit {
        LimitUnit::CalendarDays => {
            let paused: u64 = pauses.iter().map(calendar_length).sum();
            let raw = add_days(
                trigger,
                u64::from(limit.days) + u64::from(extension_days) + paused,
            )?;
            (raw, calendar.next_working_day(raw)?)
        }
        LimitUnit::WorkingDays => {
            let mut paused = 0u64;
            for p in pauses {
                paused += working_days_in(calendar, p)?;
            }
            let mut remaining = u64::from(limit.days) + u64::from(extension_days) + paused;
            let mut date = trigger;
            while remaining > 0 {
                date = add_days(date, 1)?;
                if calendar.is_working_day(date)? {
                    remaining -= 1;
                }
            }
            (date, date)
        }
    };
    for p in pauses {
        notes.push(format!(
            "{}暂停 {} 至 {}，不计入期限",
            p.reason, p.start, p.end
        ));
    }
    if extension_days > 0 {
        notes.push(format!("经批准延期{extension_days}日"));
    }
    if raw_due == due {
        notes.push(format!("期满日 {due}"));
    } else {
        notes.push(format!("期满日 {raw_due} 为休息日，顺延至 {due}"));
    }
    let provisional = (trigger.year()..=due.year()).any(|y| calendar.is_provisional(y));
    if provisional {
        notes.push(format!(
            "暂定：{}年节假日安排未载入，按法定节假日计算，载入后重算",
            due.year()
        ));
    }
    Ok(Deadline {
        limit: limit.clone(),
        trigger,
        pauses: pauses.to_vec(),
        extension_days,
        raw_due,
        due,
        explanation: notes.join("；"),
        provisional,
    })
}

fn calendar_length(p: &Pause) -> u64 {
    (p.end - p.start).num_days().max(-1) as u64 + 1
}

fn working_days_in(calendar: &Calendar, p: &Pause) -> Result<u64, CalendarError> {
    let mut n = 0;
    let mut date = p.start;
    while date <= p.end {
        if calendar.is_working_day(date)? {
            n += 1;
        }
        date = add_days(date, 1)?;
    }
    Ok(n)
}

/// 延期 (Art. 34): granted once, never beyond the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension {
    pub cap_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtensionError {
    #[error(
        "the handling limit was already extended once; a second extension is not allowed (Art. 34)"
    )]
    AlreadyGranted,
    #[error("an extension is at most {cap} days, {requested} were requested")]
    OverCap { requested: u32, cap: u32 },
    #[error("an extension must be at least one day")]
    Empty,
}

impl Extension {
    pub fn check(&self, already_granted: bool, requested: u32) -> Result<u32, ExtensionError> {
        if already_granted {
            Err(ExtensionError::AlreadyGranted)
        } else if requested == 0 {
            Err(ExtensionError::Empty)
        } else if requested > self.cap_days {
            Err(ExtensionError::OverCap {
                requested,
                cap: self.cap_days,
            })
        } else {
            Ok(requested)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::calendar as shipped;
    use crate::fixtures::d;
    use proptest::prelude::*;

    fn cal(days: u32) -> Limit {
        Limit::new("handling", days, LimitUnit::CalendarDays)
    }

    /// Hand-computed 2026 dates (国办 2026 arrangement).
    #[test]
    fn hand_computed_2026_due_dates() {
        let c = shipped();
        let cases: &[(&str, Limit, u32, &str)] = &[
            // 15 days from 02-03 is 02-18, inside 春节 (02-15..02-23): moves to Tuesday 02-24.
            (
                "2026-02-03",
                Limit::new("triage", 15, LimitUnit::CalendarDays),
                0,
                "2026-02-24",
            ),
            // 15 days from 01-30 is 02-14, a 调休 Saturday: a working day, it stays.
            (
                "2026-01-30",
                Limit::new("triage", 15, LimitUnit::CalendarDays),
                0,
                "2026-02-14",
            ),
            // 60 days from 03-02 is 05-01, 劳动节 (05-01..05-05): moves to Wednesday 05-06.
            ("2026-03-02", cal(60), 0, "2026-05-06"),
            // 60 + 30 extension from 03-02 is 05-31, a Sunday: moves to Monday 06-01.
            ("2026-03-02", cal(60), 30, "2026-06-01"),
            // 15 days from 09-18 is 10-03, 国庆 (10-01..10-07): moves to Thursday 10-08.
            (
                "2026-09-18",
                Limit::new("acceptance", 15, LimitUnit::CalendarDays),
                0,
                "2026-10-08",
            ),
            // 15 days from 09-25 is 10-10, a 调休 Saturday: stays.
            (
                "2026-09-25",
                Limit::new("acceptance", 15, LimitUnit::CalendarDays),
                0,
                "2026-10-10",
            ),
            // 5 working days from Thursday 02-12: 13 (Fri), 14 (调休 Sat), 24, 25, 26.
            (
                "2026-02-12",
                Limit::new("objection", 5, LimitUnit::WorkingDays),
                0,
                "2026-02-26",
            ),
            // 5 working days from Tuesday 09-29: 30, then 10-08, 10-09, 10-10 (调休 Sat), 10-12.
            (
                "2026-09-29",
                Limit::new("objection", 5, LimitUnit::WorkingDays),
                0,
                "2026-10-12",
            ),
            // 5 working days from Friday 09-18: 09-20 (调休 Sun), 21, 22, 23, 24.
            (
                "2026-09-18",
                Limit::new("objection", 5, LimitUnit::WorkingDays),
                0,
                "2026-09-24",
            ),
        ];
        for (trigger, limit, extension, expected) in cases {
            let deadline = due_date(&c, limit, d(trigger), &[], *extension).unwrap();
            assert_eq!(
                deadline.due,
                d(expected),
                "{} from {trigger}: {}",
                limit.name,
                deadline.explanation
            );
        }
    }

    #[test]
    fn the_explanation_says_why() {
        let deadline = due_date(
            &shipped(),
            &Limit::new("triage", 15, LimitUnit::CalendarDays),
            d("2026-02-03"),
            &[],
            0,
        )
        .unwrap();
        assert_eq!(
            deadline.explanation,
            "分流期限15日，自2026-02-03次日起算；期满日 2026-02-18 为休息日，顺延至 2026-02-24"
        );
    }

    #[test]
    fn a_hearing_pause_extends_by_its_length() {
        let pause = Pause {
            reason: "听证".into(),
            start: d("2026-03-10"),
            end: d("2026-03-14"),
        };
        let deadline = due_date(&shipped(), &cal(60), d("2026-03-02"), &[pause], 0).unwrap();
        // 60 + 5 days from 03-02 is 05-06, a working day.
        assert_eq!(deadline.due, d("2026-05-06"));
        assert!(deadline.explanation.contains("听证暂停"));
    }

    #[test]
    fn an_extension_is_granted_once_and_within_its_cap() {
        let ext = Extension { cap_days: 30 };
        assert_eq!(ext.check(false, 30), Ok(30));
        assert_eq!(
            ext.check(false, 31),
            Err(ExtensionError::OverCap {
                requested: 31,
                cap: 30
            })
        );
        assert_eq!(ext.check(true, 10), Err(ExtensionError::AlreadyGranted));
        assert_eq!(ext.check(false, 0), Err(ExtensionError::Empty));
    }

    fn day(from: &str, n: u64) -> NaiveDate {
        add_days(d(from), n).unwrap()
    }

    fn trigger() -> impl Strategy<Value = NaiveDate> {
        (0u64..900).prop_map(|n| day("2025-01-01", n))
    }

    /// Pauses after a trigger, as offsets from it.
    fn pauses() -> impl Strategy<Value = Vec<(u64, u64)>> {
        prop::collection::vec((1u64..40, 0u64..10), 0..3)
    }

    fn pauses_after(t: NaiveDate, spans: &[(u64, u64)]) -> Vec<Pause> {
        spans
            .iter()
            .map(|(offset, len)| Pause {
                reason: "听证".into(),
                start: add_days(t, *offset).unwrap(),
                end: add_days(t, offset + len).unwrap(),
            })
            .collect()
    }

    proptest! {
        #[test]
        fn a_working_day_limit_never_ends_on_a_rest_day(t in trigger(), days in 1u32..40) {
            let c = shipped();
            let deadline = due_date(&c, &Limit::new("objection", days, LimitUnit::WorkingDays), t, &[], 0).unwrap();
            prop_assert!(c.is_working_day(deadline.due).unwrap());
        }

        #[test]
        fn a_calendar_limit_ends_on_a_working_day_never_before_its_days(t in trigger(), days in 1u32..90) {
            let c = shipped();
            let deadline = due_date(&c, &cal(days), t, &[], 0).unwrap();
            prop_assert!(c.is_working_day(deadline.due).unwrap());
            prop_assert!(deadline.due >= add_days(t, u64::from(days)).unwrap());
        }

        #[test]
        fn pauses_add_exactly_their_length_and_never_make_it_earlier(t in trigger(), days in 1u32..90, spans in pauses()) {
            let c = shipped();
            let ps = pauses_after(t, &spans);
            let without = due_date(&c, &cal(days), t, &[], 0).unwrap();
            let with = due_date(&c, &cal(days), t, &ps, 0).unwrap();
            let length: u64 = ps.iter().map(calendar_length).sum();
            prop_assert_eq!(with.raw_due, add_days(without.raw_due, length).unwrap());
            prop_assert!(with.due >= without.due);
        }

        #[test]
        fn days_of_a_pause_before_the_trigger_do_not_count(t in trigger(), days in 1u32..90) {
            let c = shipped();
            let earlier = Pause {
                reason: "鉴定".into(),
                start: t.checked_sub_days(Days::new(10)).unwrap(),
                end: t,
            };
            let without = due_date(&c, &cal(days), t, &[], 0).unwrap();
            let with = due_date(&c, &cal(days), t, &[earlier], 0).unwrap();
            prop_assert_eq!(with.due, without.due);
        }

        #[test]
        fn a_deadline_is_provisional_exactly_when_it_reaches_a_year_without_its_arrangement(t in trigger(), days in 1u32..90) {
            let c = shipped();
            let deadline = due_date(&c, &cal(days), t, &[], 0).unwrap();
            prop_assert_eq!(deadline.provisional, deadline.due.year() >= 2027);
            prop_assert_eq!(deadline.explanation.contains("暂定"), deadline.provisional);
        }
    }
}
