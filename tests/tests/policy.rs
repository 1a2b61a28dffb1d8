//! The authorization policy as callers meet it over gRPC: every unit kind × every role × every
//! RPC of intake, dispatch, supervision, evaluation and the joint meeting service against the policy table (no unexpected allow, no
//! expected call stopped at the gate), and what each unit sees of one item before and after it
//! is routed to a department.

use tonic::{Code, Status};
use tonic_types::StatusExt;
use xinfang_platform::policy::{RULES, Role};
use xinfang_proto::xinfang::dispatch::v1 as dp;
use xinfang_proto::xinfang::evaluation::v1 as ep;
use xinfang_proto::xinfang::exchange::v1 as xp;
use xinfang_proto::xinfang::intake::v1 as ip;
use xinfang_proto::xinfang::jointmeeting::v1 as jm;
use xinfang_proto::xinfang::petition::v1 as pb;
use xinfang_proto::xinfang::supervision::v1 as sp;
use xinfang_testkit::broker::Broker;
use xinfang_testkit::database::TestDatabase;
use xinfang_testkit::services::{
    RunningService, settings_with, spawn_dispatch, spawn_evaluation, spawn_exchange, spawn_intake,
    spawn_jointmeeting, spawn_supervision,
};
use xinfang_testkit::{authed, eventually, resident_id, token, token_as, wage_claim};

/// One unit of each kind: townships, the district and city offices, departments.
const UNITS: [&str; 6] = [
    "east-t1", "west-t1", "east-xfj", "city-xfj", "east-rsj", "city-rsj",
];

struct Node {
    db: TestDatabase,
    _broker: Broker,
    intake: RunningService,
    dispatch: RunningService,
    supervision: RunningService,
    evaluation: RunningService,
    jointmeeting: RunningService,
    exchange: RunningService,
}

async fn node() -> Node {
    let db = TestDatabase::create().await;
    let broker = Broker::start().await;
    for topic in [
        "xinfang.intake.events",
        "xinfang.dispatch.events",
        "xinfang.supervision.events",
        "xinfang.evaluation.events",
        "xinfang.jointmeeting.events",
    ] {
        broker.create_topic(topic, 1).await;
    }
    let settings = || {
        settings_with(
            &db.url,
            Some(&broker.address()),
            &[("clock.start", "2026-02-03T09:00:00+08:00")],
        )
    };
    let intake = spawn_intake(settings()).await;
    let dispatch = spawn_dispatch(settings()).await;
    let supervision = spawn_supervision(settings()).await;
    let evaluation = spawn_evaluation(settings()).await;
    let jointmeeting = spawn_jointmeeting(settings()).await;
    let exchange = spawn_exchange(settings_with(
        &db.url,
        Some(&broker.address()),
        &[("exchange.role", "hub")],
    ))
    .await;
    Node {
        db,
        _broker: broker,
        intake,
        dispatch,
        supervision,
        evaluation,
        jointmeeting,
        exchange,
    }
}

/// A request with this token, or none (the citizen).
fn with<T>(message: T, token: &Option<String>) -> tonic::Request<T> {
    match token {
        Some(token) => authed(message, token),
        None => tonic::Request::new(message),
    }
}

/// Calls `method` with a minimal request about `petition` (writes name one that does not exist,
/// so no call changes what the next one sees) and returns the status.
async fn call(
    node: &Node,
    method: &str,
    petition: &str,
    token: &Option<String>,
) -> Result<(), Status> {
    // Two services have a CertifyResolution: the joint meeting's calls go by `Meeting.<rpc>`.
    let name = match method.split_once("JointMeetingService/") {
        Some((_, rpc)) => format!("Meeting.{rpc}"),
        None => method.rsplit('/').next().unwrap().to_owned(),
    };
    let none = "matrix-none".to_owned();
    let mut i = node.intake.intake_client().await;
    let mut d = node.dispatch.dispatch_client().await;
    let mut s = node.supervision.supervision_client().await;
    let mut e = node.evaluation.evaluation_client().await;
    let mut j = node.jointmeeting.jointmeeting_client().await;
    let mut x = node.exchange.exchange_client().await;
    let mut xa = node.exchange.exchange_admin_client().await;
    let pid = || dp::GetCaseRequest {
        petition_id: none.clone(),
    };
    macro_rules! go {
        ($client:ident . $rpc:ident ($message:expr)) => {
            $client.$rpc(with($message, token)).await.map(drop)
        };
    }
    match name.as_str() {
        "RegisterPetition" => go!(i.register_petition(ip::RegisterPetitionRequest::default())),
        "GetPetition" => go!(i.get_petition(ip::GetPetitionRequest {
            id: petition.into()
        })),
        "ListPetitions" => go!(i.list_petitions(ip::ListPetitionsRequest::default())),
        "TrackByQueryCode" => go!(i.track_by_query_code(ip::TrackByQueryCodeRequest {
            query_code: "NOSUCHCODE22".into()
        })),
        "HandOver" => go!(i.hand_over(ip::HandOverRequest {
            petition_id: petition.into()
        })),
        "ListCases" => go!(d.list_cases(dp::ListCasesRequest::default())),
        "GetCase" => go!(d.get_case(dp::GetCaseRequest {
            petition_id: petition.into()
        })),
        "ProposeRoute" => go!(d.propose_route(dp::ProposeRouteRequest {
            petition_id: petition.into()
        })),
        "Forward" => go!(d.forward(dp::ForwardRequest {
            petition_id: pid().petition_id,
            organ_code: "east-rsj".into(),
            ..Default::default()
        })),
        "Assign" => go!(d.assign(dp::AssignRequest {
            petition_id: pid().petition_id,
            organ_code: "east-rsj".into(),
            report_back_date: "2026-03-01".into(),
            ..Default::default()
        })),
        "Redirect" => go!(d.redirect(dp::RedirectRequest {
            petition_id: pid().petition_id,
            route: pb::StatutoryRoute::Litigation as i32,
            notice_text: "x".into(),
        })),
        "NotAccept" => go!(d.not_accept(dp::NotAcceptRequest {
            petition_id: pid().petition_id,
            reason: "x".into(),
        })),
        "Escalate" => go!(d.escalate(dp::EscalateRequest {
            petition_id: pid().petition_id,
            reason: "x".into(),
        })),
        "Accept" => go!(d.accept(dp::AcceptRequest {
            petition_id: pid().petition_id,
            notice_text: "x".into(),
        })),
        "Object" => go!(d.object(dp::ObjectRequest {
            petition_id: pid().petition_id,
            reason: "x".into(),
            jurisdiction_dispute: false,
        })),
        "AssignHandler" => go!(d.assign_handler(dp::AssignHandlerRequest {
            petition_id: pid().petition_id,
            handler_user_id: "h".into(),
        })),
        "AddProgressNote" => go!(d.add_progress_note(dp::AddProgressNoteRequest {
            petition_id: pid().petition_id,
            text: "x".into(),
        })),
        "RequestExtension" => go!(d.request_extension(dp::RequestExtensionRequest {
            petition_id: pid().petition_id,
            days: 10,
            reason: "x".into(),
        })),
        "DecideExtension" => go!(d.decide_extension(dp::DecideExtensionRequest {
            petition_id: pid().petition_id,
            approved: true,
            reason: String::new(),
        })),
        "Answer" => go!(d.answer(dp::AnswerRequest {
            petition_id: pid().petition_id,
            opinion: pb::HandlingOpinion::Explain as i32,
            text: "x".into(),
        })),
        "SubmitCompletionReport" => {
            go!(
                d.submit_completion_report(dp::SubmitCompletionReportRequest {
                    petition_id: pid().petition_id,
                    text: "x".into(),
                })
            )
        }
        "StartPause" => go!(d.start_pause(dp::StartPauseRequest {
            petition_id: pid().petition_id,
            kind: dp::PauseKind::Hearing as i32,
            reason: "x".into(),
            start_date: "2026-02-03".into(),
        })),
        "EndPause" => go!(d.end_pause(dp::EndPauseRequest {
            petition_id: pid().petition_id,
            end_date: "2026-02-03".into(),
        })),
        "Transfer" => go!(d.transfer(dp::TransferRequest {
            petition_id: pid().petition_id,
            organ_code: "city-rsj".into(),
            reason: "x".into(),
        })),
        "MarkForeign" => go!(d.mark_foreign(dp::MarkForeignRequest {
            petition_id: pid().petition_id,
            node_region_code: "340200".into(),
            reason: "x".into(),
        })),
        "DecideSuggestion" => go!(d.decide_suggestion(dp::DecideSuggestionRequest {
            petition_id: pid().petition_id,
            decision: dp::SuggestionDecision::Adopted as i32,
            reply: "x".into(),
            reward: String::new(),
        })),
        "ListDueItems" => go!(s.list_due_items(sp::ListDueItemsRequest::default())),
        "ListSupervisionOrders" => {
            go!(s.list_supervision_orders(sp::ListSupervisionOrdersRequest::default()))
        }
        "IssueSupervisionOrder" => {
            go!(s.issue_supervision_order(sp::IssueSupervisionOrderRequest {
                petition_id: none.clone(),
                reason: "x".into(),
                ..Default::default()
            }))
        }
        "ReplyToSupervisionOrder" => go!(s.reply_to_supervision_order(
            sp::ReplyToSupervisionOrderRequest {
                order_id: none.clone(),
                complied: true,
                text: "x".into(),
            }
        )),
        "CreateBacklogList" => go!(s.create_backlog_list(sp::CreateBacklogListRequest {
            campaign: String::new(),
            rule: String::new(),
        })),
        "AddBacklogItems" => go!(s.add_backlog_items(sp::AddBacklogItemsRequest {
            list_id: none.clone(),
            petition_ids: vec![],
        })),
        "AssignLeaderPackage" => go!(s.assign_leader_package(sp::AssignLeaderPackageRequest {
            list_id: none.clone(),
            petition_id: none.clone(),
            ..Default::default()
        })),
        "CloseBacklogItem" => go!(s.close_backlog_item(sp::CloseBacklogItemRequest {
            list_id: none.clone(),
            petition_id: none.clone(),
        })),
        "CertifyResolution" => go!(s.certify_resolution(sp::CertifyResolutionRequest {
            list_id: none.clone(),
            petition_id: none.clone(),
            evidence: "x".into(),
        })),
        "FileScreeningReport" => {
            go!(s.file_screening_report(sp::FileScreeningReportRequest::default()))
        }
        "GetMetrics" => go!(s.get_metrics(sp::GetMetricsRequest {
            from: "2026-02-01".into(),
            to: "2026-02-28".into(),
            dimension: sp::Dimension::Organ as i32,
            ..Default::default()
        })),
        "DrillDownMetric" => go!(s.drill_down_metric(sp::DrillDownMetricRequest::default())),
        "GetPetitionIndex" => go!(s.get_petition_index(sp::GetPetitionIndexRequest {
            from: "2026-02-01".into(),
            to: "2026-02-28".into(),
            ..Default::default()
        })),
        "ExportMonthlyBulletin" => {
            go!(s.export_monthly_bulletin(sp::ExportMonthlyBulletinRequest {
                month: "2026-02".into(),
                ..Default::default()
            }))
        }
        "GetAnnualReport" => go!(s.get_annual_report(sp::GetAnnualReportRequest {
            year: 2026,
            ..Default::default()
        })),
        "DrillDownAnnualFigure" => {
            go!(
                s.drill_down_annual_figure(sp::DrillDownAnnualFigureRequest {
                    year: 2026,
                    key: "items".into(),
                    ..Default::default()
                })
            )
        }
        "ExportAnnualReport" => go!(s.export_annual_report(sp::GetAnnualReportRequest {
            year: 2026,
            ..Default::default()
        })),
        "SubmitEvaluation" => go!(e.submit_evaluation(ep::SubmitEvaluationRequest {
            petition_id: petition.into(),
            query_code: "NOSUCHCODE22".into(),
            token: "NOSUCHTOKEN".into(),
            ..Default::default()
        })),
        "ListEvaluations" => go!(e.list_evaluations(ep::ListEvaluationsRequest {
            petition_id: petition.into()
        })),
        "GetRecord" => go!(e.get_record(ep::GetRecordRequest {
            petition_id: petition.into()
        })),
        "RecordRevisit" => go!(e.record_revisit(ep::RecordRevisitRequest {
            petition_id: none.clone(),
            ..Default::default()
        })),
        "RequestReview" => go!(e.request_review(ep::RequestReviewRequest {
            petition_id: none.clone(),
            ..Default::default()
        })),
        "RequestReExamination" => {
            go!(e.request_re_examination(ep::RequestReviewRequest {
                petition_id: none.clone(),
                ..Default::default()
            }))
        }
        "DecideReview" => go!(e.decide_review(ep::DecideReviewRequest {
            petition_id: none.clone(),
            ..Default::default()
        })),
        "DecideReExamination" => go!(e.decide_re_examination(ep::DecideReviewRequest {
            petition_id: none.clone(),
            ..Default::default()
        })),
        "ScheduleHearing" => go!(e.schedule_hearing(ep::ScheduleHearingRequest {
            petition_id: none.clone(),
            ..Default::default()
        })),
        "EndHearing" => go!(e.end_hearing(ep::EndHearingRequest {
            petition_id: none.clone(),
            ..Default::default()
        })),
        "Terminate" => go!(e.terminate(ep::TerminateRequest {
            petition_id: none.clone(),
            ..Default::default()
        })),
        "ListTerminated" => go!(e.list_terminated(ep::ListTerminatedRequest::default())),
        "RecordSpotCheck" => go!(e.record_spot_check(ep::RecordSpotCheckRequest {
            petition_id: none.clone(),
            ..Default::default()
        })),
        "ReportToProvince" => go!(e.report_to_province(ep::ReportToProvinceRequest {
            petition_id: none.clone(),
            ..Default::default()
        })),
        "Meeting.ConveneMeeting" => go!(j.convene_meeting(jm::ConveneMeetingRequest::default())),
        "Meeting.AddAgendaItems" => go!(j.add_agenda_items(jm::AddAgendaItemsRequest {
            meeting_id: none.clone(),
            ..Default::default()
        })),
        "Meeting.RecordDecision" => go!(j.record_decision(jm::RecordDecisionRequest {
            meeting_id: none.clone(),
            ..Default::default()
        })),
        "Meeting.RecordFollowUp" => go!(j.record_follow_up(jm::RecordFollowUpRequest {
            meeting_id: none.clone(),
            ..Default::default()
        })),
        "Meeting.CertifyResolution" => go!(j.certify_resolution(jm::CertifyResolutionRequest {
            meeting_id: none.clone(),
            ..Default::default()
        })),
        "Meeting.GetMeeting" => go!(j.get_meeting(jm::GetMeetingRequest {
            meeting_id: none.clone()
        })),
        "Meeting.ListMeetings" => go!(j.list_meetings(jm::ListMeetingsRequest::default())),
        "Meeting.ExportMinutes" => go!(j.export_minutes(jm::GetMeetingRequest {
            meeting_id: none.clone()
        })),
        "Meeting.PublishRoster" => go!(j.publish_roster(jm::PublishRosterRequest::default())),
        "Meeting.SwapDuty" => go!(j.swap_duty(jm::SwapDutyRequest::default())),
        "Meeting.GetRoster" => go!(j.get_roster(jm::GetRosterRequest::default())),
        "PushBatch" => go!(x.push_batch(xp::PushBatchRequest::default())),
        "PullBatch" => go!(x.pull_batch(xp::PullBatchRequest::default())),
        "AckPull" => go!(x.ack_pull(xp::AckPullRequest::default())),
        "AssignItem" => go!(x.assign_item(xp::AssignItemRequest::default())),
        "PublishCalendar" => go!(x.publish_calendar(xp::PublishCalendarRequest::default())),
        "ListNodes" => go!(x.list_nodes(xp::ListNodesRequest::default())),
        "PublishCodeMapping" => go!(x.publish_code_mapping(xp::CodeMapping::default())),
        "PublishOrganisation" => {
            go!(x.publish_organisation(xp::PublishOrganisationRequest::default()))
        }
        "GetLinkStatus" => go!(xa.get_link_status(xp::GetLinkStatusRequest::default())),
        "ListUploadRecords" => {
            go!(xa.list_upload_records(xp::ListUploadRecordsRequest::default()))
        }
        "GetCodeMapping" => go!(xa.get_code_mapping(xp::GetCodeMappingRequest::default())),
        "ResendRecord" => go!(xa.resend_record(xp::ResendRecordRequest::default())),
        "ListDownRecords" => go!(xa.list_down_records(xp::ListDownRecordsRequest::default())),
        "Meeting.PublishReceptionDay" => {
            go!(j.publish_reception_day(jm::PublishReceptionDayRequest::default()))
        }
        "Meeting.ListReceptionCalendar" => {
            go!(j.list_reception_calendar(jm::ListReceptionCalendarRequest::default()))
        }
        "Meeting.BookReception" => go!(j.book_reception(jm::BookReceptionRequest::default())),
        "Meeting.GetReceptionDay" => go!(j.get_reception_day(jm::GetReceptionDayRequest {
            reception_day_id: none.clone(),
        })),
        "Meeting.RecordReception" => go!(j.record_reception(jm::RecordReceptionRequest {
            reception_day_id: none.clone(),
            ..Default::default()
        })),
        other => panic!("the matrix has no call for {other}: add it"),
    }
}

/// Whether the gate stopped the call (rather than the call's own rules deciding).
fn stopped_at_the_gate(status: &Status) -> bool {
    let reason = status
        .get_error_details()
        .error_info()
        .map(|i| i.reason.clone())
        .unwrap_or_default();
    (status.code() == Code::PermissionDenied && reason == "XF_ROLE_REQUIRED")
        || (status.code() == Code::Unauthenticated && reason == "XF_UNAUTHENTICATED")
}

async fn register(node: &Node) -> String {
    let mut intake = node.intake.intake_client().await;
    let request = wage_claim("matrix", &resident_id(901));
    let id = intake
        .register_petition(authed(request, &token("east-t1")))
        .await
        .unwrap()
        .into_inner()
        .petition
        .unwrap()
        .id;
    let followed = eventually(60, || async {
        let ready = node
            .db
            .count(&format!("dispatch_case WHERE petition_id = '{id}'"))
            .await
            == 1
            && node
                .db
                .count(&format!(
                    "supervision_item WHERE petition_id = '{id}' AND organ_code IS NOT NULL"
                ))
                .await
                == 1;
        ready.then_some(())
    })
    .await;
    assert!(
        followed.is_some(),
        "dispatch and supervision follow the registration"
    );
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_unit_kind_role_and_rpc_meets_the_policy_table() {
    let node = node().await;
    let petition = register(&node).await;
    let mut callers: Vec<(String, Option<Role>, Option<String>)> =
        vec![("citizen".into(), None, None)];
    for unit in UNITS {
        for role in Role::ALL {
            callers.push((
                unit.into(),
                Some(role),
                Some(token_as(unit, &[role.as_str()])),
            ));
        }
    }
    let mut checked = 0;
    for rule in RULES {
        for (unit, role, token) in &callers {
            let allowed = match role {
                None => rule.public,
                Some(role) => *role == Role::Admin || rule.roles.contains(role),
            };
            let outcome = call(&node, rule.method, &petition, token).await;
            let gated = outcome.as_ref().err().is_some_and(stopped_at_the_gate);
            assert_eq!(
                !gated, allowed,
                "{} as {unit} {role:?}: {outcome:?}",
                rule.method
            );
            checked += 1;
        }
    }
    assert_eq!(checked, RULES.len() * (1 + UNITS.len() * Role::ALL.len()));
}

async fn sees(node: &Node, unit: &str, petition: &str) -> [bool; 4] {
    let reader = Some(token(unit));
    let mut intake = node.intake.intake_client().await;
    let mut dispatch = node.dispatch.dispatch_client().await;
    let mut supervision = node.supervision.supervision_client().await;
    let get = call(
        node,
        "/xinfang.intake.v1.IntakeService/GetPetition",
        petition,
        &reader,
    )
    .await
    .is_ok();
    let listed = intake
        .list_petitions(with(ip::ListPetitionsRequest::default(), &reader))
        .await
        .unwrap()
        .into_inner()
        .petitions
        .iter()
        .any(|p| p.id == petition);
    let case = dispatch
        .get_case(with(
            dp::GetCaseRequest {
                petition_id: petition.into(),
            },
            &reader,
        ))
        .await
        .is_ok();
    let due = supervision
        .list_due_items(with(sp::ListDueItemsRequest::default(), &reader))
        .await
        .unwrap()
        .into_inner()
        .items
        .iter()
        .any(|i| i.petition_id == petition);
    assert_eq!(get, listed, "{unit}: get and list agree");
    [get, listed, case, due]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_unit_sees_what_its_kind_allows_before_and_after_routing() {
    let node = node().await;
    let petition = register(&node).await;
    let before = ["east-t1", "east-xfj", "city-xfj"];
    for unit in UNITS {
        let expected = before.contains(&unit);
        assert_eq!(
            sees(&node, unit, &petition).await,
            [expected; 4],
            "{unit} before routing"
        );
    }

    // Forwarded to the district's labour bureau: it sees the item now; the city's does not.
    let mut dispatch = node.dispatch.dispatch_client().await;
    dispatch
        .forward(authed(
            dp::ForwardRequest {
                petition_id: petition.clone(),
                organ_code: "east-rsj".into(),
                note: String::new(),
            },
            &token("east-t1"),
        ))
        .await
        .unwrap();
    let routed = eventually(60, || async {
        let everywhere = node
            .db
            .count(&format!(
                "intake_petition WHERE id = '{petition}' AND organ_code = 'east-rsj'"
            ))
            .await
            == 1
            && node
                .db
                .count(&format!(
                    "supervision_item WHERE petition_id = '{petition}' AND organ_code = 'east-rsj'"
                ))
                .await
                == 1;
        everywhere.then_some(())
    })
    .await;
    assert!(
        routed.is_some(),
        "intake and supervision learned the routing"
    );
    for unit in UNITS {
        let expected = before.contains(&unit) || unit == "east-rsj";
        assert_eq!(
            sees(&node, unit, &petition).await,
            [expected; 4],
            "{unit} after routing"
        );
    }

    // Supervising: a supervisor of the township cannot order itself; the district's can.
    let mut supervision = node.supervision.supervision_client().await;
    let issue = || sp::IssueSupervisionOrderRequest {
        petition_id: petition.clone(),
        reason: "请按期受理".into(),
        ..Default::default()
    };
    let own = supervision
        .issue_supervision_order(authed(issue(), &token_as("east-rsj", &["supervisor"])))
        .await
        .unwrap_err();
    assert_eq!(
        own.get_error_details().error_info().unwrap().reason,
        "XF_OUT_OF_SCOPE"
    );
    supervision
        .issue_supervision_order(authed(issue(), &token_as("east-xfj", &["supervisor"])))
        .await
        .unwrap();
}
