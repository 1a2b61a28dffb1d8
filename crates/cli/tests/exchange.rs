//! The province exchange, upward, end to end: a city node (intake and dispatch in this process,
//! the exchange as its own `xinfang serve exchange` process) and the provincial hub (another
//! `xinfang serve exchange` process in hub role, with a database of its own), over a real
//! Kafka-protocol broker and PostgreSQL. The node numbers its records without gaps and pushes
//! them in batches; the hub is killed and started again in the middle of the node's work, and
//! in the end holds every record exactly once; a batch sent twice is stored once; a node pushing
//! for another region is refused, and a record of a region outside the node is rejected.

use prost::Message;
use sea_orm::{ConnectionTrait, Statement};
use tonic::Code;
use xinfang_proto::xinfang::dispatch::v1 as dp;
use xinfang_proto::xinfang::exchange::v1::exchange_admin_service_client::ExchangeAdminServiceClient;
use xinfang_proto::xinfang::exchange::v1::exchange_service_client::ExchangeServiceClient;
use xinfang_proto::xinfang::exchange::v1::*;
use xinfang_testkit::broker::Broker;
use xinfang_testkit::database::TestDatabase;
use xinfang_testkit::processes::{self, ServiceProcess};
use xinfang_testkit::services::{settings_with, spawn_dispatch, spawn_intake};
use xinfang_testkit::{authed, eventually, resident_id, token, token_as, wage_claim};

fn binary() -> &'static std::path::Path {
    std::path::Path::new(env!("CARGO_BIN_EXE_xinfang"))
}

async fn hub(db: &TestDatabase, broker: &Broker) -> ServiceProcess {
    processes::serve(
        binary(),
        "exchange",
        &db.url,
        &broker.address(),
        &[("exchange.role", "hub")],
    )
    .await
}

/// The node's link as its operators see it.
async fn link(node: &ServiceProcess) -> LinkStatus {
    ExchangeAdminServiceClient::connect(node.endpoint())
        .await
        .expect("connect to the node's exchange")
        .get_link_status(authed(GetLinkStatusRequest {}, &token("city-xfj")))
        .await
        .expect("the link status")
        .into_inner()
}

/// The sequences the hub holds for node 340100, in order.
async fn held(db: &TestDatabase) -> Vec<i64> {
    db.db
        .query_all_raw(Statement::from_string(
            db.db.get_database_backend(),
            "SELECT sequence FROM exchange_hub_record WHERE node = '340100' ORDER BY sequence",
        ))
        .await
        .expect("the hub's records")
        .iter()
        .map(|r| r.try_get("", "sequence").expect("a sequence"))
        .collect()
}

/// The node's stored upward records from `from` to `to`, as it sent them.
async fn stored(db: &TestDatabase, from: i64, to: i64) -> Vec<UpRecord> {
    db.db
        .query_all_raw(Statement::from_string(
            db.db.get_database_backend(),
            format!(
                "SELECT body FROM exchange_up_record WHERE sequence BETWEEN {from} AND {to} ORDER BY sequence"
            ),
        ))
        .await
        .expect("the node's records")
        .iter()
        .map(|r| {
            let body: Vec<u8> = r.try_get("", "body").expect("a body");
            UpRecord::decode(body.as_slice()).expect("a record")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_pushes_every_record_once_across_a_killed_hub_and_only_its_own_region() {
    let node_db = TestDatabase::create().await;
    let hub_db = TestDatabase::create().await;
    let broker = Broker::with_service_topics().await;
    broker.create_topic("xinfang.exchange.events", 1).await;
    let settings = || {
        settings_with(
            &node_db.url,
            Some(&broker.address()),
            &[("clock.start", "2026-03-10T09:00:00+08:00")],
        )
    };
    let (intake, dispatch) = tokio::join!(spawn_intake(settings()), spawn_dispatch(settings()));
    let credential = std::env::temp_dir().join(format!(
        "xinfang-exchange-{}.jwt",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(&credential, token_as("city-xfj", &["exchange"])).expect("the token file");
    let mut the_hub = hub(&hub_db, &broker).await;
    let (hub_addr, hub_url) = (the_hub.addr, the_hub.endpoint());
    let node = processes::serve(
        binary(),
        "exchange",
        &node_db.url,
        &broker.address(),
        &[
            ("exchange.hub_url", hub_url.as_str()),
            (
                "exchange.token_file",
                credential.to_str().expect("a UTF-8 path"),
            ),
            ("exchange.push_interval_ms", "100"),
            ("exchange.batch", "4"),
        ],
    )
    .await;

    // Ten items registered and forwarded: twenty records.
    let office = token("east-xfj");
    let register = async |from: u32, to: u32| {
        let mut ids = Vec::new();
        for n in from..to {
            let id = intake
                .intake_client()
                .await
                .register_petition(authed(
                    wage_claim(&format!("ex{n}"), &resident_id(700 + n)),
                    &office,
                ))
                .await
                .unwrap()
                .into_inner()
                .petition
                .unwrap()
                .id;
            ids.push(id);
        }
        let mut client = dispatch.dispatch_client().await;
        for id in &ids {
            let opened = eventually(60, || {
                let (mut c, r) = (
                    client.clone(),
                    authed(
                        dp::GetCaseRequest {
                            petition_id: id.clone(),
                        },
                        &office,
                    ),
                );
                async move { c.get_case(r).await.ok() }
            })
            .await;
            assert!(opened.is_some(), "dispatch opened {id}");
            client
                .forward(authed(
                    dp::ForwardRequest {
                        petition_id: id.clone(),
                        organ_code: "east-t1".into(),
                        note: String::new(),
                    },
                    &office,
                ))
                .await
                .unwrap();
        }
    };
    register(0, 10).await;
    let first = eventually(90, || async {
        let s = link(&node).await;
        (s.acknowledged_through == 20).then_some(s)
    })
    .await
    .expect("the hub acknowledged the first twenty records");
    assert_eq!(first.last_sequence, 20);

    // The hub dies; the node goes on numbering, and keeps what it could not send.
    the_hub.kill().await;
    register(10, 15).await;
    let waiting = eventually(60, || async {
        let s = link(&node).await;
        (s.last_sequence == 30 && !s.last_error.is_empty()).then_some(s)
    })
    .await
    .expect("the node numbered the new records and noted the hub's absence");
    assert_eq!(waiting.acknowledged_through, 20);

    // The hub comes back on its own database: the node resumes from the acknowledgement.
    the_hub = processes::serve_on(
        binary(),
        "exchange",
        hub_addr,
        &hub_db.url,
        &broker.address(),
        &[("exchange.role", "hub")],
    )
    .await;
    let last = eventually(90, || async {
        let s = link(&node).await;
        (s.acknowledged_through == 30 && s.last_error.is_empty()).then_some(s)
    })
    .await
    .expect("the node caught up after the hub's return");
    assert_eq!(last.last_sequence, 30);
    assert_eq!(
        held(&hub_db).await,
        (1..=30).collect::<Vec<i64>>(),
        "every record once, no gap"
    );
    let rejected = ExchangeAdminServiceClient::connect(node.endpoint())
        .await
        .unwrap()
        .list_upload_records(authed(
            ListUploadRecordsRequest {
                rejected_only: true,
                ..Default::default()
            },
            &token("city-xfj"),
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(rejected.records.is_empty(), "{:?}", rejected.records);

    // A batch sent twice is stored once and answered the same way.
    let mut hub_client = ExchangeServiceClient::connect(the_hub.endpoint())
        .await
        .unwrap();
    let again = stored(&node_db, 1, 4).await;
    let answer = hub_client
        .push_batch(authed(
            PushBatchRequest {
                node_region_code: "340100".into(),
                records: again.clone(),
            },
            &token_as("city-xfj", &["exchange"]),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.acknowledged_through, 30);
    assert!(answer.results.iter().all(|r| r.accepted));
    assert_eq!(answer.results[0].province_number, "340100-000000001");
    assert_eq!(held(&hub_db).await.len(), 30);

    // Another region's node, and a record of a region outside this node.
    let refused = hub_client
        .push_batch(authed(
            PushBatchRequest {
                node_region_code: "340103".into(),
                records: again.clone(),
            },
            &token_as("city-xfj", &["exchange"]),
        ))
        .await
        .expect_err("city-xfj pushes for 340100 only");
    assert_eq!(refused.code(), Code::PermissionDenied);
    let clerk = hub_client
        .push_batch(authed(
            PushBatchRequest {
                node_region_code: "340100".into(),
                records: again.clone(),
            },
            &token("city-xfj"),
        ))
        .await
        .expect_err("a clerk's token is no node's link");
    assert_eq!(clerk.code(), Code::PermissionDenied);
    let mut outside = again[0].clone();
    outside.sequence = 31;
    if let Some(up_record::Record::Item(item)) = &mut outside.record {
        item.region.as_mut().unwrap().local = "320102001".into();
    }
    let verdict = hub_client
        .push_batch(authed(
            PushBatchRequest {
                node_region_code: "340100".into(),
                records: vec![outside],
            },
            &token_as("city-xfj", &["exchange"]),
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!verdict.results[0].accepted);
    assert_eq!(verdict.results[0].code, RejectCode::Permission as i32);
    assert!(
        verdict.results[0].reason.contains("320102001"),
        "{}",
        verdict.results[0].reason
    );

    node.stop().await;
    the_hub.stop().await;
    dispatch.stop().await;
    intake.stop().await;
    std::fs::remove_file(&credential).ok();
}

/// A copy of the demo reference data whose channel 来访 (0300) maps to `province_code`.
fn reference_with_visit_code(dir: &std::path::Path, province_code: &str) {
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/reference");
    std::fs::create_dir_all(dir).expect("the reference folder");
    for file in [
        "calendar.toml",
        "categories.toml",
        "org.toml",
        "channels.toml",
    ] {
        let text = std::fs::read_to_string(source.join(file)).expect("a reference file");
        let text = if file == "channels.toml" {
            text.replace(
                "code = \"0300\"\n",
                &format!("code = \"0300\"\nprovince_code = \"{province_code}\"\n"),
            )
        } else {
            text
        };
        std::fs::write(dir.join(file), text).expect("a reference file written");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_rejected_for_a_bad_code_is_corrected_and_accepted_once() {
    let node_db = TestDatabase::create().await;
    let hub_db = TestDatabase::create().await;
    let broker = Broker::with_service_topics().await;
    broker.create_topic("xinfang.exchange.events", 1).await;
    let intake = spawn_intake(settings_with(&node_db.url, Some(&broker.address()), &[])).await;
    let scratch = std::env::temp_dir().join(format!("xinfang-exchange-{}", uuid::Uuid::new_v4()));
    let reference = scratch.join("reference");
    // The node's mapping sends 来访 as 9300, a code the province does not have.
    reference_with_visit_code(&reference, "9300");
    let credential = scratch.join("exchange.jwt");
    std::fs::write(&credential, token_as("city-xfj", &["exchange"])).expect("the token file");
    let the_hub = hub(&hub_db, &broker).await;
    let node = processes::serve(
        binary(),
        "exchange",
        &node_db.url,
        &broker.address(),
        &[
            ("exchange.hub_url", the_hub.endpoint().as_str()),
            (
                "exchange.token_file",
                credential.to_str().expect("a UTF-8 path"),
            ),
            ("exchange.push_interval_ms", "100"),
            ("reference.dir", reference.to_str().expect("a UTF-8 path")),
        ],
    )
    .await;
    let item = intake.register_wage_claim("bad-code", 801).await.id;
    let admin = ExchangeAdminServiceClient::connect(node.endpoint())
        .await
        .unwrap();
    let rejected_list = || {
        let mut admin = admin.clone();
        async move {
            admin
                .list_upload_records(authed(
                    ListUploadRecordsRequest {
                        rejected_only: true,
                        ..Default::default()
                    },
                    &token("city-xfj"),
                ))
                .await
                .unwrap()
                .into_inner()
                .records
        }
    };
    let rejected = eventually(60, || async {
        let records = rejected_list().await;
        (!records.is_empty()).then_some(records)
    })
    .await
    .expect("the hub rejected the record");
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].sequence, 1);
    assert_eq!(rejected[0].code, RejectCode::Format as i32);
    assert!(
        rejected[0].reason.contains("9300"),
        "{}",
        rejected[0].reason
    );

    // The mapping is corrected and reloaded; the record is sent again under the next number.
    reference_with_visit_code(&reference, "0300");
    node.reload();
    let resent = eventually(30, || {
        let mut admin = admin.clone();
        async move {
            let mapping = admin
                .get_code_mapping(authed(
                    GetCodeMappingRequest {
                        table: "channel".into(),
                    },
                    &token("city-xfj"),
                ))
                .await
                .ok()?
                .into_inner();
            (mapping.local_to_province.get("0300").map(String::as_str) == Some("0300"))
                .then_some(())
        }
    })
    .await;
    assert!(resent.is_some(), "the node reloaded its mapping");
    let mut resender = admin.clone();
    let again = resender
        .resend_record(authed(
            ResendRecordRequest { sequence: 1 },
            &token("city-xfj"),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.sequence, 2);
    let twice = resender
        .resend_record(authed(
            ResendRecordRequest { sequence: 1 },
            &token("city-xfj"),
        ))
        .await
        .expect_err("a corrected record is not sent again");
    assert_eq!(twice.code(), Code::FailedPrecondition);
    let done = eventually(60, || async {
        let s = link(&node).await;
        (s.acknowledged_through == 2).then_some(())
    })
    .await;
    assert!(done.is_some(), "the hub acknowledged the correction");
    assert!(rejected_list().await.is_empty(), "nothing left to correct");
    assert_eq!(held(&hub_db).await, vec![1, 2]);
    let accepted = hub_db
        .count(&format!(
            "exchange_hub_record WHERE local_number = '{item}' AND kind = 'item' AND accepted"
        ))
        .await;
    assert_eq!(accepted, 1, "the province holds the item once");

    node.stop().await;
    the_hub.stop().await;
    intake.stop().await;
    std::fs::remove_dir_all(&scratch).ok();
}
