//! A joint meeting of the city office with the districts' and the city's departments.

use super::*;
use crate::fixtures::{d, org};

fn ctx<'a>(org: &'a OrgTree, today: &str, unit: &'a str) -> MeetingContext<'a> {
    MeetingContext {
        org,
        today: d(today),
        unit,
    }
}

fn run(
    org: &OrgTree,
    state: Option<Meeting>,
    command: MeetingCommand,
    today: &str,
    unit: &str,
) -> Meeting {
    let events =
        Meeting::decide(state.as_ref(), command, &ctx(org, today, unit)).expect("accepted");
    Meeting::evolve_all(state, &events).expect("a meeting")
}

fn convened(org: &OrgTree) -> Meeting {
    let meeting = run(
        org,
        None,
        MeetingCommand::Convene {
            title: "2026年第一次信访工作联席会议".into(),
            held_on: d("2026-03-10"),
            members: vec![
                "city-rsj".into(),
                "city-zjj".into(),
                "east-rsj".into(),
                "east-xfj".into(),
            ],
        },
        "2026-03-05",
        "city-xfj",
    );
    run(
        org,
        Some(meeting),
        MeetingCommand::AddItems(vec![
            NewItem {
                petition_id: "p1".into(),
                case_number: "340100-2026-000001".into(),
                disputing: vec![],
            },
            NewItem {
                petition_id: "p2".into(),
                case_number: "340100-2026-000002".into(),
                disputing: vec!["city-rsj".into(), "city-zjj".into()],
            },
        ]),
        "2026-03-05",
        "city-xfj",
    )
}

fn decision(lead: &str, deadline: &str) -> Decision {
    Decision {
        lead: lead.into(),
        cooperating: vec!["east-rsj".into()],
        measures: vec![Measure::ListedSupervision],
        deadline: d(deadline),
        text: "限期化解".into(),
    }
}

#[test]
fn decided_items_count_as_studied_and_certified_ones_as_resolved() {
    let org = org();
    let meeting = convened(&org);
    let decide = |p: &str, lead: &str| MeetingCommand::Decide {
        petition_id: p.into(),
        decision: decision(lead, "2026-04-30"),
    };
    let meeting = run(
        &org,
        Some(meeting),
        decide("p1", "city-rsj"),
        "2026-03-10",
        "city-xfj",
    );
    // A dispute between the labour and the housing bureau is settled on one of them.
    let refused = Meeting::decide(
        Some(&meeting),
        decide("p2", "east-rsj"),
        &ctx(&org, "2026-03-10", "city-xfj"),
    );
    assert_eq!(
        refused.unwrap_err().fields[0].field,
        "decision.lead_organ_code"
    );
    let meeting = run(
        &org,
        Some(meeting),
        decide("p2", "city-zjj"),
        "2026-03-10",
        "city-xfj",
    );
    assert_eq!(meeting.counts(), (2, 0));

    // The lead organ reports progress but cannot certify its own work.
    let follow = MeetingCommand::FollowUp {
        petition_id: "p1".into(),
        text: "已约谈企业负责人".into(),
        at: Utc::now(),
    };
    let meeting = run(&org, Some(meeting), follow, "2026-03-20", "city-rsj");
    let certify = MeetingCommand::CertifyResolution {
        petition_id: "p1".into(),
    };
    let own = Meeting::decide(
        Some(&meeting),
        certify.clone(),
        &ctx(&org, "2026-04-01", "city-rsj"),
    );
    assert_eq!(own.unwrap_err().reason, Reason::NotResponsibleOrgan);
    let meeting = run(&org, Some(meeting), certify, "2026-04-01", "city-xfj");
    assert_eq!(meeting.counts(), (2, 1));
    assert_eq!(
        meeting.items[0].resolution.as_ref().unwrap().on,
        d("2026-04-01")
    );
}

#[test]
fn only_members_lead_only_the_convener_decides_and_only_agenda_items_are_decided() {
    let org = org();
    let meeting = convened(&org);
    let at = ctx(&org, "2026-03-10", "city-xfj");
    let stranger = MeetingCommand::Decide {
        petition_id: "p1".into(),
        decision: decision("west-zjj", "2026-04-30"),
    };
    assert_eq!(
        Meeting::decide(Some(&meeting), stranger, &at)
            .unwrap_err()
            .reason,
        Reason::NotAMember
    );
    let off_agenda = MeetingCommand::Decide {
        petition_id: "p9".into(),
        decision: decision("city-rsj", "2026-04-30"),
    };
    assert_eq!(
        Meeting::decide(Some(&meeting), off_agenda, &at)
            .unwrap_err()
            .reason,
        Reason::NotOnAgenda
    );
    let by_member = MeetingCommand::Decide {
        petition_id: "p1".into(),
        decision: decision("city-rsj", "2026-04-30"),
    };
    let refused = Meeting::decide(
        Some(&meeting),
        by_member,
        &ctx(&org, "2026-03-10", "city-rsj"),
    );
    assert_eq!(refused.unwrap_err().reason, Reason::NotResponsibleOrgan);
    let early = MeetingCommand::Decide {
        petition_id: "p1".into(),
        decision: decision("city-rsj", "2026-03-01"),
    };
    assert!(
        Meeting::decide(Some(&meeting), early, &at).is_err(),
        "a deadline before the meeting"
    );
    let unknown = MeetingCommand::Convene {
        title: "x".into(),
        held_on: d("2026-03-10"),
        members: vec!["nowhere".into()],
    };
    assert!(Meeting::decide(None, unknown, &at).is_err());
}
