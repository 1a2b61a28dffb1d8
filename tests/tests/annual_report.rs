//! The annual report (年度信访工作报告) and leader receptions end to end: intake, dispatch,
//! evaluation, the joint meeting service and supervision over a real Kafka-protocol broker and a
//! fresh PostgreSQL database. A year whose every count is made here — items per channel, a
//! backlog campaign with leader packages, two joint meetings, two leaders' reception days (one
//! item from a public booking), a review and a re-examination reported to the province, a
//! request sent to the wrong level, people's suggestions adopted in another district — comes out
//! of the report exactly, and each figure drills down to the very records it counts.

use std::collections::{BTreeMap, BTreeSet};
use xinfang_proto::xinfang::dispatch::v1 as dp;
use xinfang_proto::xinfang::evaluation::v1 as ev;
use xinfang_proto::xinfang::jointmeeting::v1 as jm;
use xinfang_proto::xinfang::petition::v1::{HandlingOpinion, ItemKind, Satisfaction};
use xinfang_proto::xinfang::supervision::v1 as sv;
use xinfang_testkit::broker::Broker;
use xinfang_testkit::database::TestDatabase;
use xinfang_testkit::kafka::group_caught_up;
use xinfang_testkit::services::{
    RunningService, settings_with, spawn_dispatch, spawn_evaluation, spawn_intake,
    spawn_jointmeeting, spawn_supervision,
};
use xinfang_testkit::{authed, eventually, resident_id, token, token_as, wage_claim};

type DispatchClient = dp::dispatch_service_client::DispatchServiceClient<tonic::transport::Channel>;

const SERVICES: [&str; 5] = [
    "intake",
    "dispatch",
    "evaluation",
    "jointmeeting",
    "supervision",
];

struct Node {
    broker: Broker,
    intake: RunningService,
    dispatch: RunningService,
    evaluation: RunningService,
    meetings: RunningService,
    supervision: RunningService,
}

impl Node {
    /// Registers one item through intake; returns its id.
    async fn register(&self, key: &str, person: u32, channel: &str, region: &str) -> String {
        self.register_kind(key, person, channel, region, ItemKind::Petition)
            .await
    }

    async fn register_kind(
        &self,
        key: &str,
        person: u32,
        channel: &str,
        region: &str,
        kind: ItemKind,
    ) -> String {
        let mut request = wage_claim(key, &resident_id(person));
        request.kind = kind as i32;
        request.channel_code = channel.into();
        request.region_code = region.into();
        request.title = format!("拖欠工资 {key}");
        let unit = if region.starts_with("340103") {
            "west-xfj"
        } else {
            "east-xfj"
        };
        self.intake
            .intake_client()
            .await
            .register_petition(authed(request, &token(unit)))
            .await
            .unwrap()
            .into_inner()
            .petition
            .unwrap()
            .id
    }

    /// Forwarded by the county office `office` to the township `township`, which accepts it;
    /// returns the dispatch client.
    async fn accepted(&self, id: &str, office: &str, township: &str) -> DispatchClient {
        let (office, organ, township) = (token(office), township, token(township));
        let dispatch = self.dispatch.dispatch_client().await;
        let get = dp::GetCaseRequest {
            petition_id: id.into(),
        };
        let opened = eventually(60, || {
            let (mut client, request) = (dispatch.clone(), authed(get.clone(), &office));
            async move { client.get_case(request).await.ok() }
        })
        .await;
        assert!(opened.is_some(), "dispatch opened a case for {id}");
        let mut dispatch = dispatch;
        let forward = dp::ForwardRequest {
            petition_id: id.into(),
            organ_code: organ.into(),
            note: String::new(),
        };
        dispatch.forward(authed(forward, &office)).await.unwrap();
        let accept = dp::AcceptRequest {
            petition_id: id.into(),
            notice_text: "已受理".into(),
        };
        dispatch.accept(authed(accept, &township)).await.unwrap();
        dispatch
    }

    /// Accepted by 长江街道, answered there, and evaluated by phone (代评) as `satisfaction`;
    /// returns once evaluation knows the answer.
    async fn answer(&self, id: &str, satisfaction: Satisfaction) {
        let office = token("east-xfj");
        let mut dispatch = self.accepted(id, "east-xfj", "east-t1").await;
        let answer = dp::AnswerRequest {
            petition_id: id.into(),
            opinion: HandlingOpinion::Support as i32,
            text: "已督促企业支付".into(),
        };
        dispatch
            .answer(authed(answer, &token("east-t1")))
            .await
            .unwrap();
        let evaluation = self.evaluation.evaluation_client().await;
        let request = ev::GetRecordRequest {
            petition_id: id.into(),
        };
        let known = eventually(60, || {
            let (mut client, request) = (evaluation.clone(), authed(request.clone(), &office));
            async move {
                let record = client.get_record(request).await.ok()?.into_inner();
                (!record.answered_date.is_empty()).then_some(())
            }
        })
        .await;
        assert!(known.is_some(), "evaluation learned the answer of {id}");
        let mut evaluation = evaluation;
        evaluation
            .submit_evaluation(authed(
                ev::SubmitEvaluationRequest {
                    petition_id: id.into(),
                    proxy_name: "王代评".into(),
                    department: satisfaction as i32,
                    handling_organ: satisfaction as i32,
                    channel: ev::EvaluationChannel::Phone as i32,
                    ..Default::default()
                },
                &office,
            ))
            .await
            .unwrap();
    }

    /// Waits until the joint meeting service knows the items (it follows intake).
    async fn meetings_know(&self, db: &TestDatabase, ids: &[&String]) {
        let list = ids
            .iter()
            .map(|id| format!("'{id}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let known = format!("jointmeeting_item WHERE petition_id IN ({list})");
        assert!(
            db.reaches(&known, ids.len() as i64, 60).await,
            "the joint meeting service learned the items"
        );
    }

    /// Waits until supervision has applied every event of every service.
    async fn supervision_caught_up(&self) {
        let broker = self.broker.address();
        let done = eventually(90, || {
            let broker = broker.clone();
            async move {
                SERVICES[..4]
                    .iter()
                    .all(|s| {
                        group_caught_up(&broker, "supervision", &format!("xinfang.{s}.events"))
                    })
                    .then_some(())
            }
        })
        .await;
        assert!(done.is_some(), "supervision caught up with every topic");
    }
}

fn decision(lead: &str) -> jm::Decision {
    jm::Decision {
        lead_organ_code: lead.into(),
        measures: vec![jm::Measure::ListedSupervision as i32],
        deadline: "2026-04-30".into(),
        text: "限期化解".into(),
        ..Default::default()
    }
}

/// Records of one figure, through the drill-down, page by page.
async fn drilled(node: &Node, caller: &str, region: &str, key: &str) -> BTreeSet<String> {
    let mut client = node.supervision.supervision_client().await;
    let mut out = BTreeSet::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .drill_down_annual_figure(authed(
                sv::DrillDownAnnualFigureRequest {
                    year: 2026,
                    region_code: region.into(),
                    key: key.into(),
                    page_size: 2,
                    page_token,
                },
                &token(caller),
            ))
            .await
            .unwrap()
            .into_inner();
        out.extend(page.records.into_iter().map(|r| r.id));
        if page.next_page_token.is_empty() {
            return out;
        }
        page_token = page.next_page_token;
    }
}

fn set(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_year_comes_out_of_the_annual_report_exactly_and_drills_down_to_its_records() {
    let db = TestDatabase::create().await;
    let broker = Broker::start().await;
    for service in SERVICES {
        broker
            .create_topic(&format!("xinfang.{service}.events"), 1)
            .await;
    }
    let settings = || {
        settings_with(
            &db.url,
            Some(&broker.address()),
            &[("clock.start", "2026-03-10T09:00:00+08:00")],
        )
    };
    let (intake, dispatch, evaluation, meetings, supervision) = tokio::join!(
        spawn_intake(settings()),
        spawn_dispatch(settings()),
        spawn_evaluation(settings()),
        spawn_jointmeeting(settings()),
        spawn_supervision(settings()),
    );
    let node = Node {
        broker,
        intake,
        dispatch,
        evaluation,
        meetings,
        supervision,
    };

    // Items: 东城区 3 letters (0200), 2 visits (0300), 4 online (0100); one letter of 西城区.
    let mut n = 500;
    let mut items = BTreeMap::<&str, Vec<String>>::new();
    for (channel, count) in [("0200", 3), ("0300", 2), ("0100", 4)] {
        for _ in 0..count {
            n += 1;
            let id = node
                .register(&format!("ar{n}"), n, channel, "340102001")
                .await;
            items.entry(channel).or_default().push(id);
        }
    }
    let west = node.register("ar-west", 599, "0200", "340103001").await;
    // 人民建议 in 西城区: one adopted with a reward, one partly adopted.
    let mut suggestions = BTreeMap::new();
    for (n, decision) in [
        (597, dp::SuggestionDecision::Adopted),
        (598, dp::SuggestionDecision::PartlyAdopted),
    ] {
        let id = node
            .register_kind(
                &format!("ar{n}"),
                n,
                "0200",
                "340103001",
                ItemKind::Suggestion,
            )
            .await;
        let mut dispatch = node.accepted(&id, "west-xfj", "west-t1").await;
        dispatch
            .decide_suggestion(authed(
                dp::DecideSuggestionRequest {
                    petition_id: id.clone(),
                    decision: decision as i32,
                    reply: "感谢您的建议".into(),
                    reward: "荣誉证书".into(),
                },
                &token("west-t1"),
            ))
            .await
            .unwrap();
        suggestions.insert(decision, id);
    }
    let [l1, l2, l3] = [0, 1, 2].map(|i| &items["0200"][i]);
    let [v1, v2] = [0, 1].map(|i| &items["0300"][i]);
    let [o1, o2, o3, o4] = [0, 1, 2, 3].map(|i| &items["0100"][i]);

    // 积案: a campaign of three, two packaged to two leaders, both closed, one certified.
    let mut sup = node.supervision.supervision_client().await;
    let lead = token_as("city-xfj", &["leader"]);
    let supervisor = token_as("city-xfj", &["supervisor"]);
    let campaign = sup
        .create_backlog_list(authed(
            sv::CreateBacklogListRequest {
                campaign: "信访积案攻坚化解专项行动".into(),
                rule: String::new(),
            },
            &lead,
        ))
        .await
        .unwrap()
        .into_inner()
        .id;
    let on_list = eventually(60, || {
        let (mut sup, request) = (
            sup.clone(),
            authed(
                sv::AddBacklogItemsRequest {
                    list_id: campaign.clone(),
                    petition_ids: vec![l1.clone(), l2.clone(), l3.clone()],
                },
                &lead,
            ),
        );
        async move { sup.add_backlog_items(request).await.ok() }
    })
    .await;
    assert!(on_list.is_some(), "supervision knows the items to list");
    for (item, leader) in [(l1, "王副市长"), (l2, "李副市长")] {
        sup.assign_leader_package(authed(
            sv::AssignLeaderPackageRequest {
                list_id: campaign.clone(),
                petition_id: item.clone(),
                leader_name: leader.into(),
                leader_post: "副市长".into(),
                target_date: "2026-06-30".into(),
            },
            &lead,
        ))
        .await
        .unwrap();
        sup.close_backlog_item(authed(
            sv::CloseBacklogItemRequest {
                list_id: campaign.clone(),
                petition_id: item.clone(),
            },
            &lead,
        ))
        .await
        .unwrap();
    }
    sup.certify_resolution(authed(
        sv::CertifyResolutionRequest {
            list_id: campaign.clone(),
            petition_id: l1.clone(),
            evidence: "息诉罢访承诺书".into(),
        },
        &supervisor,
    ))
    .await
    .unwrap();

    // 联席会议: two meetings study three items, one certified resolved; a third meeting only
    // puts an item on its agenda (not studied: it decided nothing).
    node.meetings_know(&db, &[v1, v2, o1, o2, o3, o4]).await;
    let mut jmc = node.meetings.jointmeeting_client().await;
    let city = token("city-xfj");
    let mut meeting_ids = BTreeSet::new();
    for (title, studied) in [
        ("第一次联席会议", vec![v1, v2]),
        ("第二次联席会议", vec![o1]),
        ("第三次联席会议", vec![]),
    ] {
        let id = jmc
            .convene_meeting(authed(
                jm::ConveneMeetingRequest {
                    title: title.into(),
                    held_date: "2026-03-10".into(),
                    member_organ_codes: vec!["city-rsj".into(), "east-rsj".into()],
                },
                &city,
            ))
            .await
            .unwrap()
            .into_inner()
            .id;
        let agenda = if studied.is_empty() {
            vec![o4]
        } else {
            studied.clone()
        };
        jmc.add_agenda_items(authed(
            jm::AddAgendaItemsRequest {
                meeting_id: id.clone(),
                items: agenda
                    .iter()
                    .map(|p| jm::NewAgendaItem {
                        petition_id: (*p).clone(),
                        disputing_organ_codes: vec![],
                    })
                    .collect(),
            },
            &city,
        ))
        .await
        .unwrap();
        for p in &studied {
            jmc.record_decision(authed(
                jm::RecordDecisionRequest {
                    meeting_id: id.clone(),
                    petition_id: (*p).clone(),
                    decision: Some(decision("east-rsj")),
                },
                &city,
            ))
            .await
            .unwrap();
        }
        if title == "第一次联席会议" {
            jmc.certify_resolution(authed(
                jm::CertifyResolutionRequest {
                    meeting_id: id.clone(),
                    petition_id: v1.clone(),
                },
                &lead,
            ))
            .await
            .unwrap();
        }
        if !studied.is_empty() {
            meeting_ids.insert(id);
        }
    }

    // 领导接访: two leaders' days today; a petitioner books through the public channel (no
    // token) and is received with the booking; two more items are received in the hall.
    let mut days = Vec::new();
    for (leader, place) in [("张市长", "市信访接待大厅"), ("刘副市长", "市信访局三楼")]
    {
        let day = jmc
            .publish_reception_day(authed(
                jm::PublishReceptionDayRequest {
                    leader_name: leader.into(),
                    leader_post: "市政府领导".into(),
                    portfolio: "城建、劳动保障".into(),
                    date: "2026-03-10".into(),
                    place: place.into(),
                    capacity: 1,
                },
                &city,
            ))
            .await
            .unwrap()
            .into_inner();
        days.push(day.id);
    }
    let calendar = jmc
        .list_reception_calendar(jm::ListReceptionCalendarRequest {
            office_code: "city-xfj".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(calendar.days.len(), 2, "the public reads the calendar");
    assert!(
        calendar.days.iter().all(|d| d.bookings.is_empty()),
        "without the bookings"
    );
    let booking = jmc
        .book_reception(jm::BookReceptionRequest {
            reception_day_id: days[0].clone(),
            name: "赵六".into(),
            phone: "13912345678".into(),
            matter: "工程款拖欠".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(booking.phone_masked, "139****5678");
    let full = jmc
        .book_reception(jm::BookReceptionRequest {
            reception_day_id: days[0].clone(),
            name: "钱七".into(),
            phone: "13912345679".into(),
            matter: "工程款拖欠".into(),
        })
        .await
        .expect_err("one place only");
    assert_eq!(full.code(), tonic::Code::FailedPrecondition);
    let shown = jmc
        .get_reception_day(authed(
            jm::GetReceptionDayRequest {
                reception_day_id: days[0].clone(),
            },
            &city,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(shown.bookings[0].phone_masked, "139****5678");
    assert!(
        !format!("{shown:?}").contains("13912345678"),
        "the phone never leaves the service in clear"
    );
    for (day, item, booking) in [
        (&days[0], o2, booking.id.as_str()),
        (&days[1], o3, ""),
        (&days[1], o4, ""),
    ] {
        jmc.record_reception(authed(
            jm::RecordReceptionRequest {
                reception_day_id: day.clone(),
                petition_id: item.clone(),
                booking_id: booking.into(),
            },
            &city,
        ))
        .await
        .unwrap();
    }

    // 谁接访、谁包案: the booked item is a case packaged to the leader who received it, on the
    // office's reception list, closed and certified there like any package.
    let reception_list = "reception:city-xfj:2026".to_owned();
    let packaged = eventually(60, || {
        let (mut sup, request) = (
            sup.clone(),
            authed(
                sv::CloseBacklogItemRequest {
                    list_id: reception_list.clone(),
                    petition_id: o2.clone(),
                },
                &lead,
            ),
        );
        async move { sup.close_backlog_item(request).await.ok() }
    })
    .await
    .expect("supervision packaged the received item")
    .into_inner();
    assert_eq!(packaged.leader_name, "张市长");
    assert_eq!(packaged.leader_post, "市政府领导");
    // The handling limit: 60 days from 03-10 is Saturday 05-09, a working day (调休 for 劳动节).
    assert_eq!(packaged.target_date, "2026-05-09");
    sup.certify_resolution(authed(
        sv::CertifyResolutionRequest {
            list_id: reception_list.clone(),
            petition_id: o2.clone(),
            evidence: "当场化解".into(),
        },
        &supervisor,
    ))
    .await
    .unwrap();

    // 复查 → 复核 → 报省评议 for one answered item; the other's review sent to the wrong level.
    node.answer(l3, Satisfaction::Satisfied).await;
    node.answer(v2, Satisfaction::Dissatisfied).await;
    let mut eval = node.evaluation.evaluation_client().await;
    let office = token("east-xfj");
    let review = eval
        .request_review(authed(
            ev::RequestReviewRequest {
                petition_id: l3.clone(),
                reason: "对处理意见不服".into(),
                organ_code: String::new(),
            },
            &office,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(review.accepted, "{}", review.notice);
    let wrong_level = eval
        .request_review(authed(
            ev::RequestReviewRequest {
                petition_id: v2.clone(),
                reason: "对处理意见不服".into(),
                organ_code: "city-rsj".into(),
            },
            &office,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!wrong_level.accepted, "addressed to the wrong level");
    let decide = |unit: &str| {
        authed(
            ev::DecideReviewRequest {
                petition_id: l3.clone(),
                opinion: HandlingOpinion::NotSupport as i32,
                text: "原处理意见并无不当".into(),
                publish_opinion: true,
            },
            &token(unit),
        )
    };
    eval.decide_review(decide("east-rsj")).await.unwrap();
    let re_exam = eval
        .request_re_examination(authed(
            ev::RequestReviewRequest {
                petition_id: l3.clone(),
                reason: "对复查意见不服".into(),
                organ_code: String::new(),
            },
            &office,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(re_exam.accepted, "{}", re_exam.notice);
    eval.decide_re_examination(decide("city-rsj"))
        .await
        .unwrap();
    eval.report_to_province(authed(
        ev::ReportToProvinceRequest {
            petition_id: l3.clone(),
            reason: "复核完毕仍有异议".into(),
        },
        &city,
    ))
    .await
    .unwrap();

    node.supervision_caught_up().await;
    let expected: BTreeMap<&str, BTreeSet<String>> = [
        ("items", items.values().flatten().cloned().collect()),
        ("items.channel.0200", set(&[l1, l2, l3])),
        ("items.channel.0300", set(&[v1, v2])),
        ("items.channel.0100", set(&[o1, o2, o3, o4])),
        ("items.online", set(&[o1, o2, o3, o4])),
        ("acceptance.counted", set(&[l3, v2])),
        ("acceptance.timely", set(&[l3, v2])),
        ("conclusion.due", set(&[l3, v2])),
        ("conclusion.on_time", set(&[l3, v2])),
        ("satisfaction.evaluated", set(&[l3, v2])),
        ("satisfaction.satisfied", set(&[l3])),
        ("backlog.items", set(&[l1, l2, l3])),
        ("backlog.closed", set(&[l1, l2])),
        ("backlog.packaged", set(&[l1, l2])),
        (
            "backlog.leaders",
            ["王副市长", "李副市长"].map(str::to_owned).into(),
        ),
        ("backlog.packaged_resolved", set(&[l1])),
        (
            "reception.leaders",
            ["张市长", "刘副市长"].map(str::to_owned).into(),
        ),
        ("reception.days", days.iter().cloned().collect()),
        ("reception.items", set(&[o2, o3, o4])),
        ("reception.resolved", set(&[o2])),
        ("meeting.meetings", meeting_ids.clone()),
        ("meeting.studied", set(&[v1, v2, o1])),
        ("meeting.resolved", set(&[v1])),
        ("review.accepted", set(&[l3])),
        ("review.not_accepted", set(&[v2])),
        ("review.decided", set(&[l3])),
        ("re_examination.accepted", set(&[l3])),
        ("re_examination.not_accepted", BTreeSet::new()),
        ("re_examination.decided", set(&[l3])),
        ("province.marked", set(&[l3])),
        ("suggestion.decided", BTreeSet::new()),
    ]
    .into();

    // 东城区 as the city sees it: every figure exactly, and its records exactly.
    let report = sup
        .get_annual_report(authed(
            sv::GetAnnualReportRequest {
                year: 2026,
                region_code: "340102".into(),
            },
            &city,
        ))
        .await
        .unwrap()
        .into_inner();
    let counted: BTreeMap<&str, i64> = report
        .figures
        .iter()
        .map(|f| (f.key.as_str(), f.count))
        .collect();
    for (key, records) in &expected {
        assert_eq!(
            counted.get(key).copied(),
            Some(records.len() as i64),
            "figure {key}"
        );
        assert_eq!(
            &drilled(&node, "city-xfj", "340102", key).await,
            records,
            "records of {key}"
        );
    }
    let rate = |key: &str| report.figures.iter().find(|f| f.key == key).unwrap().rate;
    assert_eq!(rate("meeting.resolved"), Some(1.0 / 3.0));
    assert_eq!(rate("items.online"), Some(4.0 / 9.0));
    assert_eq!(rate("suggestion.adopted"), None, "无数据, never 0%");
    assert!(
        report
            .draft
            .contains("共召开联席会议2次，研究信访突出问题3件，已化解1件，化解率33.3%"),
        "{}",
        report.draft
    );
    assert!(
        report
            .draft
            .contains("共组织2位领导开展接（约）访活动2次，接待信访事项3件，化解1件，化解率33.3%"),
        "{}",
        report.draft
    );

    // The city's whole scope holds 西城区's letter too; 西城区's office sees only its own.
    let whole = |unit: &str| {
        let mut sup = sup.clone();
        let token = token(unit);
        async move {
            sup.get_annual_report(authed(
                sv::GetAnnualReportRequest {
                    year: 2026,
                    region_code: String::new(),
                },
                &token,
            ))
            .await
            .unwrap()
            .into_inner()
            .figures
            .into_iter()
            .find(|f| f.key == "items")
            .unwrap()
            .count
        }
    };
    assert_eq!(whole("city-xfj").await, 12);
    assert_eq!(whole("west-xfj").await, 3);
    let adopted = &suggestions[&dp::SuggestionDecision::Adopted];
    let partly = &suggestions[&dp::SuggestionDecision::PartlyAdopted];
    assert_eq!(
        drilled(&node, "west-xfj", "", "items").await,
        set(&[&west, adopted, partly])
    );
    for (key, records) in [
        ("suggestion.decided", set(&[adopted, partly])),
        ("suggestion.adopted", set(&[adopted])),
        ("suggestion.partly_adopted", set(&[partly])),
        ("suggestion.not_adopted", BTreeSet::new()),
    ] {
        assert_eq!(
            drilled(&node, "city-xfj", "", key).await,
            records,
            "records of {key}"
        );
    }
    let sheet = sup
        .export_annual_report(authed(
            sv::GetAnnualReportRequest {
                year: 2026,
                region_code: "340102".into(),
            },
            &city,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(sheet.file_name.ends_with(".xlsx"), "{}", sheet.file_name);
    assert_xlsx_has_every_record(&sheet.content, &expected);

    for service in [
        node.supervision,
        node.meetings,
        node.evaluation,
        node.dispatch,
        node.intake,
    ] {
        service.stop().await;
    }
}

/// The workbook's summary counts every figure and its record sheet lists every record.
fn assert_xlsx_has_every_record(content: &[u8], expected: &BTreeMap<&str, BTreeSet<String>>) {
    use calamine::{DataType, Reader, Xlsx};
    let mut book = Xlsx::new(std::io::Cursor::new(content.to_vec())).expect("an XLSX workbook");
    let records = book.worksheet_range("明细").expect("the records sheet");
    let mut listed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in records.rows().skip(1) {
        listed
            .entry(row[0].to_string())
            .or_default()
            .insert(row[2].to_string());
    }
    let summary = book.worksheet_range("年度报告").expect("the summary sheet");
    let counts: BTreeMap<String, f64> = summary
        .rows()
        .skip(2)
        .filter_map(|row| Some((row[5].to_string(), row[2].get_float()?)))
        .collect();
    for (key, records) in expected {
        assert_eq!(
            listed.get(*key).cloned().unwrap_or_default(),
            *records,
            "records of {key} in the workbook"
        );
        assert_eq!(
            counts.get(*key).copied(),
            Some(records.len() as f64),
            "count of {key} in the workbook"
        );
    }
}
