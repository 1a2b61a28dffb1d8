//! Joint meetings (联席会议) end to end: intake and the joint meeting service over a real
//! Kafka-protocol broker and a fresh PostgreSQL database. The city office convenes the city's
//! and the district's bureaus on three registered items; the meeting decides two, one of them a
//! jurisdiction dispute; one is certified resolved. The year's figures are those of the seed
//! (召开联席会议 1 次，研究事项 2 件，化解 1 件), and the decisions reach the topic keyed by item.

use tonic::Code;
use tonic_types::StatusExt;
use xinfang_events::Payload;
use xinfang_proto::xinfang::jointmeeting::v1::*;
use xinfang_testkit::broker::Broker;
use xinfang_testkit::database::TestDatabase;
use xinfang_testkit::kafka::read_until;
use xinfang_testkit::services::{settings_with, spawn_intake, spawn_jointmeeting};
use xinfang_testkit::{authed, resident_id, token, token_as, wage_claim};

fn reason(status: &tonic::Status) -> String {
    status
        .get_details_error_info()
        .map(|i| i.reason)
        .unwrap_or_default()
}

#[tokio::test]
async fn a_meeting_decides_items_follows_them_up_and_counts_what_was_certified_resolved() {
    let db = TestDatabase::create().await;
    let broker = Broker::start().await;
    for service in ["intake", "jointmeeting"] {
        broker
            .create_topic(&format!("xinfang.{service}.events"), 3)
            .await;
    }
    let settings = || {
        settings_with(
            &db.url,
            Some(&broker.address()),
            &[("clock.start", "2026-03-10T09:00:00+08:00")],
        )
    };
    let intake = spawn_intake(settings()).await;
    let meetings = spawn_jointmeeting(settings()).await;
    let mut client = meetings.jointmeeting_client().await;
    let city = token("city-xfj");

    let mut items = Vec::new();
    for n in 0..3 {
        let p = intake
            .intake_client()
            .await
            .register_petition(authed(
                wage_claim(&format!("jm{n}"), &resident_id(300 + n)),
                &token("east-t1"),
            ))
            .await
            .unwrap()
            .into_inner()
            .petition
            .unwrap();
        items.push(p);
    }
    let known = format!(
        "jointmeeting_item WHERE petition_id IN ('{}', '{}', '{}')",
        items[0].id, items[1].id, items[2].id
    );
    assert!(
        db.reaches(&known, 3, 60).await,
        "the meeting service learned the items"
    );

    let convened = client
        .convene_meeting(authed(
            ConveneMeetingRequest {
                title: "2026年第一次信访工作联席会议".into(),
                held_date: "2026-03-10".into(),
                member_organ_codes: vec!["city-rsj".into(), "city-zjj".into(), "east-rsj".into()],
            },
            &city,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(convened.convener_organ_code, "city-xfj");
    let id = convened.id.clone();

    // Only items this node registered go on the agenda.
    let unknown = client
        .add_agenda_items(authed(
            AddAgendaItemsRequest {
                meeting_id: id.clone(),
                items: vec![NewAgendaItem {
                    petition_id: "01a00000-0000-7000-8000-000000000000".into(),
                    disputing_organ_codes: vec![],
                }],
            },
            &city,
        ))
        .await
        .expect_err("an unknown item");
    assert_eq!(unknown.code(), Code::NotFound);
    let agenda = client
        .add_agenda_items(authed(
            AddAgendaItemsRequest {
                meeting_id: id.clone(),
                items: vec![
                    NewAgendaItem {
                        petition_id: items[0].id.clone(),
                        disputing_organ_codes: vec![],
                    },
                    NewAgendaItem {
                        petition_id: items[1].id.clone(),
                        disputing_organ_codes: vec!["city-rsj".into(), "city-zjj".into()],
                    },
                    NewAgendaItem {
                        petition_id: items[2].id.clone(),
                        disputing_organ_codes: vec![],
                    },
                ],
            },
            &city,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(agenda.items.len(), 3);
    assert_eq!(agenda.items[0].case_number, items[0].case_number);

    let decide = |petition: &str, lead: &str| {
        authed(
            RecordDecisionRequest {
                meeting_id: id.clone(),
                petition_id: petition.into(),
                decision: Some(Decision {
                    lead_organ_code: lead.into(),
                    cooperating_organ_codes: vec!["east-rsj".into()],
                    measures: vec![Measure::ListedSupervision as i32, Measure::Summons as i32],
                    deadline: "2026-04-30".into(),
                    text: "限期化解，逾期约谈".into(),
                }),
            },
            &city,
        )
    };
    client
        .record_decision(decide(&items[0].id, "city-rsj"))
        .await
        .unwrap();
    // The dispute is settled on one of the two disputing bureaus.
    let off = client
        .record_decision(decide(&items[1].id, "east-rsj"))
        .await
        .expect_err("a dispute settled on a third organ");
    assert_eq!(off.code(), Code::InvalidArgument);
    client
        .record_decision(decide(&items[1].id, "city-zjj"))
        .await
        .unwrap();

    client
        .record_follow_up(authed(
            RecordFollowUpRequest {
                meeting_id: id.clone(),
                petition_id: items[0].id.clone(),
                text: "已约谈企业负责人，工资分两期支付".into(),
            },
            &token("city-rsj"),
        ))
        .await
        .unwrap();
    let certify = CertifyResolutionRequest {
        meeting_id: id.clone(),
        petition_id: items[0].id.clone(),
    };
    let own = client
        .certify_resolution(authed(certify.clone(), &token_as("city-rsj", &["leader"])))
        .await
        .expect_err("the lead organ does not certify its own work");
    assert_eq!(reason(&own), "XF_NOT_RESPONSIBLE_ORGAN");
    let certified = client
        .certify_resolution(authed(certify, &token_as("city-xfj", &["leader"])))
        .await
        .unwrap()
        .into_inner();
    assert!(certified.items[0].resolved);
    assert_eq!(certified.items[0].resolved_date, "2026-03-10");

    let year = client
        .list_meetings(authed(ListMeetingsRequest { year: 2026 }, &city))
        .await
        .unwrap()
        .into_inner();
    let figures = year.figures.unwrap();
    assert_eq!(
        (
            figures.meetings,
            figures.items_studied,
            figures.items_resolved
        ),
        (1, 2, 1)
    );
    assert_eq!(figures.resolution_rate, Some(0.5));
    // The minutes: a Word document in Chinese with the units' names and the decisions.
    let minutes = client
        .export_minutes(authed(
            GetMeetingRequest {
                meeting_id: id.clone(),
            },
            &city,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(minutes.file_name, "联席会议纪要-2026-03-10.docx");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(minutes.content)).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("word/document.xml").unwrap(), &mut xml)
        .unwrap();
    for wanted in [
        "2026年第一次信访工作联席会议纪要",
        "市人力资源和社会保障局",
        items[0].case_number.as_str(),
        "挂牌督办、约谈",
        "已化解：2026-03-10，经市信访局认定",
    ] {
        assert!(xml.contains(wanted), "{wanted} in the minutes");
    }

    // A bureau that sits in no meeting sees none.
    let outside = client
        .list_meetings(authed(
            ListMeetingsRequest { year: 2026 },
            &token("west-zjj"),
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(outside.meetings.is_empty());
    assert_eq!(
        outside.figures.unwrap().resolution_rate,
        None,
        "无数据, not 0%"
    );

    // Two decisions and one resolution reach the topic, keyed by their items.
    let records = read_until(&broker.address(), "xinfang.jointmeeting.events", 60, |r| {
        r.len() >= 3
    })
    .await;
    let decided: Vec<&str> = records
        .iter()
        .filter(|r| {
            matches!(
                r.envelope.payload,
                Some(Payload::MeetingDecisionRecorded(_))
            )
        })
        .map(|r| r.key.as_str())
        .collect();
    assert_eq!(decided.len(), 2);
    assert!(decided.contains(&items[1].id.as_str()));
    assert!(records.iter().any(|r| r.key == items[0].id
        && matches!(r.envelope.payload, Some(Payload::MeetingItemResolved(_)))));
    meetings.stop().await;
    intake.stop().await;
}

#[tokio::test]
async fn the_roster_shows_the_right_department_for_a_week_across_a_swap() {
    let db = TestDatabase::create().await;
    let broker = Broker::start().await;
    let service = spawn_jointmeeting(settings_with(
        &db.url,
        Some(&broker.address()),
        &[("clock.start", "2026-03-10T09:00:00+08:00")],
    ))
    .await;
    let mut client = service.jointmeeting_client().await;
    let city = token("city-xfj");
    let week = |start: &str, organ: &str| RosterWeek {
        week_start: start.into(),
        organ_codes: vec![organ.into()],
    };
    client
        .publish_roster(authed(
            PublishRosterRequest {
                year: 2026,
                weeks: vec![
                    week("2026-03-09", "city-rsj"),
                    week("2026-03-16", "city-zjj"),
                    week("2026-03-23", "city-zrzyj"),
                ],
            },
            &city,
        ))
        .await
        .unwrap();
    let on = |day: &str| GetRosterRequest {
        office_code: "city-xfj".into(),
        date: day.into(),
    };
    let duty = |roster: Roster| roster.on_duty_organ_codes;
    let read = token("east-xfj");
    assert_eq!(
        duty(
            client
                .get_roster(authed(on("2026-03-18"), &read))
                .await
                .unwrap()
                .into_inner()
        ),
        ["city-zjj"]
    );

    // 住建局 hands its week to 自然资源局; other weeks keep theirs.
    let swapped = client
        .swap_duty(authed(
            SwapDutyRequest {
                week_start: "2026-03-18".into(),
                from_organ_code: "city-zjj".into(),
                to_organ_code: "city-zrzyj".into(),
                reason: "市住建局承办全市安全生产会议".into(),
            },
            &city,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(swapped.swaps.len(), 1);
    assert_eq!(
        duty(
            client
                .get_roster(authed(on("2026-03-20"), &read))
                .await
                .unwrap()
                .into_inner()
        ),
        ["city-zrzyj"]
    );
    assert_eq!(
        duty(
            client
                .get_roster(authed(on("2026-03-11"), &read))
                .await
                .unwrap()
                .into_inner()
        ),
        ["city-rsj"]
    );

    // Published again: the week under way (from 03-09) keeps its duty, later ones change.
    client
        .publish_roster(authed(
            PublishRosterRequest {
                year: 2026,
                weeks: vec![
                    week("2026-03-09", "city-zjj"),
                    week("2026-03-30", "city-rsj"),
                ],
            },
            &city,
        ))
        .await
        .unwrap();
    let roster = client
        .get_roster(authed(on("2026-03-31"), &read))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(roster.on_duty_organ_codes, ["city-rsj"]);
    assert_eq!(
        roster.weeks[0].organ_codes,
        ["city-rsj"],
        "the week under way"
    );
    // A township is no department: it is not put on duty.
    let refused = client
        .publish_roster(authed(
            PublishRosterRequest {
                year: 2026,
                weeks: vec![week("2026-04-06", "east-t1")],
            },
            &city,
        ))
        .await
        .expect_err("a township on duty");
    assert_eq!(refused.code(), Code::InvalidArgument);
    service.stop().await;
}
