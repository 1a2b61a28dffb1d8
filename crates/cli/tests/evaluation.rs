//! Evaluation end to end: intake, dispatch and evaluation as separate services over a real
//! Kafka-protocol broker and a fresh PostgreSQL database. An item answered on Monday 2026-03-02
//! goes through 不满意 → 回访 → 复查 → 复核 with a hearing → 终结, and the same matter is then
//! refused at intake. Time passes by restarting the evaluation service with a later clock; every
//! date is counted by hand on the demo calendar (劳动节 05-01..05-05).

use sea_orm::{ConnectionTrait, Statement};
use tonic::Code;
use tonic_types::StatusExt;
use xinfang_events::Payload;
use xinfang_proto::xinfang::dispatch::v1::dispatch_service_client::DispatchServiceClient;
use xinfang_proto::xinfang::dispatch::v1::*;
use xinfang_proto::xinfang::evaluation::v1::*;
use xinfang_proto::xinfang::intake::v1::TrackByQueryCodeRequest;
use xinfang_proto::xinfang::intake::v1::intake_service_client::IntakeServiceClient;
use xinfang_proto::xinfang::petition::v1::{HandlingOpinion, PetitionState, Satisfaction};
use xinfang_proto::xinfang::supervision::v1::supervision_service_client::SupervisionServiceClient;
use xinfang_proto::xinfang::supervision::v1::{
    DateBasis, Dimension, GetMetricsRequest, Metric, MetricValue,
};
use xinfang_testkit::broker::Broker;
use xinfang_testkit::database::TestDatabase;
use xinfang_testkit::kafka::{Record, group_caught_up, publish, read_until};
use xinfang_testkit::processes::{self, ServiceProcess};
use xinfang_testkit::{authed, eventually, resident_id, token, wage_claim};

/// 09:00 Beijing time, Monday 2026-03-02: registered, forwarded, accepted and answered.
const ANSWERED: &str = "2026-03-02T09:00:00+08:00";

struct Node {
    db: TestDatabase,
    broker: Broker,
    intake: ServiceProcess,
    dispatch: ServiceProcess,
    evaluation: ServiceProcess,
}

type Channel = tonic::transport::Channel;
type EvaluationClient = evaluation_service_client::EvaluationServiceClient<Channel>;

impl Node {
    async fn start() -> Node {
        let db = TestDatabase::create().await;
        let broker = Broker::start().await;
        for service in ["intake", "dispatch", "evaluation", "supervision"] {
            broker
                .create_topic(&format!("xinfang.{service}.events"), 3)
                .await;
        }
        let (intake, dispatch, evaluation) = tokio::join!(
            serve(&db, &broker, "intake", ANSWERED),
            serve(&db, &broker, "dispatch", ANSWERED),
            serve(&db, &broker, "evaluation", ANSWERED),
        );
        Node {
            db,
            broker,
            intake,
            dispatch,
            evaluation,
        }
    }

    /// Lets time pass for evaluation: a new process with its clock at 09:00 on `day`.
    async fn evaluation_on(&mut self, day: &str) -> EvaluationClient {
        let at = format!("{day}T09:00:00+08:00");
        let next = serve(&self.db, &self.broker, "evaluation", &at).await;
        std::mem::replace(&mut self.evaluation, next).stop().await;
        self.evaluation().await
    }

    async fn evaluation(&self) -> EvaluationClient {
        EvaluationClient::connect(self.evaluation.endpoint())
            .await
            .expect("connect to evaluation")
    }

    async fn intake(&self) -> IntakeServiceClient<Channel> {
        IntakeServiceClient::connect(self.intake.endpoint())
            .await
            .expect("connect to intake")
    }

    async fn stop(self) {
        self.evaluation.stop().await;
        self.dispatch.stop().await;
        self.intake.stop().await;
    }
}

/// `xinfang serve <service>` on the test's database and broker, its clock started at `at`.
async fn serve(db: &TestDatabase, broker: &Broker, service: &str, at: &str) -> ServiceProcess {
    serve_with(db, broker, service, &[("clock.start", at)]).await
}

async fn serve_with(
    db: &TestDatabase,
    broker: &Broker,
    service: &str,
    more: &[(&str, &str)],
) -> ServiceProcess {
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_xinfang"));
    processes::serve(binary, service, &db.url, &broker.address(), more).await
}

/// Registered by the county office (东城区信访局), forwarded to the township (长江街道), which
/// accepts and answers; returns the petition and its query code once evaluation has the answer.
async fn answered(node: &Node, key: &str, person: u32) -> (String, String) {
    let office = token("east-xfj");
    let township = token("east-t1");
    let registered = node
        .intake()
        .await
        .register_petition(authed(wage_claim(key, &resident_id(person)), &office))
        .await
        .unwrap()
        .into_inner();
    let id = registered.petition.unwrap().id;
    let dispatch = DispatchServiceClient::connect(node.dispatch.endpoint())
        .await
        .expect("connect to dispatch");
    let get = GetCaseRequest {
        petition_id: id.clone(),
    };
    let opened = eventually(60, || {
        let (mut client, request) = (dispatch.clone(), authed(get.clone(), &office));
        async move { client.get_case(request).await.ok() }
    })
    .await;
    assert!(opened.is_some(), "dispatch opened a case for {id}");
    let mut dispatch = dispatch;
    let forward = ForwardRequest {
        petition_id: id.clone(),
        organ_code: "east-t1".into(),
        note: String::new(),
    };
    dispatch.forward(authed(forward, &office)).await.unwrap();
    let accept = AcceptRequest {
        petition_id: id.clone(),
        notice_text: "已受理".into(),
    };
    dispatch.accept(authed(accept, &township)).await.unwrap();
    let answer = AnswerRequest {
        petition_id: id.clone(),
        opinion: HandlingOpinion::Support as i32,
        text: "已督促企业十日内支付".into(),
    };
    dispatch.answer(authed(answer, &township)).await.unwrap();
    let evaluation = node.evaluation().await;
    let request = GetRecordRequest {
        petition_id: id.clone(),
    };
    let record = eventually(60, || {
        let (mut client, request) = (evaluation.clone(), authed(request.clone(), &office));
        async move {
            let record = client.get_record(request).await.ok()?.into_inner();
            (!record.answered_date.is_empty() && !record.case_number.is_empty()).then_some(record)
        }
    })
    .await
    .expect("evaluation learned the registration and the answer");
    assert_eq!(record.answered_date, "2026-03-02");
    assert_eq!(record.answering_organ_code, "east-t1");
    assert_eq!(due(&record.evaluation_window), "2026-04-01", "30 days");
    assert_eq!(
        due(&record.request_window),
        "2026-04-01",
        "复查申请 30 days"
    );
    (id, registered.query_code)
}

fn due(deadline: &Option<xinfang_proto::xinfang::petition::v1::Deadline>) -> String {
    deadline
        .as_ref()
        .map(|d| d.due_date.clone())
        .unwrap_or_default()
}

/// The evaluation code of the newest SMS for the item, as the petitioner reads it.
async fn sms_token(db: &TestDatabase, petition: &str) -> String {
    let row = db
        .db
        .query_one_raw(Statement::from_string(
            db.db.get_database_backend(),
            format!(
                "SELECT body FROM evaluation_sms WHERE petition_id = '{petition}' ORDER BY id DESC LIMIT 1"
            ),
        ))
        .await
        .unwrap()
        .expect("an SMS for the item");
    let body: String = row.try_get("", "body").unwrap();
    body.split("评价码 ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the code in the SMS")
        .to_owned()
}

fn citizen(query_code: &str, token: &str, organ: Satisfaction) -> SubmitEvaluationRequest {
    SubmitEvaluationRequest {
        query_code: query_code.into(),
        token: token.into(),
        department: Satisfaction::Satisfied as i32,
        handling_organ: organ as i32,
        comment: "工资仍未到账".into(),
        ..Default::default()
    }
}

fn reason(status: &tonic::Status) -> String {
    status
        .get_details_error_info()
        .map(|i| i.reason)
        .unwrap_or_default()
}

#[tokio::test]
async fn answered_then_dissatisfied_reviewed_re_examined_with_a_hearing_terminated_and_refused_at_intake()
 {
    let mut node = Node::start().await;
    let (id, code) = answered(&node, "path", 1).await;
    let (other, other_code) = answered(&node, "late", 2).await;
    let office = token("east-xfj");

    // 03-05: the petitioner evaluates through the SMS link — only with their own code and token.
    let mut evaluation = node.evaluation_on("2026-03-05").await;
    let sms = sms_token(&node.db, &id).await;
    let other_sms = sms_token(&node.db, &other).await;
    for (query_code, token, what) in [
        (code.as_str(), "ABCDEFGHJKMNPQRSTUVW", "a guessed token"),
        (
            other_code.as_str(),
            sms.as_str(),
            "another item's query code",
        ),
        (code.as_str(), other_sms.as_str(), "another item's token"),
    ] {
        let refused = evaluation
            .submit_evaluation(citizen(query_code, token, Satisfaction::Dissatisfied))
            .await
            .expect_err(what);
        assert_eq!(refused.code(), Code::PermissionDenied, "{what}");
        assert_eq!(reason(&refused), "XF_BAD_EVALUATION_TOKEN", "{what}");
    }
    let made = evaluation
        .submit_evaluation(citizen(&code, &sms, Satisfaction::Dissatisfied))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(made.stage, Stage::Answer as i32);
    assert_eq!(made.channel, EvaluationChannel::Sms as i32);
    let again = evaluation
        .submit_evaluation(citizen(&code, &sms, Satisfaction::Satisfied))
        .await
        .expect_err("one evaluation per stage");
    assert_eq!(reason(&again), "XF_ALREADY_EVALUATED");

    // A department that never held the item does not see its evaluations.
    let stranger = evaluation
        .list_evaluations(authed(
            ListEvaluationsRequest {
                petition_id: id.clone(),
            },
            &token("city-zjj"),
        ))
        .await
        .expect_err("out of scope");
    assert_eq!(stranger.code(), Code::NotFound);

    // 03-20: the township revisits (due 15 days after 03-05); the petitioner asks for 复查.
    let mut evaluation = node.evaluation_on("2026-03-20").await;
    let record = evaluation
        .get_record(authed(
            GetRecordRequest {
                petition_id: id.clone(),
            },
            &office,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(record.revisits[0].due_date, "2026-03-20");
    assert_eq!(record.revisits[0].organ_code, "east-t1");
    evaluation
        .record_revisit(authed(
            RecordRevisitRequest {
                petition_id: id.clone(),
                text: "电话回访申请人".into(),
                analysis: "企业承诺未兑现".into(),
                outcome: "告知可申请复查".into(),
            },
            &token("east-t1"),
        ))
        .await
        .unwrap();
    let review = evaluation
        .request_review(authed(
            RequestReviewRequest {
                petition_id: id.clone(),
                reason: "工资仍未支付".into(),
                organ_code: String::new(),
            },
            &office,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(review.accepted, "{}", review.notice);
    assert_eq!(
        review.organ_code, "east-rsj",
        "one level up, competent for 02"
    );
    // 30 days from 03-20 is Sunday 04-19: Monday 04-20.
    assert_eq!(due(&review.deadline), "2026-04-20");

    // 04-02: the other item's window ended on 04-01 — a notice, not a review.
    let mut evaluation = node.evaluation_on("2026-04-02").await;
    let late = evaluation
        .request_review(authed(
            RequestReviewRequest {
                petition_id: other.clone(),
                reason: "不服".into(),
                organ_code: String::new(),
            },
            &office,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!late.accepted);
    assert!(late.notice.contains("2026-04-01"), "{}", late.notice);

    // 04-10: the county labour bureau decides the review.
    let mut evaluation = node.evaluation_on("2026-04-10").await;
    let decide = |stage_office: &str| {
        authed(
            DecideReviewRequest {
                petition_id: id.clone(),
                opinion: HandlingOpinion::NotSupport as i32,
                text: "原处理意见并无不当".into(),
                publish_opinion: true,
            },
            &token(stage_office),
        )
    };
    let wrong = evaluation
        .decide_review(decide("east-t1"))
        .await
        .expect_err("the township cannot review itself");
    assert_eq!(reason(&wrong), "XF_NOT_RESPONSIBLE_ORGAN");
    let reviewed = evaluation
        .decide_review(decide("east-rsj"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reviewed.decided_date, "2026-04-10");

    // 04-20: 复核 requested, taken by the city labour bureau: 30 days, to 05-20.
    let mut evaluation = node.evaluation_on("2026-04-20").await;
    let re_exam = evaluation
        .request_re_examination(authed(
            RequestReviewRequest {
                petition_id: id.clone(),
                reason: "对复查意见不服".into(),
                organ_code: String::new(),
            },
            &office,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(re_exam.accepted, "{}", re_exam.notice);
    assert_eq!(re_exam.organ_code, "city-rsj");
    assert_eq!(due(&re_exam.deadline), "2026-05-20");

    // A hearing from 04-27 to 05-06 (劳动节 inside): 10 days that do not count.
    let city = token("city-rsj");
    let mut evaluation = node.evaluation_on("2026-04-27").await;
    evaluation
        .schedule_hearing(authed(
            ScheduleHearingRequest {
                petition_id: id.clone(),
                start_date: "2026-04-27".into(),
                place: "市人社局听证室".into(),
                participants: vec!["申请人".into(), "东城区人社局".into()],
            },
            &city,
        ))
        .await
        .unwrap();
    let mut evaluation = node.evaluation_on("2026-05-06").await;
    let heard = evaluation
        .end_hearing(authed(
            EndHearingRequest {
                petition_id: id.clone(),
                end_date: "2026-05-06".into(),
                record: "双方陈述意见".into(),
            },
            &city,
        ))
        .await
        .unwrap()
        .into_inner();
    // 05-20 + 10 days = Saturday 05-30: Monday 06-01.
    assert_eq!(due(&heard.deadline), "2026-06-01");

    // 05-25: the re-examination decided; 终结 follows.
    let mut evaluation = node.evaluation_on("2026-05-25").await;
    let decided = evaluation
        .decide_re_examination(authed(
            DecideReviewRequest {
                petition_id: id.clone(),
                opinion: HandlingOpinion::NotSupport as i32,
                text: "维持复查意见".into(),
                publish_opinion: true,
            },
            &city,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(decided.decided_date, "2026-05-25");
    let terminated = evaluation
        .terminate(authed(
            TerminateRequest {
                petition_id: id.clone(),
                reason: "经复核，信访事项终结".into(),
            },
            &token("city-xfj"),
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(terminated.terminated);
    assert_eq!(terminated.terminated_date, "2026-05-25");
    assert_eq!(terminated.state, PetitionState::Terminated as i32);
    let published = evaluation
        .list_terminated(authed(ListTerminatedRequest { year: 2026 }, &office))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        published
            .records
            .iter()
            .map(|r| r.petition_id.as_str())
            .collect::<Vec<_>>(),
        [id.as_str()]
    );

    // Intake learned every public step from the events, and 终结 with them.
    let terminated = format!("intake_petition WHERE id = '{id}' AND state = 'terminated'");
    assert!(
        node.db.reaches(&terminated, 1, 60).await,
        "intake follows evaluation to 终结"
    );
    let terminated_at_intake = node
        .intake()
        .await
        .track_by_query_code(TrackByQueryCodeRequest {
            query_code: code.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(terminated_at_intake.state, PetitionState::Terminated as i32);
    let titles: Vec<&str> = terminated_at_intake
        .steps
        .iter()
        .map(|s| s.title.as_str())
        .collect();
    for wanted in [
        "复查申请已受理",
        "复查意见（不予支持）",
        "听证",
        "复核意见（不予支持）",
        "终结",
    ] {
        assert!(titles.contains(&wanted), "{wanted} in {titles:?}");
    }

    // The same petitioner on the same matter is registered as 不再受理, with no case.
    let again = node
        .intake()
        .await
        .register_petition(authed(wage_claim("again", &resident_id(1)), &office))
        .await
        .unwrap()
        .into_inner()
        .petition
        .unwrap();
    assert_eq!(again.state, PetitionState::NotReaccepted as i32);

    // Dispatch's answer delivered once more changes nothing: no second SMS, no new version.
    let versions = node
        .db
        .count(&format!(
            "evaluation_audit WHERE aggregate = 'evaluation/{id}'"
        ))
        .await;
    let answer = |r: &Record| {
        r.envelope.petition_id == id && matches!(r.envelope.payload, Some(Payload::CaseAnswered(_)))
    };
    // Read until the answer is there: `read_all`, which stops at the count the partitions'
    // watermarks give, came back without it in one run in three here.
    let answers: Vec<_> = read_until(
        &node.broker.address(),
        "xinfang.dispatch.events",
        60,
        |rs| rs.iter().any(answer),
    )
    .await
    .into_iter()
    .filter(answer)
    .map(|r| r.envelope)
    .collect();
    assert_eq!(answers.len(), 1);
    publish(&node.broker.address(), "xinfang.dispatch.events", &answers).await;
    let caught_up = eventually(60, || async {
        group_caught_up(
            &node.broker.address(),
            "evaluation",
            "xinfang.dispatch.events",
        )
        .then_some(())
    })
    .await;
    assert!(caught_up.is_some(), "evaluation consumed the redelivery");
    assert_eq!(
        node.db
            .count(&format!("evaluation_sms WHERE petition_id = '{id}'"))
            .await,
        3
    );
    assert_eq!(
        node.db
            .count(&format!(
                "evaluation_audit WHERE aggregate = 'evaluation/{id}'"
            ))
            .await,
        versions
    );
    node.stop().await;
}

/// East district's (340102) numerator and denominator of `metric` over March, as the city reads.
async fn east(supervision: &ServiceProcess, metric: Metric) -> (i64, i64) {
    let request = GetMetricsRequest {
        dimension: Dimension::Region as i32,
        basis: DateBasis::Registered as i32,
        from: "2026-03-01".into(),
        to: "2026-03-31".into(),
        ..Default::default()
    };
    let values: Vec<MetricValue> = SupervisionServiceClient::connect(supervision.endpoint())
        .await
        .expect("connect to supervision")
        .get_metrics(authed(request, &token("city-xfj")))
        .await
        .unwrap()
        .into_inner()
        .values;
    values
        .iter()
        .find(|v| v.group == "340102" && v.metric == metric as i32)
        .map(|v| (v.numerator, v.denominator))
        .unwrap_or_default()
}

/// Supervision with its clock at `at`, its watcher looking every 100 ms.
async fn supervision_on(node: &Node, at: &str) -> ServiceProcess {
    let more = [
        ("clock.start", at),
        ("supervision.sweep_interval_ms", "100"),
    ];
    serve_with(&node.db, &node.broker, "supervision", &more).await
}

#[tokio::test]
async fn evaluations_make_participation_and_satisfaction_live_in_supervision() {
    let node = Node::start().await;
    let supervision = supervision_on(&node, ANSWERED).await;
    let (a, _) = answered(&node, "a", 3).await;
    let (b, _) = answered(&node, "b", 4).await;

    // A clerk enters A's evaluation for the petitioner who phoned (代评): 基本满意.
    let proxy = SubmitEvaluationRequest {
        petition_id: a.clone(),
        proxy_name: "李四".into(),
        department: Satisfaction::Satisfied as i32,
        handling_organ: Satisfaction::BasicallySatisfied as i32,
        ..Default::default()
    };
    let made = node
        .evaluation()
        .await
        .submit_evaluation(authed(proxy, &token("east-xfj")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(made.channel, EvaluationChannel::Phone as i32);
    assert_eq!(made.proxy_unit, "east-xfj");
    let evaluated = format!("supervision_item WHERE evaluated AND petition_id = '{a}'");
    assert!(
        node.db.reaches(&evaluated, 1, 60).await,
        "supervision learned A's evaluation"
    );
    // B's window is still open: it is in neither count yet.
    assert_eq!(
        east(&supervision, Metric::EvaluationParticipation).await,
        (1, 1)
    );
    assert_eq!(east(&supervision, Metric::Satisfaction).await, (1, 1));
    supervision.stop().await;

    // 04-02: B's window (to 04-01) passed unevaluated — 超期未评价 counts against 参评率.
    let supervision = supervision_on(&node, "2026-04-02T09:00:00+08:00").await;
    let missed = format!("supervision_item WHERE evaluation_missed AND petition_id = '{b}'");
    assert!(
        node.db.reaches(&missed, 1, 60).await,
        "the watcher marked B"
    );
    assert_eq!(
        east(&supervision, Metric::EvaluationParticipation).await,
        (1, 2)
    );
    assert_eq!(east(&supervision, Metric::Satisfaction).await, (1, 1));
    supervision.stop().await;
    node.stop().await;
}
