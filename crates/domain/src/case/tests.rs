//! The case decider without a database: every command in every state, hand-computed pauses, and
//! a property test that no sequence of accepted commands reaches an illegal state.

use super::*;
use crate::fixtures::{self, d};
use crate::lifecycle::ALL_STATES;
use crate::reference::Source;
use proptest::prelude::*;

struct World {
    org: OrgTree,
    calendar: Calendar,
    limits: Limits,
}

fn world() -> World {
    World {
        org: fixtures::org(),
        calendar: fixtures::calendar(),
        limits: Limits::default(),
    }
}

impl World {
    fn ctx<'a>(&'a self, actor: &'a Actor, today: &str) -> CaseContext<'a> {
        CaseContext {
            actor,
            today: d(today),
            org: &self.org,
            calendar: &self.calendar,
            limits: &self.limits,
            node: "340100",
        }
    }

    /// A case opened on `day` by 长江街道 (east-t1).
    fn opened(&self, day: &str) -> Case {
        let actor = Actor::system("east-t1");
        let opening = Opening {
            petition_id: "p1".into(),
            case_number: "340100-2026-000001".into(),
            kind: ItemKind::Petition,
            registering_unit: "east-t1".into(),
            region: "340102001".into(),
            category: "020100".into(),
            channel: "0300".into(),
            flag_mask: 0,
            registered_at: Utc::now(),
            registered_on: d(day),
        };
        let events =
            Case::decide(None, CaseCommand::Open(opening), &self.ctx(&actor, day)).unwrap();
        Case::evolve_all(None, &events).unwrap()
    }

    /// Runs `command` as `unit` on `day`, returning the case after it.
    fn run(
        &self,
        case: &Case,
        unit: &str,
        day: &str,
        command: CaseCommand,
    ) -> Result<Case, Refusal> {
        let actor = Actor::new("u", unit, &[]);
        let events = Case::decide(Some(case), command, &self.ctx(&actor, day))?;
        Ok(Case::evolve_all(Some(case.clone()), &events).unwrap())
    }
}

fn forward() -> CaseCommand {
    CaseCommand::Forward {
        organ: "east-rsj".into(),
        note: String::new(),
    }
}

fn accept() -> CaseCommand {
    CaseCommand::Accept {
        notice: "已受理".into(),
    }
}

/// The case brought to `state` by the path a clerk would take.
fn case_in(w: &World, state: State) -> Case {
    let day = "2026-03-02";
    let opened = w.opened(day);
    let run = |case: &Case, unit: &str, command| w.run(case, unit, day, command).unwrap();
    let forwarded = || run(&opened, "east-t1", forward());
    let accepted = || run(&forwarded(), "east-rsj", accept());
    let answered = || {
        run(
            &accepted(),
            "east-rsj",
            CaseCommand::Answer {
                opinion: Opinion::Support,
                text: "支付".into(),
            },
        )
    };
    let mut case = match state {
        State::Registered => opened.clone(),
        State::Forwarded => forwarded(),
        State::Assigned => run(
            &opened,
            "east-t1",
            CaseCommand::Assign {
                organ: "east-rsj".into(),
                report_back: d("2026-03-20"),
                note: String::new(),
            },
        ),
        State::Accepted => accepted(),
        State::Answered => answered(),
        State::Redirected => run(
            &opened,
            "east-t1",
            CaseCommand::Redirect {
                route: StatutoryRoute::Litigation,
                notice: "请向法院起诉".into(),
            },
        ),
        State::NotAccepted => run(
            &opened,
            "east-t1",
            CaseCommand::NotAccept {
                reason: "不属信访事项".into(),
            },
        ),
        // Up through the district office to the city office, and from there to the province.
        State::Escalated => {
            let escalate = || CaseCommand::Escalate {
                reason: "重大".into(),
            };
            let district = run(&opened, "east-t1", escalate());
            let city = run(&district, "east-xfj", escalate());
            assert_eq!(city.triage_unit, "city-xfj");
            run(&city, "city-xfj", escalate())
        }
        State::TransferredOut => run(
            &opened,
            "east-t1",
            CaseCommand::MarkForeign {
                node_region: RegionCode::parse("340200").unwrap(),
                reason: "属外市".into(),
            },
        ),
        // States the case reaches through evaluation's events (review, termination) or that
        // belong to intake (linked, not re-accepted): set directly.
        other => {
            let mut case = answered();
            case.state = other;
            case
        }
    };
    case.petition_id = format!("p-{}", state.as_str());
    case
}

/// Every command, with the unit whose part it is.
fn commands() -> Vec<(&'static str, &'static str, CaseCommand)> {
    vec![
        ("forward", "triage", forward()),
        (
            "assign",
            "triage",
            CaseCommand::Assign {
                organ: "east-rsj".into(),
                report_back: d("2026-03-20"),
                note: String::new(),
            },
        ),
        (
            "redirect",
            "triage",
            CaseCommand::Redirect {
                route: StatutoryRoute::Arbitration,
                notice: "申请仲裁".into(),
            },
        ),
        (
            "not_accept",
            "triage",
            CaseCommand::NotAccept { reason: "r".into() },
        ),
        (
            "escalate",
            "triage",
            CaseCommand::Escalate { reason: "r".into() },
        ),
        ("accept", "organ", accept()),
        (
            "object",
            "organ",
            CaseCommand::Object {
                reason: "不属本部门".into(),
                jurisdiction_dispute: false,
            },
        ),
        (
            "assign_handler",
            "organ",
            CaseCommand::AssignHandler {
                handler: "h1".into(),
            },
        ),
        (
            "note_progress",
            "organ",
            CaseCommand::NoteProgress {
                text: "走访".into(),
            },
        ),
        (
            "request_extension",
            "organ",
            CaseCommand::RequestExtension {
                days: 20,
                reason: "调查".into(),
            },
        ),
        (
            "answer",
            "organ",
            CaseCommand::Answer {
                opinion: Opinion::Explain,
                text: "说明".into(),
            },
        ),
        (
            "transfer",
            "triage",
            CaseCommand::Transfer {
                organ: "city-rsj".into(),
                reason: "市级事项".into(),
            },
        ),
        (
            "mark_foreign",
            "triage",
            CaseCommand::MarkForeign {
                node_region: RegionCode::parse("340200").unwrap(),
                reason: "外市".into(),
            },
        ),
        (
            "start_pause",
            "owner",
            CaseCommand::StartPause {
                kind: PauseKind::Hearing,
                reason: "听证会".into(),
                start: d("2026-03-03"),
            },
        ),
        ("recompute", "triage", CaseCommand::RecomputeDeadline),
    ]
}

/// The states in which each command is decided (anything else is refused).
fn allowed(name: &str) -> Vec<State> {
    use State as S;
    let transition = |action: Action| -> Vec<State> {
        ALL_STATES
            .into_iter()
            .filter(|s| s.apply(action).is_ok())
            .collect()
    };
    match name {
        "forward" => transition(Action::Forward),
        "assign" => transition(Action::Assign),
        "redirect" => transition(Action::Redirect),
        "not_accept" => transition(Action::NotAccept),
        "escalate" => vec![S::Registered],
        "accept" => transition(Action::Accept),
        "object" => transition(Action::Object),
        "assign_handler" | "note_progress" | "request_extension" => vec![S::Accepted],
        "answer" => transition(Action::Answer),
        "transfer" => vec![S::Forwarded, S::Assigned, S::Accepted],
        "mark_foreign" => transition(Action::TransferOut),
        // Wherever dispatch's clock runs: triage, acceptance, handling.
        "start_pause" => vec![S::Registered, S::Forwarded, S::Assigned, S::Accepted],
        "recompute" => ALL_STATES.to_vec(),
        other => panic!("no table row for {other}"),
    }
}

#[test]
fn every_command_in_every_state_is_decided_or_refused_as_the_table_says() {
    let w = world();
    for state in ALL_STATES {
        let case = case_in(&w, state);
        assert_eq!(case.state, state);
        for (name, unit, command) in commands() {
            let organ = case.organ.as_deref().unwrap_or("east-rsj");
            let unit = match unit {
                "triage" => case.triage_unit.as_str(),
                "organ" => organ,
                _ if state == State::Registered => case.triage_unit.as_str(),
                _ => organ,
            };
            let expected = allowed(name).contains(&state);
            let outcome = w.run(&case, unit, "2026-03-04", command.clone());
            match (&outcome, expected) {
                (Ok(after), true) => {
                    if let Some(action) = action_of(&command) {
                        assert_eq!(
                            after.state,
                            state.apply(action).unwrap(),
                            "{name} in {state}"
                        );
                    }
                }
                (Err(refusal), false) => assert!(
                    matches!(
                        refusal.reason,
                        Reason::IllegalTransition
                            | Reason::NotRouted
                            | Reason::NotResponsibleOrgan
                            | Reason::NoClockRunning
                    ),
                    "{name} in {state}: {refusal:?}"
                ),
                (outcome, expected) => {
                    panic!("{name} in {state}: expected allowed={expected}, got {outcome:?}")
                }
            }
        }
    }
}

/// The lifecycle action a command takes, where it takes one.
fn action_of(command: &CaseCommand) -> Option<Action> {
    Some(match command {
        CaseCommand::Forward { .. } => Action::Forward,
        CaseCommand::Assign { .. } => Action::Assign,
        CaseCommand::Redirect { .. } => Action::Redirect,
        CaseCommand::NotAccept { .. } => Action::NotAccept,
        CaseCommand::Accept { .. } => Action::Accept,
        CaseCommand::Object { .. } => Action::Object,
        CaseCommand::Answer { .. } => Action::Answer,
        CaseCommand::MarkForeign { .. } => Action::TransferOut,
        _ => return None,
    })
}

#[test]
fn the_wrong_unit_is_refused_with_its_reason() {
    let w = world();
    let registered = case_in(&w, State::Registered);
    let err = w
        .run(&registered, "east-t2", "2026-03-04", forward())
        .unwrap_err();
    assert_eq!(err.reason, Reason::NotTriageUnit);
    // The district office above the township may triage in its place.
    assert!(
        w.run(&registered, "east-xfj", "2026-03-04", forward())
            .is_ok()
    );

    let forwarded = case_in(&w, State::Forwarded);
    let err = w
        .run(&forwarded, "city-rsj", "2026-03-04", accept())
        .unwrap_err();
    assert_eq!(err.reason, Reason::NotResponsibleOrgan);
    let err = w
        .run(
            &registered,
            "east-t1",
            "2026-03-04",
            CaseCommand::Forward {
                organ: "east-xfj".into(),
                note: String::new(),
            },
        )
        .unwrap_err();
    assert_eq!(err.reason, Reason::RouteToPetitionOffice);
    assert_eq!(err.fields[0].field, "organ_code");
}

#[test]
fn an_extension_is_granted_once_by_an_approver_and_moves_the_due_date() {
    let w = world();
    let accepted = case_in(&w, State::Accepted);
    // 60 days from 03-02 is 05-01, in 劳动节: 05-06.
    assert_eq!(accepted.due(), Some(d("2026-05-06")));
    let request = |days| CaseCommand::RequestExtension {
        days,
        reason: "调取台账".into(),
    };
    let err = w
        .run(&accepted, "east-rsj", "2026-03-10", request(31))
        .unwrap_err();
    assert_eq!(err.reason, Reason::ExtensionTooLong);
    assert_eq!(err.fields[0].field, "days");
    let requested = w
        .run(&accepted, "east-rsj", "2026-03-10", request(30))
        .unwrap();
    assert_eq!(
        w.run(&requested, "east-rsj", "2026-03-10", request(5))
            .unwrap_err()
            .reason,
        Reason::ExtensionPending
    );
    let approve = CaseCommand::DecideExtension {
        approved: true,
        reason: String::new(),
    };
    assert_eq!(
        w.run(&requested, "east-rsj", "2026-03-10", approve.clone())
            .unwrap_err()
            .reason,
        Reason::NotApprover
    );
    let extended = w
        .run(&requested, "east-xfj", "2026-03-10", approve)
        .unwrap();
    // 90 days from 03-02 is 05-31, a Sunday: 06-01.
    assert_eq!(extended.due(), Some(d("2026-06-01")));
    assert_eq!(
        w.run(&extended, "east-rsj", "2026-03-10", request(5))
            .unwrap_err()
            .reason,
        Reason::ExtensionAlreadyGranted
    );
}

#[test]
fn a_hearing_moves_the_due_date_by_exactly_its_length_across_a_holiday() {
    let w = world();
    let accepted = case_in(&w, State::Accepted);
    assert_eq!(accepted.due(), Some(d("2026-05-06")));
    let paused = w
        .run(
            &accepted,
            "east-rsj",
            "2026-04-03",
            CaseCommand::StartPause {
                kind: PauseKind::Hearing,
                reason: "组织听证".into(),
                start: d("2026-04-03"),
            },
        )
        .unwrap();
    assert_eq!(paused.due(), None, "no due date while the clock is stopped");
    assert_eq!(
        w.run(
            &paused,
            "east-rsj",
            "2026-04-05",
            CaseCommand::StartPause {
                kind: PauseKind::Appraisal,
                reason: "again".into(),
                start: d("2026-04-04"),
            },
        )
        .unwrap_err()
        .reason,
        Reason::PauseRunning
    );
    // The hearing ran 04-03..04-09, seven days across 清明 (04-04..04-06). 60 + 7 days from
    // 03-02 is 05-08, a Friday: that is the new due date.
    let resumed = w
        .run(
            &paused,
            "east-rsj",
            "2026-04-10",
            CaseCommand::EndPause {
                end: d("2026-04-09"),
            },
        )
        .unwrap();
    assert_eq!(resumed.due(), Some(d("2026-05-08")));
    let deadline = resumed.deadline.unwrap();
    assert_eq!(deadline.raw_due, d("2026-05-08"));
    assert!(
        deadline
            .explanation
            .contains("听证暂停 2026-04-03 至 2026-04-09，不计入期限"),
        "{}",
        deadline.explanation
    );
}

#[test]
fn an_extension_after_a_pause_keeps_the_paused_days() {
    let w = world();
    let accepted = case_in(&w, State::Accepted);
    let run =
        |case: &Case, unit: &str, day: &str, command| w.run(case, unit, day, command).unwrap();
    let paused = run(
        &accepted,
        "east-rsj",
        "2026-03-10",
        CaseCommand::StartPause {
            kind: PauseKind::Inspection,
            reason: "现场核查".into(),
            start: d("2026-03-10"),
        },
    );
    let resumed = run(
        &paused,
        "east-rsj",
        "2026-03-14",
        CaseCommand::EndPause {
            end: d("2026-03-14"),
        },
    );
    let requested = run(
        &resumed,
        "east-rsj",
        "2026-03-20",
        CaseCommand::RequestExtension {
            days: 30,
            reason: "r".into(),
        },
    );
    let extended = run(
        &requested,
        "east-xfj",
        "2026-03-20",
        CaseCommand::DecideExtension {
            approved: true,
            reason: String::new(),
        },
    );
    // 60 + 30 + 5 paused days from 03-02 is 06-05, a Friday.
    assert_eq!(extended.due(), Some(d("2026-06-05")));
}

#[test]
fn a_provisional_deadline_is_recomputed_once_the_year_is_loaded() {
    let mut w = world();
    // Accepted on 2026-12-20: 60 days end on 2027-02-18, counted on 2027's statutory days.
    let opened = w.opened("2026-12-18");
    let forwarded = w.run(&opened, "east-t1", "2026-12-18", forward()).unwrap();
    let accepted = w
        .run(&forwarded, "east-rsj", "2026-12-20", accept())
        .unwrap();
    let provisional = accepted.deadline.clone().unwrap();
    assert!(provisional.provisional);
    assert!(provisional.explanation.contains("暂定"));
    assert_eq!(provisional.due, d("2027-02-18"));
    // Nothing to recompute while the calendar is the same.
    let actor = Actor::system("east-rsj");
    assert!(
        Case::decide(
            Some(&accepted),
            CaseCommand::RecomputeDeadline,
            &w.ctx(&actor, "2027-01-05")
        )
        .unwrap()
        .is_empty()
    );
    // The 2027 arrangement arrives: 春节 02-06..02-14 with bridge days, 02-18 is a holiday now.
    let text = format!(
        "{}\n[[year]]\nyear = 2027\nholidays = [\"2027-02-06\", \"2027-02-07\", \"2027-02-08\", \"2027-02-09\", \"2027-02-10\", \"2027-02-11\", \"2027-02-12\", \"2027-02-13\", \"2027-02-14\", \"2027-02-15\", \"2027-02-16\", \"2027-02-17\", \"2027-02-18\"]\nworkdays = [\"2027-02-20\"]\n",
        include_str!("../../../../config/reference/calendar.toml")
    );
    w.calendar = Calendar::parse(Source {
        name: "calendar.toml",
        text: &text,
    })
    .unwrap();
    let events = Case::decide(
        Some(&accepted),
        CaseCommand::RecomputeDeadline,
        &w.ctx(&actor, "2027-01-05"),
    )
    .unwrap();
    let recomputed = Case::evolve_all(Some(accepted), &events).unwrap();
    let deadline = recomputed.deadline.unwrap();
    assert!(!deadline.provisional);
    assert_eq!(deadline.due, d("2027-02-19"));
}

/// A random command from a small vocabulary, with a random unit and day offset.
fn any_command() -> impl Strategy<Value = (usize, usize, u64)> {
    (0usize..commands().len() + 3, 0usize..5, 0u64..40)
}

const ACTIONS: [Action; 9] = [
    Action::Forward,
    Action::Assign,
    Action::Redirect,
    Action::NotAccept,
    Action::Escalate,
    Action::TransferOut,
    Action::Accept,
    Action::Object,
    Action::Answer,
];

const UNITS: [&str; 5] = ["east-t1", "east-rsj", "east-xfj", "city-rsj", "east-t2"];

fn extra(i: usize) -> CaseCommand {
    match i {
        0 => CaseCommand::DecideExtension {
            approved: true,
            reason: String::new(),
        },
        1 => CaseCommand::EndPause {
            end: d("2026-03-05"),
        },
        _ => CaseCommand::ReportCompletion {
            text: "完成".into(),
        },
    }
}

proptest! {
    #[test]
    fn no_sequence_of_accepted_commands_reaches_an_illegal_state(
        steps in prop::collection::vec(any_command(), 1..25)
    ) {
        let w = world();
        let mut case = w.opened("2026-03-02");
        let mut day = d("2026-03-02");
        let list = commands();
        for (which, unit, days) in steps {
            day = day.checked_add_days(chrono::Days::new(days % 3)).unwrap();
            let command = match list.get(which) {
                Some((_, _, command)) => command.clone(),
                None => extra(which - list.len()),
            };
            let actor = Actor::new("u", UNITS[unit], &["leader"]);
            let ctx = w.ctx(&actor, &day.to_string());
            let Ok(events) = Case::decide(Some(&case), command, &ctx) else { continue };
            let before = case.state;
            case = Case::evolve_all(Some(case), &events).unwrap();
            // Each step is one the lifecycle allows.
            prop_assert!(
                before == case.state || ACTIONS.iter().any(|a| before.apply(*a) == Ok(case.state)),
                "{before} -> {}", case.state
            );
            match case.state {
                State::Registered => prop_assert!(case.organ.is_none() && case.deadline.is_some()),
                State::Forwarded | State::Assigned | State::Accepted => {
                    prop_assert!(case.organ.is_some() && case.deadline.is_some())
                }
                State::Redirected | State::NotAccepted | State::Escalated | State::TransferredOut => {
                    prop_assert!(case.deadline.is_none())
                }
                _ => {}
            }
            prop_assert!(case.extension_days <= w.limits.extension_cap_days);
            prop_assert!(case.pause.is_none() || case.deadline.is_some());
            if let Some(deadline) = &case.deadline {
                prop_assert!(deadline.due > deadline.trigger);
            }
        }
    }
}
