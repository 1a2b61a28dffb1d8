//! 联合接访, 一局一周 (domain.md, Supporting workflows): the roster of departments on duty in a
//! petition office's reception hall, week by week, published for the year; a swap between two
//! departments is recorded with its reason, and the roster answers who is on duty on any day.

use crate::aggregate::Aggregate;
use crate::reference::{OrgTree, UnitKind};
use crate::{Reason, Refusal};
use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A swap of duty in one week: `from` hands its week to `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Swap {
    pub week: NaiveDate,
    pub from: String,
    pub to: String,
    pub reason: String,
    pub on: NaiveDate,
}

/// One office's roster of one year: the departments on duty per week (by its Monday).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    pub office: String,
    pub year: i32,
    pub weeks: BTreeMap<NaiveDate, Vec<String>>,
    pub swaps: Vec<Swap>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RosterCommand {
    /// The weeks of `year`, each by its Monday; weeks already begun keep their duty.
    Publish {
        year: i32,
        weeks: Vec<(NaiveDate, Vec<String>)>,
    },
    Swap {
        week: NaiveDate,
        from: String,
        to: String,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RosterEvent {
    Published {
        office: String,
        year: i32,
        weeks: BTreeMap<NaiveDate, Vec<String>>,
    },
    Swapped(Swap),
}

pub struct RosterContext<'a> {
    pub org: &'a OrgTree,
    pub today: NaiveDate,
    pub unit: &'a str,
}

/// The Monday of the week `day` falls in.
pub fn monday_of(day: NaiveDate) -> NaiveDate {
    day - chrono::Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

fn department(org: &OrgTree, field: &str, code: &str) -> Result<(), Refusal> {
    match org.unit(code) {
        Some(u) if u.kind == UnitKind::Department => Ok(()),
        Some(_) => Err(Refusal::field(
            field,
            format!("{code} is not a department (职能部门)"),
        )),
        None => Err(Refusal::field(
            field,
            format!("{code} is not a unit of this node's organisation tree"),
        )),
    }
}

impl Roster {
    /// The departments on duty on `day`.
    pub fn on_duty(&self, day: NaiveDate) -> &[String] {
        self.weeks
            .get(&monday_of(day))
            .map_or(&[], |units| units.as_slice())
    }
}

impl Aggregate for Roster {
    type Command = RosterCommand;
    type Event = RosterEvent;
    type Context<'a> = RosterContext<'a>;

    fn decide(
        state: Option<&Roster>,
        command: RosterCommand,
        ctx: &RosterContext<'_>,
    ) -> Result<Vec<RosterEvent>, Refusal> {
        if let Some(r) = state
            && r.office != ctx.unit
        {
            return Err(Refusal::new(
                Reason::NotResponsibleOrgan,
                format!("the roster is {}'s", r.office),
            ));
        }
        match command {
            RosterCommand::Publish { year, weeks } => {
                if weeks.is_empty() {
                    return Err(Refusal::field("weeks", "a roster names its weeks"));
                }
                let mut published = state.map(|r| r.weeks.clone()).unwrap_or_default();
                for (i, (week, units)) in weeks.into_iter().enumerate() {
                    let field = format!("weeks[{i}]");
                    if week.weekday() != Weekday::Mon || week.year() != year {
                        return Err(Refusal::field(
                            &format!("{field}.week_start"),
                            format!("{week} is not a Monday of {year}"),
                        ));
                    }
                    if units.is_empty() {
                        return Err(Refusal::field(
                            &format!("{field}.organ_codes"),
                            "a week has a department on duty",
                        ));
                    }
                    for (j, u) in units.iter().enumerate() {
                        department(ctx.org, &format!("{field}.organ_codes[{j}]"), u)?;
                    }
                    // A week already begun keeps the duty it had: people are in the hall.
                    if week <= ctx.today && published.contains_key(&week) {
                        continue;
                    }
                    published.insert(week, units);
                }
                Ok(vec![RosterEvent::Published {
                    office: ctx.unit.to_owned(),
                    year,
                    weeks: published,
                }])
            }
            RosterCommand::Swap {
                week,
                from,
                to,
                reason,
            } => {
                let roster = state.ok_or_else(|| {
                    Refusal::new(Reason::NotFound, "no roster is published for that year")
                })?;
                let week = monday_of(week);
                let on_duty = roster.weeks.get(&week).ok_or_else(|| {
                    Refusal::field("week_start", format!("the roster has no week {week}"))
                })?;
                if !on_duty.contains(&from) {
                    return Err(Refusal::field(
                        "from_organ_code",
                        format!("{from} is not on duty in the week of {week}"),
                    ));
                }
                department(ctx.org, "to_organ_code", &to)?;
                if on_duty.contains(&to) {
                    return Err(Refusal::field(
                        "to_organ_code",
                        format!("{to} is on duty that week already"),
                    ));
                }
                Ok(vec![RosterEvent::Swapped(Swap {
                    week,
                    from,
                    to,
                    reason,
                    on: ctx.today,
                })])
            }
        }
    }

    fn evolve(state: Option<Roster>, event: &RosterEvent) -> Option<Roster> {
        match (state, event.clone()) {
            (
                state,
                RosterEvent::Published {
                    office,
                    year,
                    weeks,
                },
            ) => Some(Roster {
                office,
                year,
                weeks,
                swaps: state.map(|r| r.swaps).unwrap_or_default(),
            }),
            (Some(mut r), RosterEvent::Swapped(swap)) => {
                if let Some(units) = r.weeks.get_mut(&swap.week) {
                    for u in units.iter_mut() {
                        if *u == swap.from {
                            *u = swap.to.clone();
                        }
                    }
                }
                r.swaps.push(swap);
                Some(r)
            }
            (None, RosterEvent::Swapped(_)) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{d, org};

    fn run(
        state: Option<Roster>,
        command: RosterCommand,
        today: &str,
        unit: &str,
    ) -> Result<Roster, Refusal> {
        let org = org();
        let ctx = RosterContext {
            org: &org,
            today: d(today),
            unit,
        };
        let events = Roster::decide(state.as_ref(), command, &ctx)?;
        Ok(Roster::evolve_all(state, &events).expect("a roster"))
    }

    fn published() -> Roster {
        let weeks = vec![
            (d("2026-03-02"), vec!["city-rsj".to_owned()]),
            (d("2026-03-09"), vec!["city-zjj".to_owned()]),
        ];
        run(
            None,
            RosterCommand::Publish { year: 2026, weeks },
            "2026-02-20",
            "city-xfj",
        )
        .unwrap()
    }

    #[test]
    fn the_roster_answers_who_is_on_duty_any_day_across_a_swap() {
        let roster = published();
        assert_eq!(roster.on_duty(d("2026-03-04")), ["city-rsj"]);
        assert_eq!(
            roster.on_duty(d("2026-03-15")),
            ["city-zjj"],
            "Sunday belongs to its week"
        );
        let swap = RosterCommand::Swap {
            week: d("2026-03-11"),
            from: "city-zjj".into(),
            to: "city-zrzyj".into(),
            reason: "市住建局承办全市会议".into(),
        };
        let swapped = run(Some(roster.clone()), swap, "2026-03-05", "city-xfj").unwrap();
        assert_eq!(swapped.on_duty(d("2026-03-10")), ["city-zrzyj"]);
        assert_eq!(
            swapped.on_duty(d("2026-03-03")),
            ["city-rsj"],
            "other weeks keep theirs"
        );
        assert_eq!(swapped.swaps.len(), 1);
        let other = RosterCommand::Swap {
            week: d("2026-03-11"),
            from: "city-zjj".into(),
            to: "city-rsj".into(),
            reason: String::new(),
        };
        assert!(
            run(Some(swapped), other, "2026-03-06", "city-xfj").is_err(),
            "city-zjj is off that week"
        );
    }

    #[test]
    fn weeks_are_mondays_of_the_year_staffed_by_departments() {
        let tuesday = vec![(d("2026-03-03"), vec!["city-rsj".to_owned()])];
        let refused = run(
            None,
            RosterCommand::Publish {
                year: 2026,
                weeks: tuesday,
            },
            "2026-02-20",
            "city-xfj",
        );
        assert_eq!(refused.unwrap_err().fields[0].field, "weeks[0].week_start");
        let office = vec![(d("2026-03-02"), vec!["east-xfj".to_owned()])];
        assert!(
            run(
                None,
                RosterCommand::Publish {
                    year: 2026,
                    weeks: office
                },
                "2026-02-20",
                "city-xfj"
            )
            .is_err()
        );
        let foreign = run(
            Some(published()),
            RosterCommand::Publish {
                year: 2026,
                weeks: vec![(d("2026-03-16"), vec!["city-rsj".to_owned()])],
            },
            "2026-02-21",
            "east-xfj",
        );
        assert_eq!(foreign.unwrap_err().reason, Reason::NotResponsibleOrgan);
    }
}
