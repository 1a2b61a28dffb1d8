//! The path after an answer, with dates counted by hand on the demo calendar (2026: 劳动节
//! 05-01..05-05, 05-09 a make-up working day).

use super::*;
use crate::fixtures::{calendar, d, org};
use crate::reference::{CategoryTable, ChannelTable, Source};

fn reference() -> ReferenceData {
    ReferenceData {
        channels: ChannelTable::parse(Source {
            name: "channels.toml",
            text: include_str!("../../../../config/reference/channels.toml"),
        })
        .unwrap(),
        categories: CategoryTable::parse(Source {
            name: "categories.toml",
            text: include_str!("../../../../config/reference/categories.toml"),
        })
        .unwrap(),
        org: org(),
        calendar: calendar(),
    }
}

struct World {
    reference: ReferenceData,
    limits: Limits,
}

impl World {
    fn new() -> Self {
        Self {
            reference: reference(),
            limits: Limits::default(),
        }
    }

    fn on<'a>(&'a self, today: &str, unit: &'a str) -> ItemContext<'a> {
        ItemContext {
            limits: &self.limits,
            reference: &self.reference,
            today: d(today),
            unit,
        }
    }

    /// Decides and folds; panics on a refusal.
    fn run(&self, item: Option<Item>, command: ItemCommand, ctx: &ItemContext<'_>) -> Item {
        let events = Item::decide(item.as_ref(), command, ctx).expect("accepted");
        Item::evolve_all(item, &events).expect("an item")
    }
}

fn answered(world: &World) -> Item {
    let ctx = world.on("2026-03-02", "east-t1");
    let item = world.run(
        None,
        ItemCommand::Register(Registration {
            case_number: "340100-2026-000001".into(),
            region: "340102001".into(),
            registering_unit: "east-t1".into(),
            category: "020100".into(),
            query_code_hash: "q".into(),
            matter_key: "020100:340102001".into(),
        }),
        &ctx,
    );
    world.run(
        Some(item),
        ItemCommand::Answer {
            opinion: Opinioned {
                organ: "east-t1".into(),
                opinion: Opinion::Support,
                text: "已督促企业支付".into(),
                on: d("2026-03-02"),
            },
            token_hash: "t1".into(),
        },
        &ctx,
    )
}

fn verdict(organ: Satisfaction) -> Verdict {
    Verdict {
        department: Satisfaction::Satisfied,
        organ,
        comment: String::new(),
        channel: Channel::Sms,
    }
}

fn citizen(hash: &str) -> Evaluator {
    Evaluator::Citizen {
        token_hash: hash.into(),
    }
}

#[test]
fn a_dissatisfied_citizen_opens_a_revisit_and_evaluates_once() {
    let w = World::new();
    let item = answered(&w);
    let ctx = w.on("2026-03-05", "");
    let evaluate = |hash: &str| ItemCommand::Evaluate {
        by: citizen(hash),
        verdict: verdict(Satisfaction::Dissatisfied),
        at: Utc::now(),
    };
    let refused = Item::decide(Some(&item), evaluate("guess"), &ctx).unwrap_err();
    assert_eq!(refused.reason, Reason::BadEvaluationToken);
    let item = w.run(Some(item), evaluate("t1"), &ctx);
    let revisit = item.open_revisit().expect("a revisit");
    assert_eq!(revisit.organ, "east-t1");
    assert_eq!(revisit.due, d("2026-03-20"), "15 days from 03-05");
    let again = Item::decide(Some(&item), evaluate("t1"), &ctx).unwrap_err();
    assert_eq!(again.reason, Reason::AlreadyEvaluated);

    let revisit = ItemCommand::RecordRevisit {
        text: "电话回访".into(),
        analysis: "对支付进度不满".into(),
        outcome: "已解释".into(),
        at: Utc::now(),
    };
    let other = Item::decide(Some(&item), revisit.clone(), &w.on("2026-03-06", "east-t2"));
    assert_eq!(other.unwrap_err().reason, Reason::NotResponsibleOrgan);
    let item = w.run(Some(item), revisit, &w.on("2026-03-06", "east-t1"));
    assert!(item.open_revisit().is_none());
}

#[test]
fn the_evaluation_window_closes_thirty_days_after_the_answer() {
    let w = World::new();
    let item = answered(&w);
    let late = ItemCommand::Evaluate {
        by: citizen("t1"),
        verdict: verdict(Satisfaction::Satisfied),
        at: Utc::now(),
    };
    assert!(Item::decide(Some(&item), late.clone(), &w.on("2026-04-01", "")).is_ok());
    let refused = Item::decide(Some(&item), late, &w.on("2026-04-02", "")).unwrap_err();
    assert_eq!(refused.reason, Reason::EvaluationWindowClosed);
}

fn request(stage: Stage, addressed: Option<&str>) -> ItemCommand {
    ItemCommand::Request {
        stage,
        reason: "不服".into(),
        addressed: addressed.map(str::to_owned),
    }
}

fn notice(item: &Item) -> Option<&str> {
    match &item.reviews.last()?.outcome {
        ReviewOutcome::NotAccepted { notice } => Some(notice),
        ReviewOutcome::Accepted { .. } => None,
    }
}

fn deadline(item: &Item) -> NaiveDate {
    match &item.pending().expect("pending").outcome {
        ReviewOutcome::Accepted { deadline, .. } => deadline.due,
        ReviewOutcome::NotAccepted { .. } => unreachable!(),
    }
}

#[test]
fn review_and_re_examination_go_one_level_up_each_and_a_hearing_stops_the_clock() {
    let w = World::new();
    let item = answered(&w);
    let item = w.run(
        Some(item),
        request(Stage::Review, None),
        &w.on("2026-03-20", "east-xfj"),
    );
    assert_eq!(item.state(), Some(State::Review));
    let review = item.pending().unwrap();
    assert_eq!(
        review.organ, "east-rsj",
        "the county organ competent for 02"
    );
    // 30 days from 03-20 is Sunday 04-19: moved to Monday 04-20.
    assert_eq!(deadline(&item), d("2026-04-20"));

    let decide = |stage| ItemCommand::Decide {
        stage,
        opinion: Opinion::NotSupport,
        text: "维持".into(),
        publish: true,
        token_hash: format!("{stage:?}"),
    };
    let wrong = Item::decide(
        Some(&item),
        decide(Stage::Review),
        &w.on("2026-04-10", "east-t1"),
    );
    assert_eq!(wrong.unwrap_err().reason, Reason::NotResponsibleOrgan);
    let item = w.run(
        Some(item),
        decide(Stage::Review),
        &w.on("2026-04-10", "east-rsj"),
    );
    assert_eq!(item.state(), Some(State::Reviewed));

    // A second review is not accepted; the notice says why.
    let again = w.run(
        Some(item.clone()),
        request(Stage::Review, None),
        &w.on("2026-04-11", "east-xfj"),
    );
    assert!(notice(&again).unwrap().contains("已经复查"));

    let item = w.run(
        Some(item),
        request(Stage::ReExamination, None),
        &w.on("2026-04-20", "east-xfj"),
    );
    assert_eq!(item.pending().unwrap().organ, "city-rsj");
    assert_eq!(deadline(&item), d("2026-05-20"));

    let ctx = w.on("2026-04-27", "city-rsj");
    let item = w.run(
        Some(item),
        ItemCommand::ScheduleHearing {
            start: d("2026-04-27"),
            place: "市人社局听证室".into(),
            participants: vec!["申请人".into(), "东城区人社局".into()],
        },
        &ctx,
    );
    let early = Item::decide(Some(&item), decide(Stage::ReExamination), &ctx);
    assert_eq!(early.unwrap_err().reason, Reason::HearingRunning);
    let item = w.run(
        Some(item),
        ItemCommand::EndHearing {
            end: d("2026-05-06"),
            record: "听证笔录".into(),
        },
        &w.on("2026-05-06", "city-rsj"),
    );
    // 10 paused days (04-27..05-06, 劳动节 inside): 05-20 + 10 = Saturday 05-30 → Monday 06-01.
    assert_eq!(deadline(&item), d("2026-06-01"));

    let item = w.run(
        Some(item),
        decide(Stage::ReExamination),
        &w.on("2026-05-25", "city-rsj"),
    );
    assert_eq!(item.state(), Some(State::ReExamined));
    assert!(
        item.request_window(&w.limits).is_none(),
        "复核 is the last word"
    );
    let item = w.run(
        Some(item),
        ItemCommand::Terminate {
            reason: "复核终结".into(),
        },
        &w.on("2026-05-26", "city-xfj"),
    );
    assert_eq!(item.state(), Some(State::Terminated));
}

#[test]
fn late_wrong_level_and_early_requests_get_notices() {
    let w = World::new();
    let item = answered(&w);
    // The window ran 30 days from 03-02: through 04-01.
    let late = w.run(
        Some(item.clone()),
        request(Stage::Review, None),
        &w.on("2026-04-02", "east-xfj"),
    );
    assert!(
        notice(&late).unwrap().contains("2026-04-01"),
        "{:?}",
        notice(&late)
    );
    assert_eq!(late.state(), Some(State::Answered));

    let wrong = w.run(
        Some(item.clone()),
        request(Stage::Review, Some("city-rsj")),
        &w.on("2026-03-10", "east-xfj"),
    );
    assert!(notice(&wrong).unwrap().contains("east-rsj"));

    let early = w.run(
        Some(item),
        request(Stage::ReExamination, None),
        &w.on("2026-03-10", "east-xfj"),
    );
    assert!(notice(&early).is_some());
}

#[test]
fn an_unused_window_closes_the_item_and_termination_needs_a_re_examination() {
    let w = World::new();
    let item = answered(&w);
    let refused = Item::decide(
        Some(&item),
        ItemCommand::Terminate { reason: "x".into() },
        &w.on("2026-03-05", "city-xfj"),
    );
    assert_eq!(refused.unwrap_err().reason, Reason::IllegalTransition);
    assert!(
        Item::decide(Some(&item), ItemCommand::Check, &w.on("2026-04-01", ""))
            .unwrap()
            .is_empty()
    );
    let closed = w.run(Some(item), ItemCommand::Check, &w.on("2026-04-02", ""));
    assert_eq!(closed.state(), Some(State::Closed));
    assert_eq!(closed.next_check(&w.limits, &w.reference.calendar), None);
}

#[test]
fn the_same_answer_or_registration_twice_changes_nothing() {
    let w = World::new();
    let item = answered(&w);
    let ctx = w.on("2026-03-03", "");
    let again = ItemCommand::Answer {
        opinion: item.answer.clone().unwrap(),
        token_hash: "t2".into(),
    };
    assert!(Item::decide(Some(&item), again, &ctx).unwrap().is_empty());
    let register = ItemCommand::Register(item.registration.clone().unwrap());
    assert!(
        Item::decide(Some(&item), register, &ctx)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_redirected_item_gets_a_notice_and_a_terminated_one_its_spot_checks() {
    let w = World::new();
    let ctx = w.on("2026-03-10", "east-xfj");
    let redirected = w.run(
        None,
        ItemCommand::Redirect {
            route: "仲裁".into(),
        },
        &ctx,
    );
    let notified = w.run(Some(redirected), request(Stage::Review, None), &ctx);
    assert!(notice(&notified).unwrap().contains("仲裁"));

    let item = answered(&w);
    let check = ItemCommand::SpotCheck {
        findings: "程序合法".into(),
        corrections: String::new(),
    };
    let refused = Item::decide(Some(&item), check, &w.on("2026-03-10", "city-xfj"));
    assert_eq!(refused.unwrap_err().reason, Reason::IllegalTransition);
    let report = ItemCommand::ReportToProvince {
        reason: "群众反映强烈".into(),
    };
    let reported = w.run(Some(item), report.clone(), &w.on("2026-03-10", "city-xfj"));
    assert_eq!(
        reported.province_report.as_ref().unwrap().on,
        d("2026-03-10")
    );
    assert!(
        Item::decide(Some(&reported), report, &w.on("2026-03-11", "city-xfj"))
            .unwrap()
            .is_empty()
    );
}
