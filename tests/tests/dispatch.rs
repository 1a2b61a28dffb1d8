//! Dispatch end to end: intake and dispatch as separate services over a real Kafka-protocol
//! broker, a fresh PostgreSQL database, the node's clock started on 2026-02-03 (春节 ahead).

use rdkafka::ClientConfig;
use rdkafka::producer::{FutureProducer, FutureRecord};
use std::time::Duration;
use tonic::Code;
use tonic_types::StatusExt;
use xinfang_proto::xinfang::dispatch::v1::*;
use xinfang_proto::xinfang::intake::v1::{RegisterPetitionRequest, TrackByQueryCodeRequest};
use xinfang_proto::xinfang::petition::v1::{HandlingOpinion, IdType, PetitionState, Petitioner};
use xinfang_testkit::broker::Broker;
use xinfang_testkit::database::TestDatabase;
use xinfang_testkit::kafka::{group_caught_up, read_until};
use xinfang_testkit::services::{RunningService, settings_with, spawn_dispatch, spawn_intake};
use xinfang_testkit::{authed, eventually, resident_id, token};

/// 09:00 Beijing time on Tuesday 2026-02-03; 春节 runs 02-15..02-23.
const START: &str = "2026-02-03T09:00:00+08:00";

struct Node {
    _db: TestDatabase,
    broker: Broker,
    intake: RunningService,
    dispatch: RunningService,
}

async fn node() -> Node {
    let db = TestDatabase::create().await;
    let broker = Broker::start().await;
    broker.create_topic("xinfang.intake.events", 3).await;
    broker.create_topic("xinfang.dispatch.events", 3).await;
    let settings = || settings_with(&db.url, Some(&broker.address()), &[("clock.start", START)]);
    let intake = spawn_intake(settings()).await;
    let dispatch = spawn_dispatch(settings()).await;
    Node {
        _db: db,
        broker,
        intake,
        dispatch,
    }
}

fn wage_claim(key: &str, person: u32, unit_region: &str) -> RegisterPetitionRequest {
    RegisterPetitionRequest {
        idempotency_key: key.into(),
        channel_code: "0300".into(),
        region_code: unit_region.into(),
        content_category: "020100".into(),
        content: "拖欠工资三个月未发".into(),
        petitioners: vec![Petitioner {
            name: "王五".into(),
            id_type: IdType::ResidentId as i32,
            id_number: resident_id(person),
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// Registers an item as a clerk of `unit` and waits until dispatch has its case.
async fn registered(
    node: &Node,
    key: &str,
    person: u32,
    unit: &str,
    region: &str,
) -> (String, String) {
    let mut intake = node.intake.intake_client().await;
    let response = intake
        .register_petition(authed(wage_claim(key, person, region), &token(unit)))
        .await
        .unwrap()
        .into_inner();
    let id = response.petition.unwrap().id;
    let dispatch = node.dispatch.dispatch_client().await;
    let seen = eventually(60, || {
        let request = authed(
            GetCaseRequest {
                petition_id: id.clone(),
            },
            &token(unit),
        );
        let mut client = dispatch.clone();
        async move { client.get_case(request).await.ok() }
    })
    .await;
    assert!(seen.is_some(), "dispatch opened a case for {id}");
    (id, response.query_code)
}

/// What the petitioner sees with the query code, once intake keeps `public` steps of the item
/// (tracking is rate-limited: it is not polled).
async fn tracked(
    node: &Node,
    petition: &str,
    query_code: &str,
    public: i64,
) -> xinfang_proto::xinfang::intake::v1::TrackByQueryCodeResponse {
    let steps = format!("intake_public_step WHERE petition_id = '{petition}'");
    assert!(
        node._db.reaches(&steps, public, 30).await,
        "the public steps reach intake"
    );
    node.intake
        .intake_client()
        .await
        .track_by_query_code(TrackByQueryCodeRequest {
            query_code: query_code.into(),
        })
        .await
        .unwrap()
        .into_inner()
}

fn due(case: &Case) -> String {
    case.current_deadline
        .as_ref()
        .map(|d| d.due_date.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_full_path_from_registration_to_answer_keeps_every_statutory_date() {
    let node = node().await;
    let (id, query_code) = registered(&node, "full", 1, "east-t1", "340102001").await;
    let mut dispatch = node.dispatch.dispatch_client().await;
    let clerk = token("east-t1");
    let organ = token("east-rsj");

    let case = dispatch
        .get_case(authed(
            GetCaseRequest {
                petition_id: id.clone(),
            },
            &clerk,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(case.state, PetitionState::Registered as i32);
    // 15 days from 02-03 is 02-18, inside 春节: the next working day is 02-24.
    assert_eq!(due(&case), "2026-02-24");
    assert!(
        case.current_deadline
            .unwrap()
            .explanation
            .contains("顺延至 2026-02-24")
    );

    let proposal = dispatch
        .propose_route(authed(
            ProposeRouteRequest {
                petition_id: id.clone(),
            },
            &clerk,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(proposal.organ_codes.contains(&"east-rsj".to_owned()));

    let forward = ForwardRequest {
        petition_id: id.clone(),
        organ_code: "east-rsj".into(),
        note: String::new(),
    };
    let case = dispatch
        .forward(authed(forward, &clerk))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(case.state, PetitionState::Forwarded as i32);
    assert_eq!(
        due(&case),
        "2026-02-24",
        "acceptance within 15 days of routing"
    );

    let accept = AcceptRequest {
        petition_id: id.clone(),
        notice_text: "您的信访事项已受理".into(),
    };
    let case = dispatch
        .accept(authed(accept, &organ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(case.state, PetitionState::Accepted as i32);
    // 60 days from 02-03 is 04-04, in 清明 (04-04..04-06): 04-07.
    assert_eq!(due(&case), "2026-04-07");

    let extend = RequestExtensionRequest {
        petition_id: id.clone(),
        days: 30,
        reason: "需调取工资台账".into(),
    };
    dispatch
        .request_extension(authed(extend, &organ))
        .await
        .unwrap();
    let approve = DecideExtensionRequest {
        petition_id: id.clone(),
        approved: true,
        reason: String::new(),
    };
    let case = dispatch
        .decide_extension(authed(approve, &token("east-xfj")))
        .await
        .unwrap()
        .into_inner();
    // 90 days from 02-03 is 05-04, in 劳动节 (05-01..05-05): 05-06.
    assert_eq!(due(&case), "2026-05-06");
    assert!(case.extension_used);

    let answer = AnswerRequest {
        petition_id: id.clone(),
        opinion: HandlingOpinion::Support as i32,
        text: "责令十日内足额支付".into(),
    };
    let case = dispatch
        .answer(authed(answer, &organ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(case.state, PetitionState::Answered as i32);
    assert_eq!(due(&case), "2026-03-05", "the 30-day review window");
    let actions: Vec<&str> = case.steps.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "opened",
            "forward",
            "accept",
            "request_extension",
            "decide_extension",
            "answer"
        ]
    );
    assert!(
        case.steps
            .iter()
            .all(|s| s.actor.is_some() && s.occurred_at.is_some())
    );

    // Each step went out on Kafka, in order, keyed by the petition.
    let events = read_until(&node.broker.address(), "xinfang.dispatch.events", 30, |r| {
        r.len() >= 6
    })
    .await;
    let types: Vec<&str> = events
        .iter()
        .filter(|r| r.key == id)
        .map(|r| r.envelope.event_type.as_str())
        .collect();
    assert_eq!(
        types,
        [
            "CaseOpened",
            "CaseTriaged",
            "CaseAccepted",
            "ExtensionRequested",
            "ExtensionDecided",
            "CaseAnswered"
        ]
    );

    // The petitioner sees every public step with its date.
    let steps = tracked(&node, &id, &query_code, 4).await.steps;
    let titles: Vec<&str> = steps.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "已登记",
            "已转送",
            "受理告知",
            "延期告知",
            "处理意见（支持）"
        ]
    );
    assert!(steps[3].text.contains("2026-05-06") && steps[3].text.contains("需调取工资台账"));
    node.dispatch.stop().await;
    node.intake.stop().await;
}

#[tokio::test]
async fn illegal_steps_are_refused_with_the_reason() {
    let node = node().await;
    let (id, _) = registered(&node, "illegal", 2, "east-t1", "340102001").await;
    let mut dispatch = node.dispatch.dispatch_client().await;
    let clerk = token("east-t1");
    let organ = token("east-rsj");
    let answer = |id: &str| AnswerRequest {
        petition_id: id.into(),
        opinion: HandlingOpinion::Explain as i32,
        text: "解释说明".into(),
    };

    // Answering before routing and acceptance.
    let err = dispatch
        .answer(authed(answer(&id), &clerk))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(
        err.message().contains("not been routed and accepted"),
        "{}",
        err.message()
    );

    let forward = ForwardRequest {
        petition_id: id.clone(),
        organ_code: "east-rsj".into(),
        note: String::new(),
    };
    dispatch
        .forward(authed(forward.clone(), &clerk))
        .await
        .unwrap();
    let err = dispatch
        .answer(authed(answer(&id), &organ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(err.message().contains("not accepted it yet"));

    // The organ objects to the misrouting: the item is back in triage, with the reason.
    let object = ObjectRequest {
        petition_id: id.clone(),
        reason: "不属本部门职责".into(),
        jurisdiction_dispute: false,
    };
    let case = dispatch
        .object(authed(object, &organ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(case.state, PetitionState::Registered as i32);
    assert!(case.responsible_organ_code.is_empty());
    assert_eq!(case.steps.last().unwrap().reason, "不属本部门职责");
    // The item left the organ's queue: it can no longer accept it.
    let stranger = AcceptRequest {
        petition_id: id.clone(),
        notice_text: "受理".into(),
    };
    assert_eq!(
        dispatch
            .accept(authed(stranger.clone(), &organ))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );

    // Route again, accept, extend once; a second extension is refused.
    dispatch.forward(authed(forward, &clerk)).await.unwrap();
    dispatch.accept(authed(stranger, &organ)).await.unwrap();
    let extend = |days| RequestExtensionRequest {
        petition_id: id.clone(),
        days,
        reason: "调查".into(),
    };
    let too_long = dispatch
        .request_extension(authed(extend(31), &organ))
        .await
        .unwrap_err();
    assert_eq!(too_long.code(), Code::InvalidArgument);
    assert!(too_long.message().contains("days"));
    dispatch
        .request_extension(authed(extend(20), &organ))
        .await
        .unwrap();
    let approve = DecideExtensionRequest {
        petition_id: id.clone(),
        approved: true,
        reason: String::new(),
    };
    // The organ's clerk cannot approve its own extension; the unit above can.
    assert_eq!(
        dispatch
            .decide_extension(authed(approve.clone(), &organ))
            .await
            .unwrap_err()
            .code(),
        Code::PermissionDenied
    );
    dispatch
        .decide_extension(authed(approve, &token("east-xfj")))
        .await
        .unwrap();
    let second = dispatch
        .request_extension(authed(extend(5), &organ))
        .await
        .unwrap_err();
    assert_eq!(second.code(), Code::FailedPrecondition);
    assert!(second.message().contains("already extended once"));
    node.dispatch.stop().await;
    node.intake.stop().await;
}

#[tokio::test]
async fn redelivered_registrations_open_no_second_case_and_a_restart_loses_nothing() {
    let db = TestDatabase::create().await;
    let broker = Broker::start().await;
    broker.create_topic("xinfang.intake.events", 3).await;
    broker.create_topic("xinfang.dispatch.events", 3).await;
    let settings = || settings_with(&db.url, Some(&broker.address()), &[("clock.start", START)]);
    let intake = spawn_intake(settings()).await;
    let mut client = intake.intake_client().await;
    let clerk = token("east-t1");

    // The stream goes on across a restart: five registrations reach dispatch, dispatch stops,
    // five more come while it is down, and the restarted dispatch resumes where it stopped.
    let mut ids = Vec::new();
    for n in 0..10 {
        if n == 5 {
            let dispatch = spawn_dispatch(settings()).await;
            assert!(
                db.reaches("dispatch_case", 5, 60).await,
                "the first five are opened"
            );
            // Leave the group once it has committed what it applied: the test broker (tansu)
            // can leave partitions unassigned when a member leaves in the middle of a rebalance.
            let settled = eventually(60, || async {
                group_caught_up(&broker.address(), "dispatch", "xinfang.intake.events")
                    .then_some(())
            })
            .await;
            assert!(settled.is_some(), "dispatch committed the first five");
            dispatch.stop().await;
        }
        let r = client
            .register_petition(authed(
                wage_claim(&format!("r{n}"), 100 + n, "340102001"),
                &clerk,
            ))
            .await
            .unwrap();
        ids.push(r.into_inner().petition.unwrap().id);
    }
    let dispatch = spawn_dispatch(settings()).await;
    let all = db.reaches("dispatch_case", 10, 60).await;
    if !all {
        let on_topic = read_until(&broker.address(), "xinfang.intake.events", 10, |r| {
            r.len() >= 10
        })
        .await;
        for id in &ids {
            let opened = db
                .count(&format!("dispatch_case WHERE petition_id = '{id}'"))
                .await;
            let at: Vec<_> = on_topic
                .iter()
                .filter(|r| &r.key == id)
                .map(|r| (r.partition, r.offset))
                .collect();
            eprintln!("{id}: opened {opened}, on the topic at {at:?}");
        }
        eprintln!(
            "committed: {:?}",
            xinfang_testkit::kafka::committed(
                &broker.address(),
                "dispatch",
                "xinfang.intake.events",
                3
            )
        );
    }
    assert!(
        all,
        "the five registered while dispatch was down have their cases after the restart"
    );

    // Every intake event delivered again, as a broker would after a lost offset commit.
    let records = read_until(&broker.address(), "xinfang.intake.events", 30, |r| {
        r.len() >= 10
    })
    .await;
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", broker.address())
        .create()
        .unwrap();
    for record in &records {
        producer
            .send(
                FutureRecord::to("xinfang.intake.events")
                    .key(&record.key)
                    .payload(&record.raw),
                Duration::from_secs(10),
            )
            .await
            .expect("redelivered");
    }
    let copies = read_until(&broker.address(), "xinfang.intake.events", 30, |r| {
        r.len() >= 20
    })
    .await;
    assert_eq!(copies.len(), 20);
    // Count once dispatch's committed offsets are past every copy: it has read them all.
    let drained = eventually(60, || async {
        group_caught_up(&broker.address(), "dispatch", "xinfang.intake.events").then_some(())
    })
    .await;
    assert!(drained.is_some(), "dispatch read the redelivered copies");
    assert_eq!(
        db.count("dispatch_inbox").await,
        10,
        "each event recorded once"
    );
    assert_eq!(db.count("dispatch_case").await, 10, "no second case");
    assert_eq!(
        db.count("dispatch_step WHERE action = 'opened'").await,
        10,
        "no second opening step"
    );
    for id in &ids {
        assert_eq!(
            db.count(&format!("dispatch_case WHERE petition_id = '{id}'"))
                .await,
            1
        );
    }
    dispatch.stop().await;
    intake.stop().await;
}

#[tokio::test]
async fn a_township_handler_sees_only_its_own_queue() {
    let node = node().await;
    let (mine, _) = registered(&node, "mine", 3, "east-t1", "340102001").await;
    let (theirs, _) = registered(&node, "theirs", 4, "east-t2", "340102002").await;
    let mut dispatch = node.dispatch.dispatch_client().await;
    let queue = |unit: &str| authed(ListCasesRequest::default(), &token(unit));
    let ids = |r: ListCasesResponse| {
        r.cases
            .into_iter()
            .map(|c| c.petition_id)
            .collect::<Vec<_>>()
    };

    assert_eq!(
        ids(dispatch
            .list_cases(queue("east-t1"))
            .await
            .unwrap()
            .into_inner()),
        vec![mine.clone()]
    );
    assert_eq!(
        ids(dispatch
            .list_cases(queue("east-t2"))
            .await
            .unwrap()
            .into_inner()),
        vec![theirs.clone()]
    );
    assert!(
        ids(dispatch
            .list_cases(queue("west-t1"))
            .await
            .unwrap()
            .into_inner())
        .is_empty()
    );
    let mut county = ids(dispatch
        .list_cases(queue("east-xfj"))
        .await
        .unwrap()
        .into_inner());
    county.sort();
    let mut both = vec![mine.clone(), theirs.clone()];
    both.sort();
    assert_eq!(county, both, "the district sees its townships");
    let other = authed(
        GetCaseRequest {
            petition_id: mine.clone(),
        },
        &token("east-t2"),
    );
    assert_eq!(
        dispatch.get_case(other).await.unwrap_err().code(),
        Code::NotFound
    );

    // Once forwarded, the department sees it in its queue; overdue filters by the clock.
    let forward = ForwardRequest {
        petition_id: mine.clone(),
        organ_code: "east-rsj".into(),
        note: String::new(),
    };
    dispatch
        .forward(authed(forward, &token("east-t1")))
        .await
        .unwrap();
    assert_eq!(
        ids(dispatch
            .list_cases(queue("east-rsj"))
            .await
            .unwrap()
            .into_inner()),
        vec![mine]
    );
    let overdue = ListCasesRequest {
        overdue_only: true,
        ..Default::default()
    };
    assert!(
        dispatch
            .list_cases(authed(overdue, &token("east-xfj")))
            .await
            .unwrap()
            .into_inner()
            .cases
            .is_empty()
    );
    node.dispatch.stop().await;
    node.intake.stop().await;
}

#[tokio::test]
async fn a_hearing_moves_the_handling_due_date_by_exactly_its_length() {
    let mut node = node().await;
    let (id, query_code) = registered(&node, "hearing", 5, "east-t1", "340102001").await;
    let mut dispatch = node.dispatch.dispatch_client().await;
    let organ = token("east-rsj");
    dispatch
        .forward(authed(
            ForwardRequest {
                petition_id: id.clone(),
                organ_code: "east-rsj".into(),
                note: String::new(),
            },
            &token("east-t1"),
        ))
        .await
        .unwrap();
    let accepted = dispatch
        .accept(authed(
            AcceptRequest {
                petition_id: id.clone(),
                notice_text: "已受理".into(),
            },
            &organ,
        ))
        .await
        .unwrap()
        .into_inner();
    // 60 days from 02-03 is 04-04, in 清明 (04-04..04-06): 04-07.
    assert_eq!(due(&accepted), "2026-04-07");

    // Three weeks later the organ records the hearing it held over 春节.
    node.dispatch.stop().await;
    node.dispatch = spawn_dispatch(settings_with(
        &node._db.url,
        Some(&node.broker.address()),
        &[("clock.start", "2026-02-25T09:00:00+08:00")],
    ))
    .await;
    let mut dispatch = node.dispatch.dispatch_client().await;
    let paused = dispatch
        .start_pause(authed(
            StartPauseRequest {
                petition_id: id.clone(),
                kind: PauseKind::Hearing as i32,
                reason: "组织听证".into(),
                start_date: "2026-02-13".into(),
            },
            &organ,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        paused.running_pause.as_ref().map(|p| p.start_date.as_str()),
        Some("2026-02-13")
    );
    let twice = dispatch
        .start_pause(authed(
            StartPauseRequest {
                petition_id: id.clone(),
                kind: PauseKind::Appraisal as i32,
                reason: "鉴定".into(),
                start_date: "2026-02-20".into(),
            },
            &organ,
        ))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition);
    assert_eq!(
        twice.get_error_details().error_info().unwrap().reason,
        "XF_PAUSE_RUNNING"
    );
    let resumed = dispatch
        .end_pause(authed(
            EndPauseRequest {
                petition_id: id.clone(),
                end_date: "2026-02-24".into(),
            },
            &organ,
        ))
        .await
        .unwrap()
        .into_inner();
    // 02-13..02-24 are twelve days: 04-04 + 12 is 04-16, a Thursday.
    assert_eq!(due(&resumed), "2026-04-16");
    assert!(resumed.running_pause.is_none());
    let deadline = resumed.current_deadline.unwrap();
    assert!(
        deadline
            .explanation
            .contains("听证暂停 2026-02-13 至 2026-02-24，不计入期限"),
        "{}",
        deadline.explanation
    );

    // The petitioner sees the pause and the new date.
    let steps = tracked(&node, &id, &query_code, 4).await.steps;
    let titles: Vec<&str> = steps.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles[3..], ["暂停计时", "恢复计时"]);
    assert!(steps[4].text.contains("2026-04-16"));
    node.dispatch.stop().await;
    node.intake.stop().await;
}
