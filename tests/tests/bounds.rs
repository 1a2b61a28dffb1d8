//! The bounds every call is held to, as a client meets them over gRPC: each limit of the
//! defaults taken at its value and refused one over, naming the field and the limit, with
//! nothing written; control characters, unknown enum numbers and impossible times refused; a
//! message over the size limit refused without being echoed.

use sea_orm::DatabaseTransaction;
use std::time::Duration;
use tonic::Code;
use tonic_types::StatusExt;
use xinfang_events::Envelope;
use xinfang_events::consumer::{EventConsumer, EventHandler, HandlerError};
use xinfang_platform::config::{EventSettings, Settings};
use xinfang_proto::xinfang::dispatch::v1 as dp;
use xinfang_proto::xinfang::intake::v1::{ListPetitionsRequest, RegisterPetitionRequest};
use xinfang_proto::xinfang::petition::v1::{Attachment, IdType, Petitioner};
use xinfang_testkit::broker::Broker;
use xinfang_testkit::database::TestDatabase;
use xinfang_testkit::kafka::publish;
use xinfang_testkit::services::{RunningService, settings_with, spawn_dispatch, spawn_intake};
use xinfang_testkit::{authed, resident_id, token, wage_claim};

struct Node {
    db: TestDatabase,
    _broker: Broker,
    intake: RunningService,
    dispatch: RunningService,
}

async fn node() -> Node {
    let db = TestDatabase::create().await;
    let broker = Broker::with_service_topics().await;
    let settings = || settings_with(&db.url, Some(&broker.address()), &[]);
    let intake = spawn_intake(settings()).await;
    let dispatch = spawn_dispatch(settings()).await;
    Node {
        db,
        _broker: broker,
        intake,
        dispatch,
    }
}

/// The fields the refusal names, or None when the call was taken.
async fn register(node: &Node, request: RegisterPetitionRequest) -> Option<Vec<String>> {
    let answer = node
        .intake
        .intake_client()
        .await
        .register_petition(authed(request, &token("east-t1")))
        .await;
    match answer {
        Ok(_) => None,
        Err(status) => {
            assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
            assert!(
                status.message().len() < 2_000,
                "the refusal does not echo the input"
            );
            let details = status.get_error_details();
            let violations = details.bad_request().expect("the fields in BadRequest");
            Some(
                violations
                    .field_violations
                    .iter()
                    .map(|v| format!("{}: {}", v.field, v.description))
                    .collect(),
            )
        }
    }
}

fn group(key: &str, people: u32) -> RegisterPetitionRequest {
    let mut request = wage_claim(key, &resident_id(1));
    request.petitioners = (1..=people)
        .map(|n| Petitioner {
            name: format!("联名{n}"),
            id_type: IdType::ResidentId as i32,
            id_number: resident_id(n),
            ..Default::default()
        })
        .collect();
    request
}

#[tokio::test]
async fn each_limit_is_taken_at_its_value_and_refused_one_over_naming_the_field() {
    let node = node().await;
    let mut accepted = 0;
    let mut at_and_over = Vec::new();

    let mut at = wage_claim("content-at", &resident_id(1));
    at.content = "欠".repeat(20_000);
    let mut over = wage_claim("content-over", &resident_id(1));
    over.content = "欠".repeat(20_001);
    at_and_over.push((at, over, "content: at most 20000 characters"));

    let mut at = wage_claim("name-at", &resident_id(2));
    at.petitioners[0].name = "名".repeat(100);
    let mut over = wage_claim("name-over", &resident_id(2));
    over.petitioners[0].name = "名".repeat(101);
    at_and_over.push((at, over, "petitioners[0].name: at most 100 characters"));

    let mut at = wage_claim("title-at", &resident_id(3));
    at.title = "题".repeat(200);
    let mut over = wage_claim("title-over", &resident_id(3));
    over.title = "题".repeat(201);
    at_and_over.push((at, over, "title: at most 200 characters"));

    let mut at = wage_claim("address-at", &resident_id(4));
    at.petitioners[0].address = "址".repeat(200);
    let mut over = wage_claim("address-over", &resident_id(4));
    over.petitioners[0].address = "址".repeat(201);
    at_and_over.push((at, over, "petitioners[0].address: at most 200 characters"));

    let key_at = "k".repeat(128);
    let key_over = "k".repeat(129);
    at_and_over.push((
        wage_claim(&key_at, &resident_id(5)),
        wage_claim(&key_over, &resident_id(5)),
        "idempotency_key: at most 128 characters",
    ));

    at_and_over.push((
        group("group-at", 50),
        group("group-over", 51),
        "petitioners: at most 50 items (got 51)",
    ));

    let mut at = wage_claim("headcount-at", &resident_id(6));
    at.headcount = 100_000;
    let mut over = wage_claim("headcount-over", &resident_id(6));
    over.headcount = 100_001;
    at_and_over.push((at, over, "headcount: 100001 is outside 0..=100000"));

    let attachment = |n: usize| Attachment {
        file_name: format!("证据{n}.pdf"),
        media_type: "application/pdf".into(),
        size_bytes: 1024,
        ..Default::default()
    };
    let mut at = wage_claim("attachments-at", &resident_id(7));
    at.attachments = (0..20).map(attachment).collect();
    let mut over = wage_claim("attachments-over", &resident_id(7));
    over.attachments = (0..21).map(attachment).collect();
    at_and_over.push((at, over, "attachments: at most 20 items (got 21)"));

    let mut at = wage_claim("file-at", &resident_id(8));
    at.attachments = vec![Attachment {
        file_name: "f".repeat(255),
        ..attachment(0)
    }];
    let mut over = wage_claim("file-over", &resident_id(8));
    over.attachments = vec![Attachment {
        file_name: "f".repeat(256),
        ..attachment(0)
    }];
    at_and_over.push((at, over, "attachments[0].file_name: at most 255 characters"));

    for (at, over, named) in at_and_over {
        let key = at.idempotency_key.chars().take(20).collect::<String>();
        assert_eq!(register(&node, at).await, None, "{key} at its limit");
        accepted += 1;
        assert_eq!(
            register(&node, over).await,
            Some(vec![named.to_owned()]),
            "{key} one over"
        );
    }
    assert_eq!(node.db.count("intake_petition").await, accepted);
    assert_eq!(node.db.count("intake_outbox").await, accepted);
}

#[tokio::test]
async fn control_characters_unknown_enums_impossible_times_and_huge_messages_are_refused() {
    let node = node().await;

    let mut nul = wage_claim("nul", &resident_id(1));
    nul.content = "拖欠\u{0}工资".into();
    nul.petitioners[0].name = "张\u{7}三".into();
    assert_eq!(
        register(&node, nul).await,
        Some(vec![
            "content: control character U+0000 at character 3 is not allowed".to_owned(),
            "petitioners[0].name: control character U+0007 at character 2 is not allowed (one \
             line of text)"
                .to_owned(),
        ])
    );

    let mut lines = wage_claim("lines", &resident_id(2));
    lines.content = "第一，拖欠工资。\n第二，未签合同。\r\n\t完".into();
    assert_eq!(
        register(&node, lines).await,
        None,
        "a long text keeps its lines"
    );

    let mut unknown = wage_claim("enum", &resident_id(3));
    unknown.petitioners[0].id_type = 7;
    let refused = register(&node, unknown).await.expect("refused");
    assert_eq!(refused.len(), 1);
    assert!(
        refused[0].starts_with("petitioners[0].id_type: 7 is not a value of IdType"),
        "{refused:?}"
    );

    let mut ancient = wage_claim("ancient", &resident_id(4));
    ancient.petitioned_at = Some(prost_types::Timestamp {
        seconds: -62_135_596_800,
        nanos: 0,
    });
    assert_eq!(
        register(&node, ancient).await,
        Some(vec![
            "petitioned_at: a time in the years 1990 to 2099".to_owned()
        ])
    );

    let mut huge = wage_claim("huge", &resident_id(5));
    huge.content = "x".repeat(1_000_000);
    assert_eq!(
        register(&node, huge).await,
        Some(vec![
            "(request): a request is at most 262144 bytes".to_owned()
        ])
    );
    assert_eq!(node.db.count("intake_petition").await, 1, "only `lines`");

    // The same rules hold in every service.
    let mut dispatch = node.dispatch.dispatch_client().await;
    let refused = dispatch
        .forward(authed(
            dp::ForwardRequest {
                petition_id: "p".into(),
                organ_code: "east-rsj".into(),
                note: "注".repeat(2_001),
            },
            &token("east-t1"),
        ))
        .await
        .expect_err("a note over its limit");
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(
        refused.message().contains("note: at most 2000 characters"),
        "{refused:?}"
    );
    let refused = dispatch
        .list_cases(authed(
            dp::ListCasesRequest {
                page_size: 501,
                ..Default::default()
            },
            &token("east-t1"),
        ))
        .await
        .expect_err("a page over its limit");
    assert!(
        refused
            .message()
            .contains("page_size: 501 is outside 0..=500"),
        "{refused:?}"
    );
}

/// A handler that never finishes on the item `stuck` and applies everything else at once.
struct Stalling;

impl EventHandler for Stalling {
    async fn apply(
        &self,
        _txn: &DatabaseTransaction,
        envelope: &Envelope,
    ) -> Result<(), HandlerError> {
        if envelope.petition_id == "stuck" {
            std::future::pending::<()>().await;
        }
        Ok(())
    }
}

#[tokio::test]
async fn an_event_whose_handler_runs_too_long_is_parked_and_the_partition_goes_on() {
    let db = TestDatabase::create().await;
    let broker = Broker::start().await;
    let topic = "xinfang.intake.events";
    broker.create_topic(topic, 1).await;
    let at = xinfang_testkit::at("2026-02-03T09:00:00+08:00");
    let registered =
        |petition: &str| xinfang_testkit::registered_event(petition, "east-t1", "340102001", at);
    publish(
        &broker.address(),
        topic,
        &[
            registered("stuck"),
            registered("after-1"),
            registered("after-2"),
        ],
    )
    .await;
    let consumer = EventConsumer::new(
        db.db.clone(),
        "dispatch",
        "stall-test",
        &EventSettings {
            brokers: broker.address(),
            ..Settings::default().events
        },
        &[topic],
        Stalling,
    )
    .unwrap()
    .within(Duration::from_secs(2));
    let stop = tokio_util::sync::CancellationToken::new();
    let running = tokio::spawn(consumer.run(stop.clone().cancelled_owned()));
    assert!(
        db.reaches("dispatch_inbox", 3, 60).await,
        "the stuck event is recorded as parked and the two after it are applied"
    );
    stop.cancel();
    running.await.unwrap();
    assert_eq!(
        db.count("dispatch_parked WHERE message_key = 'stuck' AND reason LIKE 'applying took longer than 2s%'")
            .await,
        1
    );
    assert_eq!(db.count("dispatch_parked").await, 1);
}

#[tokio::test]
async fn a_page_of_long_petitions_ends_early_and_its_token_reaches_the_rest() {
    let node = node().await;
    for n in 0..25 {
        let mut long = wage_claim(&format!("long-{n}"), &resident_id(n + 1));
        long.content = "欠".repeat(20_000);
        assert_eq!(register(&node, long).await, None);
    }
    let mut client = node.intake.intake_client().await;
    let mut seen = 0;
    let mut pages = 0;
    let mut after = String::new();
    loop {
        let page = client
            .list_petitions(authed(
                ListPetitionsRequest {
                    page_size: 500,
                    page_token: after.clone(),
                    ..Default::default()
                },
                &token("east-t1"),
            ))
            .await
            .expect("a page within what a client takes")
            .into_inner();
        assert!(prost::Message::encoded_len(&page) <= (1 << 20) + 70_000);
        seen += page.petitions.len();
        pages += 1;
        after = page.next_page_token;
        if after.is_empty() {
            break;
        }
    }
    assert_eq!(seen, 25, "every petition once");
    assert!(
        pages >= 2,
        "the 1.5 MB of petitions came in more than one page"
    );
}
