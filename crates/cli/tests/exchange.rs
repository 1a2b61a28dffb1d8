//! The province exchange, upward, end to end: a city node (intake and dispatch in this process,
//! the exchange as its own `xinfang serve exchange` process) and the provincial hub (another
//! `xinfang serve exchange` process in hub role, with a database of its own), over a real
//! Kafka-protocol broker and PostgreSQL. The node numbers its records without gaps and pushes
//! them in batches; the hub is killed and started again in the middle of the node's work, and
//! in the end holds every record exactly once; a batch sent twice is stored once; a node pushing
//! for another region is refused, and a record of a region outside the node is rejected.
//! Downward: the province's assignments, calendars and code tables; and an item one city
//! transfers to another (转有权处理地), handled there, with its steps back at the first.

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
use xinfang_testkit::services::{settings_with, spawn_dispatch, spawn_evaluation, spawn_intake};
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

/// What came down to the node, with what it made of each record.
async fn down_records(node: &ServiceProcess) -> Vec<DownResult> {
    ExchangeAdminServiceClient::connect(node.endpoint())
        .await
        .expect("connect to the node's exchange")
        .list_down_records(authed(
            ListDownRecordsRequest::default(),
            &token("city-xfj"),
        ))
        .await
        .expect("the down records")
        .into_inner()
        .records
}

/// The node's channel table, as its mapping uses it.
async fn channel_table(node: &ServiceProcess) -> CodeMapping {
    ExchangeAdminServiceClient::connect(node.endpoint())
        .await
        .expect("connect to the node's exchange")
        .get_code_mapping(authed(
            GetCodeMappingRequest {
                table: "channel".into(),
            },
            &token("city-xfj"),
        ))
        .await
        .expect("the channel table")
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
    // Each step names its item by the city number the item's record carries.
    let records = stored(&node_db, 1, 30).await;
    let city_of: std::collections::HashMap<_, _> = records
        .iter()
        .filter_map(|r| match &r.record {
            Some(up_record::Record::Item(i)) => i.numbers.clone(),
            _ => None,
        })
        .map(|n| (n.local, n.city))
        .collect();
    let steps: Vec<_> = records
        .iter()
        .filter_map(|r| match &r.record {
            Some(up_record::Record::Step(s)) => s.numbers.clone(),
            _ => None,
        })
        .collect();
    assert_eq!((city_of.len(), steps.len()), (15, 15));
    for step in steps {
        assert!(step.city.starts_with("340100-"), "{step:?}");
        assert_eq!(city_of.get(&step.local), Some(&step.city), "{step:?}");
    }

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

/// A copy of the demo reference data in `dir`, each file's text as `change` makes it.
fn copy_reference(dir: &std::path::Path, change: impl Fn(&str, String) -> String) {
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/reference");
    std::fs::create_dir_all(dir).expect("the reference folder");
    for file in [
        "calendar.toml",
        "categories.toml",
        "org.toml",
        "channels.toml",
    ] {
        let text = std::fs::read_to_string(source.join(file)).expect("a reference file");
        std::fs::write(dir.join(file), change(file, text)).expect("a reference file written");
    }
}

/// A copy of the demo reference data whose channel 来访 (0300) maps to `province_code`.
fn reference_with_visit_code(dir: &std::path::Path, province_code: &str) {
    copy_reference(dir, |file, text| match file {
        "channels.toml" => text.replace(
            "code = \"0300\"\n",
            &format!("code = \"0300\"\nprovince_code = \"{province_code}\"\n"),
        ),
        _ => text,
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_rejected_for_a_bad_code_is_corrected_and_accepted_once() {
    let node_db = TestDatabase::create().await;
    let hub_db = TestDatabase::create().await;
    let broker = Broker::with_service_topics().await;
    broker.create_topic("xinfang.exchange.events", 1).await;
    let intake = spawn_intake(settings_with(&node_db.url, Some(&broker.address()), &[])).await;
    let scratch = scratch();
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
    let resent = eventually(30, || async {
        let mapping = channel_table(&node).await;
        (mapping.local_to_province.get("0300").map(String::as_str) == Some("0300")).then_some(())
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

/// The hub's reference data: the demo code tables, and the province's demo organisation — its
/// petition bureau above two city nodes (as `xinfang dev --with-hub` serves it).
fn province_reference(dir: &std::path::Path) {
    copy_reference(dir, |file, text| match file {
        "org.toml" => xinfang_platform::reference::PROVINCE_DEMO_ORG.to_owned(),
        _ => text,
    });
}

/// A fresh folder for one test's files.
fn scratch() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("xinfang-exchange-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// The province's side of a test: the hub process on its own database with the province's
/// reference data (`more`: its TLS, say), and city 340100's credential at it.
struct Province {
    db: TestDatabase,
    hub: ServiceProcess,
    credential: std::path::PathBuf,
}

/// One city node's database and broker (the services' topics and the exchange's) with the
/// province's hub beside it: what every test of a single linked node starts from.
struct Linked {
    node_db: TestDatabase,
    broker: Broker,
    scratch: std::path::PathBuf,
    province: Province,
    hub_url: String,
}

impl Linked {
    async fn start() -> Linked {
        let node_db = TestDatabase::create().await;
        let broker = Broker::with_service_topics().await;
        broker.create_topic("xinfang.exchange.events", 1).await;
        let scratch = scratch();
        let province = province(&scratch, &broker, &[]).await;
        let hub_url = province.hub.endpoint();
        Linked {
            node_db,
            broker,
            scratch,
            province,
            hub_url,
        }
    }
}

async fn province(scratch: &std::path::Path, broker: &Broker, more: &[(&str, &str)]) -> Province {
    let db = TestDatabase::create().await;
    let reference = scratch.join("province");
    province_reference(&reference);
    let credential = scratch.join("exchange.jwt");
    std::fs::write(&credential, token_as("city-xfj", &["exchange"])).expect("the token file");
    let reference = reference.display().to_string();
    let mut settings = vec![("exchange.role", "hub"), ("reference.dir", &reference)];
    settings.extend_from_slice(more);
    let hub = processes::serve(binary(), "exchange", &db.url, &broker.address(), &settings).await;
    Province {
        db,
        hub,
        credential,
    }
}

/// A node's exchange as a process of its own (on `at`, when it is started again there), linked
/// to the hub at `hub_url` with `credential` at the hub and at the node's `intake`, with `more`
/// settings.
async fn linked_exchange(
    node_db: &TestDatabase,
    broker: &Broker,
    hub_url: &str,
    credential: &std::path::Path,
    intake: &xinfang_testkit::services::RunningService,
    more: &[(&str, &str)],
    at: Option<std::net::SocketAddr>,
) -> ServiceProcess {
    let (credential, intake_url) = (
        credential.display().to_string(),
        format!("http://{}", intake.addr),
    );
    let mut settings = vec![
        ("exchange.hub_url", hub_url),
        ("exchange.token_file", credential.as_str()),
        ("exchange.intake_url", intake_url.as_str()),
        ("exchange.node_token_file", credential.as_str()),
        ("exchange.push_interval_ms", "100"),
    ];
    settings.extend_from_slice(more);
    let (url, brokers) = (&node_db.url, broker.address());
    match at {
        Some(addr) => {
            processes::serve_on(binary(), "exchange", addr, url, &brokers, &settings).await
        }
        None => processes::serve(binary(), "exchange", url, &brokers, &settings).await,
    }
}

/// 省交办 for node 340100: a wage claim of 长江街道 (340102001), petitioner in full.
fn assignment(key: &str) -> AssignItemRequest {
    let code = |c: &str| {
        Some(MappedCode {
            local: c.into(),
            province: c.into(),
            mapping_version: "2026.1".into(),
        })
    };
    AssignItemRequest {
        idempotency_key: key.into(),
        node_region_code: "340100".into(),
        item: Some(ExchangeItem {
            channel: code("0100"),
            content_category: code("020100"),
            region: code("340102001"),
            title: "省交办：拖欠工资".into(),
            content: "某建筑公司拖欠农民工工资三个月，信访人向省信访局反映".into(),
            petitioners: vec![xinfang_proto::xinfang::petition::v1::Petitioner {
                name: "李四".into(),
                id_type: xinfang_proto::xinfang::petition::v1::IdType::ResidentId as i32,
                id_number: resident_id(901),
                phone: "13900139000".into(),
                ..Default::default()
            }],
            due_date: "2026-03-25".into(),
            ..Default::default()
        }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_province_assignment_lands_in_the_townships_triage_queue_once() {
    let Linked {
        node_db,
        broker,
        scratch,
        province:
            Province {
                db: hub_db,
                hub: the_hub,
                credential,
            },
        hub_url,
    } = Linked::start().await;
    let settings = || {
        settings_with(
            &node_db.url,
            Some(&broker.address()),
            &[("clock.start", "2026-03-10T09:00:00+08:00")],
        )
    };
    let (intake, dispatch) = tokio::join!(spawn_intake(settings()), spawn_dispatch(settings()));
    let node = linked_exchange(&node_db, &broker, &hub_url, &credential, &intake, &[], None).await;

    // The province's clerk assigns the item; the same key again is the same record.
    let mut province = ExchangeServiceClient::connect(the_hub.endpoint())
        .await
        .unwrap();
    let clerk = token_as("prov-xfj", &["clerk"]);
    let queued = province
        .assign_item(authed(assignment("sjb-1"), &clerk))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(queued.cursor, 1);
    let again = province
        .assign_item(authed(assignment("sjb-1"), &clerk))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, queued, "one record for one key");
    let number = match &queued.record {
        Some(down_record::Record::Assignment(item)) => item.numbers.clone().unwrap().province,
        other => panic!("an assignment, not {other:?}"),
    };
    assert_eq!(number, "340100-SJ00000001");
    let echoed = match &queued.record {
        Some(down_record::Record::Assignment(item)) => item.petitioners[0].clone(),
        _ => unreachable!(),
    };
    assert_eq!(
        (echoed.id_number.len(), &echoed.phone[..]),
        (resident_id(901).len(), "*******9000"),
        "read back masked"
    );
    assert!(echoed.id_number.starts_with("**************"));
    // The city assigns nothing to itself through the hub; a region outside the node is refused.
    let own = province
        .assign_item(authed(
            assignment("sjb-2"),
            &token_as("city-xfj", &["clerk"]),
        ))
        .await
        .expect_err("the city is not above its own node");
    assert_eq!(own.code(), Code::PermissionDenied);
    let mut elsewhere = assignment("sjb-3");
    elsewhere.item.as_mut().unwrap().region = Some(MappedCode {
        local: "340202001".into(),
        province: "340202001".into(),
        mapping_version: "2026.1".into(),
    });
    let elsewhere = province
        .assign_item(authed(elsewhere, &clerk))
        .await
        .expect_err("340202001 is not within node 340100");
    assert_eq!(elsewhere.code(), Code::InvalidArgument);
    assert!(elsewhere.message().contains("item.region"), "{elsewhere:?}");
    // While it waits, the hub keeps the petitioner's numbers sealed.
    let body: Vec<u8> = hub_db
        .db
        .query_one_raw(Statement::from_string(
            hub_db.db.get_database_backend(),
            "SELECT body FROM exchange_hub_down WHERE node = '340100' AND cursor = 1",
        ))
        .await
        .unwrap()
        .expect("the queued record")
        .try_get("", "body")
        .unwrap();
    let text = String::from_utf8_lossy(&body);
    assert!(!text.contains(&resident_id(901)) && !text.contains("13900139000"));

    // The node pulls it and its intake registers it for 长江街道, which triages it.
    let applied = eventually(60, || async {
        let records = down_records(&node).await;
        (!records.is_empty()).then_some(records)
    })
    .await
    .expect("the node applied the assignment");
    assert_eq!(applied.len(), 1);
    assert_eq!(applied[0].status, "registered", "{:?}", applied[0]);
    assert_eq!(applied[0].province_number, number);
    let petition_id = applied[0].petition_id.clone();
    let township = token("east-t1");
    let petition = intake
        .intake_client()
        .await
        .get_petition(authed(
            xinfang_proto::xinfang::intake::v1::GetPetitionRequest {
                id: petition_id.clone(),
            },
            &township,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(petition.registering_unit, "east-t1");
    assert_eq!(petition.province_number, number);
    assert_eq!(petition.case_number, applied[0].case_number);
    let id = resident_id(901);
    assert_eq!(
        petition.petitioners[0].id_number,
        format!("{}**********{}", &id[..4], &id[14..]),
        "masked when read"
    );
    let mut cases = dispatch.dispatch_client().await;
    let case = eventually(60, || {
        let (mut c, r) = (
            cases.clone(),
            authed(
                dp::GetCaseRequest {
                    petition_id: petition_id.clone(),
                },
                &township,
            ),
        );
        async move { c.get_case(r).await.ok() }
    })
    .await
    .expect("dispatch opened the case")
    .into_inner();
    assert_eq!(case.first_handler_unit, "east-t1");
    let queue = cases
        .list_cases(authed(dp::ListCasesRequest::default(), &township))
        .await
        .unwrap()
        .into_inner();
    assert!(queue.cases.iter().any(|c| c.petition_id == petition_id));
    let neighbour = cases
        .get_case(authed(
            dp::GetCaseRequest {
                petition_id: petition_id.clone(),
            },
            &token("east-t2"),
        ))
        .await
        .expect_err("the neighbouring township does not see it");
    assert_eq!(neighbour.code(), Code::NotFound);
    // The hub knows it was taken, and the item comes back up under its provincial number.
    let taken = eventually(60, || async {
        let s = link(&node).await;
        let pulled = hub_db
            .count("exchange_hub_node WHERE node = '340100' AND pulled_through = 1")
            .await;
        (s.pull_cursor == 1 && pulled == 1 && s.acknowledged_through >= 1).then_some(())
    })
    .await;
    assert!(
        taken.is_some(),
        "the node acknowledged the pull and pushed the item"
    );
    let item = hub_db
        .count(&format!(
            "exchange_hub_record WHERE kind = 'item' AND accepted AND province_number = '{number}' \
             AND local_number = '{petition_id}'"
        ))
        .await;
    assert_eq!(
        item, 1,
        "the province holds its assigned item under its own number"
    );

    // Another node's queue is not this node's to pull.
    let foreign = province
        .pull_batch(authed(
            PullBatchRequest {
                node_region_code: "340200".into(),
                after_cursor: 0,
                max_records: 10,
            },
            &token_as("city-xfj", &["exchange"]),
        ))
        .await
        .expect_err("city-xfj pulls 340100's queue only");
    assert_eq!(foreign.code(), Code::PermissionDenied);

    // The node dies after registering, before keeping the cursor or telling the hub: the record
    // comes again and is applied once.
    let node_addr = node.addr;
    node.kill().await;
    for (db, sql) in [
        (&hub_db, "UPDATE exchange_hub_node SET pulled_through = 0"),
        (&node_db, "UPDATE exchange_link SET pull_cursor = 0"),
        (&node_db, "DELETE FROM exchange_down_record"),
    ] {
        db.db
            .execute_unprepared(sql)
            .await
            .expect("the crash's state");
    }
    let node = linked_exchange(
        &node_db,
        &broker,
        &hub_url,
        &credential,
        &intake,
        &[],
        Some(node_addr),
    )
    .await;
    let reapplied = eventually(60, || async {
        let s = link(&node).await;
        let records = down_records(&node).await;
        (s.pull_cursor == 1 && !records.is_empty()).then_some(records)
    })
    .await
    .expect("the node applied the record again");
    assert_eq!(reapplied[0].petition_id, petition_id, "the same petition");
    assert_eq!(
        node_db
            .count(&format!(
                "intake_petition WHERE province_number = '{number}'"
            ))
            .await,
        1,
        "registered once"
    );
    assert_eq!(
        node_db.count("dispatch_case").await,
        1,
        "one case in dispatch"
    );
    assert_eq!(link(&node).await.pull_cursor, 1);

    node.stop().await;
    the_hub.stop().await;
    dispatch.stop().await;
    intake.stop().await;
    std::fs::remove_dir_all(&scratch).ok();
}

/// The State Council's 2027 arrangement as the province sends it: 春节 02-06..02-18 with the
/// make-up Saturday 02-20.
const CALENDAR_2027: &str = r#"
[[year]]
year = 2027
note = "省平台转发：国务院办公厅关于2027年部分节假日安排的通知"
holidays = ["2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11", "2027-02-12", "2027-02-13", "2027-02-14", "2027-02-15", "2027-02-16", "2027-02-17", "2027-02-18"]
workdays = ["2027-02-20"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_calendar_from_the_province_recounts_the_nodes_provisional_due_dates() {
    let Linked {
        node_db,
        broker,
        scratch,
        province:
            Province {
                db: _hub_db,
                hub: the_hub,
                credential,
            },
        hub_url,
    } = Linked::start().await;
    // A node linked to the province: its dispatch follows the exchange's calendars.
    let settings = || {
        settings_with(
            &node_db.url,
            Some(&broker.address()),
            &[
                ("clock.start", "2026-12-20T09:00:00+08:00"),
                ("exchange.hub_url", hub_url.as_str()),
            ],
        )
    };
    let (intake, dispatch, evaluation) = tokio::join!(
        spawn_intake(settings()),
        spawn_dispatch(settings()),
        spawn_evaluation(settings())
    );
    let node = linked_exchange(&node_db, &broker, &hub_url, &credential, &intake, &[], None).await;

    // Accepted on 2026-12-20: 60 days end on 2027-02-18, counted on 2027's statutory days.
    let office = token("east-xfj");
    let accepted = async |dispatch: &xinfang_testkit::services::RunningService, person: u32| {
        let key = format!("cal-{person}");
        let id = intake
            .intake_client()
            .await
            .register_petition(authed(wage_claim(&key, &resident_id(person)), &office))
            .await
            .unwrap()
            .into_inner()
            .petition
            .unwrap()
            .id;
        let mut client = dispatch.dispatch_client().await;
        let get = dp::GetCaseRequest {
            petition_id: id.clone(),
        };
        eventually(60, || {
            let (mut c, r) = (client.clone(), authed(get.clone(), &office));
            async move { c.get_case(r).await.ok() }
        })
        .await
        .expect("dispatch opened the case");
        client
            .forward(authed(
                dp::ForwardRequest {
                    petition_id: id.clone(),
                    organ_code: "east-rsj".into(),
                    note: String::new(),
                },
                &office,
            ))
            .await
            .unwrap();
        client
            .accept(authed(
                dp::AcceptRequest {
                    petition_id: id.clone(),
                    notice_text: "予以受理".into(),
                },
                &token("east-rsj"),
            ))
            .await
            .unwrap()
            .into_inner()
    };
    let case = accepted(&dispatch, 950).await;
    let due = case.current_deadline.clone().unwrap();
    assert_eq!(due.due_date, "2027-02-18");
    assert!(due.explanation.contains("暂定"), "{}", due.explanation);

    // The province publishes the arrangement to the cities below it, once per version.
    let mut province = ExchangeServiceClient::connect(the_hub.endpoint())
        .await
        .unwrap();
    let clerk = token_as("prov-xfj", &["clerk"]);
    let publish = |version: &str, text: &str| PublishCalendarRequest {
        version: version.into(),
        calendar_toml: text.into(),
    };
    let sent = province
        .publish_calendar(authed(publish("2027.1", CALENDAR_2027), &clerk))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(sent.node_region_codes, vec!["340100", "340200"]);
    let again = province
        .publish_calendar(authed(publish("2027.1", CALENDAR_2027), &clerk))
        .await
        .unwrap()
        .into_inner();
    assert!(again.node_region_codes.is_empty(), "a version is sent once");
    let broken = province
        .publish_calendar(authed(
            publish(
                "2027.2",
                "[[year]]\nyear = 2027\nholidays = [\"2027-13-01\"]\n",
            ),
            &clerk,
        ))
        .await
        .expect_err("a calendar that does not parse is not sent");
    assert_eq!(broken.code(), Code::InvalidArgument);
    assert!(broken.message().contains("calendar_toml"), "{broken:?}");

    // The node takes it; dispatch recounts the due date: 02-18 is a rest day now, so 02-19.
    let mut client = dispatch.dispatch_client().await;
    let recounted = eventually(60, || {
        let (mut c, r) = (
            client.clone(),
            authed(
                dp::GetCaseRequest {
                    petition_id: case.petition_id.clone(),
                },
                &office,
            ),
        );
        async move {
            let due = c.get_case(r).await.ok()?.into_inner().current_deadline?;
            (due.due_date == "2027-02-19").then_some(due)
        }
    })
    .await
    .expect("the due date was counted again with the province's calendar");
    assert!(
        !recounted.explanation.contains("暂定"),
        "{}",
        recounted.explanation
    );
    assert!(
        recounted.explanation.contains("2027-02-19"),
        "{}",
        recounted.explanation
    );
    let down = down_records(&node).await;
    assert_eq!(down.len(), 1);
    assert_eq!(
        (down[0].kind.as_str(), down[0].status.as_str()),
        ("calendar", "published")
    );
    // Evaluation, which counts the petitioner's windows, keeps it too.
    let kept = eventually(60, || async {
        (node_db.count("evaluation_calendar_update").await == 1).then_some(())
    })
    .await;
    assert!(
        kept.is_some(),
        "evaluation follows the province's calendars"
    );
    evaluation.stop().await;

    // A restarted dispatch counts with what the province sent.
    dispatch.stop().await;
    let dispatch = spawn_dispatch(settings()).await;
    let later = accepted(&dispatch, 951).await;
    let due = later.current_deadline.unwrap();
    assert_eq!(due.due_date, "2027-02-19");
    assert!(!due.explanation.contains("暂定"), "{}", due.explanation);
    client = dispatch.dispatch_client().await;
    let first = client
        .get_case(authed(
            dp::GetCaseRequest {
                petition_id: case.petition_id.clone(),
            },
            &office,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.current_deadline.unwrap().due_date, "2027-02-19");

    node.stop().await;
    the_hub.stop().await;
    dispatch.stop().await;
    intake.stop().await;
    std::fs::remove_dir_all(&scratch).ok();
}

/// A second city's reference data (芜湖, 340200): the demo's, its codes moved to 3402….
fn second_city_reference(dir: &std::path::Path) {
    copy_reference(dir, |file, text| match file {
        "org.toml" => text.replace("\"3401", "\"3402"),
        _ => text,
    });
}

/// A client of the hub over TLS, with the certificate `cert` (none: the CA alone).
async fn hub_over_tls(
    url: &str,
    certs: &std::path::Path,
    cert: Option<&str>,
) -> ExchangeServiceClient<tonic::transport::Channel> {
    let read = |name: &str| std::fs::read_to_string(certs.join(name)).expect("a PEM file");
    let mut tls = tonic::transport::ClientTlsConfig::new()
        .ca_certificate(tonic::transport::Certificate::from_pem(read("ca.pem")));
    if let Some(cert) = cert {
        tls = tls.identity(tonic::transport::Identity::from_pem(
            read(&format!("{cert}.pem")),
            read(&format!("{cert}-key.pem")),
        ));
    }
    let channel = tonic::transport::Endpoint::from_shared(url.to_owned())
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect()
        .await
        .expect("a TLS connection to the hub");
    ExchangeServiceClient::new(channel)
}

/// A city node linked to the hub: its database, broker, intake and dispatch, and its exchange
/// as a process of its own. Its link speaks for the city's petition office in the province's
/// tree; to its own intake, as its own `city-xfj`.
struct City {
    db: TestDatabase,
    _broker: Broker,
    intake: xinfang_testkit::services::RunningService,
    dispatch: xinfang_testkit::services::RunningService,
    exchange: ServiceProcess,
}

impl City {
    /// City `region` (`reference`: its reference data folder, else the demo's) linked to the hub
    /// at `hub_url`, with `more` settings for its exchange (its TLS, say).
    async fn start(
        scratch: &std::path::Path,
        region: &str,
        reference: Option<&std::path::Path>,
        hub_url: &str,
        more: &[(&str, String)],
    ) -> City {
        let db = TestDatabase::create().await;
        let broker = Broker::with_service_topics().await;
        broker.create_topic("xinfang.exchange.events", 1).await;
        let mut own = vec![
            ("node.region", region.to_owned()),
            ("exchange.hub_url", hub_url.to_owned()),
        ];
        if let Some(dir) = reference {
            own.push(("reference.dir", dir.display().to_string()));
        }
        let settings = || {
            let own: Vec<(&str, &str)> = own.iter().map(|(k, v)| (*k, v.as_str())).collect();
            settings_with(&db.url, Some(&broker.address()), &own)
        };
        let (intake, dispatch) = tokio::join!(spawn_intake(settings()), spawn_dispatch(settings()));
        let link_unit = match region {
            "340100" => "city-xfj",
            _ => "wuhu-xfj",
        };
        let credential = scratch.join(format!("{region}.jwt"));
        std::fs::write(&credential, token_as(link_unit, &["exchange"])).unwrap();
        let to_intake = scratch.join(format!("{region}-intake.jwt"));
        std::fs::write(&to_intake, token_as("city-xfj", &["exchange"])).unwrap();
        own.extend([
            ("exchange.token_file", credential.display().to_string()),
            ("exchange.intake_url", format!("http://{}", intake.addr)),
            ("exchange.node_token_file", to_intake.display().to_string()),
            ("exchange.push_interval_ms", "100".to_owned()),
        ]);
        own.extend(more.iter().cloned());
        let own: Vec<(&str, &str)> = own.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let exchange =
            processes::serve(binary(), "exchange", &db.url, &broker.address(), &own).await;
        City {
            db,
            _broker: broker,
            intake,
            dispatch,
            exchange,
        }
    }

    async fn stop(self) {
        self.exchange.stop().await;
        self.dispatch.stop().await;
        self.intake.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_city_nodes_and_a_hub_over_mutual_tls_each_node_for_its_own_region() {
    let scratch = scratch();
    let certs = scratch.join("certs");
    let made = std::process::Command::new(binary())
        .args(["certs", "--out"])
        .arg(&certs)
        .args(["--node", "340100", "--node", "340200"])
        .output()
        .expect("xinfang certs runs");
    assert!(made.status.success(), "{made:?}");
    let pem = |name: &str| certs.join(name).display().to_string();
    let hub_broker = Broker::start().await;
    let (ca, hub_cert, hub_key) = (pem("ca.pem"), pem("hub.pem"), pem("hub-key.pem"));
    let Province {
        db: hub_db,
        hub: the_hub,
        ..
    } = province(
        &scratch,
        &hub_broker,
        &[
            ("exchange.tls.ca_file", &ca),
            ("exchange.tls.cert_file", &hub_cert),
            ("exchange.tls.key_file", &hub_key),
        ],
    )
    .await;
    let hub_url = the_hub.endpoint().replace("http://", "https://");

    // Two city nodes, each with its database, broker, intake and exchange process.
    let tls = |region: &str| {
        [
            ("exchange.tls.ca_file", ca.clone()),
            ("exchange.tls.cert_file", pem(&format!("node-{region}.pem"))),
            (
                "exchange.tls.key_file",
                pem(&format!("node-{region}-key.pem")),
            ),
        ]
    };
    let wuhu = scratch.join("wuhu");
    second_city_reference(&wuhu);
    let hefei = City::start(&scratch, "340100", None, &hub_url, &tls("340100")).await;
    let wuhu = City::start(&scratch, "340200", Some(&wuhu), &hub_url, &tls("340200")).await;
    for n in 0..3 {
        hefei
            .intake
            .register_wage_claim(&format!("hf{n}"), 960 + n)
            .await;
    }
    for n in 0..2 {
        let mut claim = wage_claim(&format!("wh{n}"), &resident_id(970 + n));
        claim.region_code = "340202001".into();
        wuhu.intake
            .intake_client()
            .await
            .register_petition(authed(claim, &token("east-xfj")))
            .await
            .expect("a registration at the second city");
    }
    let items = async |node: &str| {
        hub_db
            .count(&format!(
                "exchange_hub_record WHERE node = '{node}' AND kind = 'item' AND accepted"
            ))
            .await
    };
    let both = eventually(90, || async {
        (items("340100").await == 3 && items("340200").await == 2).then_some(())
    })
    .await;
    assert!(
        both.is_some(),
        "the hub holds each city's items under its own node"
    );
    let numbers = eventually(30, || async {
        let s = link(&wuhu.exchange).await;
        (s.acknowledged_through == 2).then_some(s)
    })
    .await
    .expect("the second city's link is acknowledged");
    assert!(numbers.last_error.is_empty(), "{}", numbers.last_error);

    // A certificate speaks for the node it names only, whatever the token says.
    let records = stored(&hefei.db, 1, 1).await;
    let push = |token: &str| {
        authed(
            PushBatchRequest {
                node_region_code: "340100".into(),
                records: records.clone(),
            },
            token,
        )
    };
    let hefei_token = token_as("city-xfj", &["exchange"]);
    let mut as_wuhu = hub_over_tls(&hub_url, &certs, Some("node-340200")).await;
    let impostor = as_wuhu
        .push_batch(push(&hefei_token))
        .await
        .expect_err("the second city's certificate cannot push for 340100");
    assert_eq!(impostor.code(), Code::PermissionDenied);
    assert!(impostor.message().contains("certificate"), "{impostor:?}");
    let pull = as_wuhu
        .pull_batch(authed(
            PullBatchRequest {
                node_region_code: "340100".into(),
                after_cursor: 0,
                max_records: 10,
            },
            &hefei_token,
        ))
        .await
        .expect_err("nor pull 340100's queue");
    assert_eq!(pull.code(), Code::PermissionDenied);
    let mut no_certificate = hub_over_tls(&hub_url, &certs, None).await;
    let anonymous = no_certificate
        .push_batch(push(&hefei_token))
        .await
        .expect_err("a link without a certificate is refused");
    assert_eq!(anonymous.code(), Code::PermissionDenied);
    let mut as_hefei = hub_over_tls(&hub_url, &certs, Some("node-340100")).await;
    let again = as_hefei
        .push_batch(push(&hefei_token))
        .await
        .expect("its own certificate pushes (a record sent again is stored once)")
        .into_inner();
    assert_eq!(again.acknowledged_through, 3);
    let plain = ExchangeServiceClient::connect(the_hub.endpoint()).await;
    let plain = match plain {
        Err(_) => true,
        Ok(mut client) => client.push_batch(push(&hefei_token)).await.is_err(),
    };
    assert!(plain, "no plain-text call reaches the hub");

    // The province's clerk needs no certificate; a calendar goes down to both cities.
    let sent = no_certificate
        .publish_calendar(authed(
            PublishCalendarRequest {
                version: "2027.1".into(),
                calendar_toml: CALENDAR_2027.into(),
            },
            &token_as("prov-xfj", &["clerk"]),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(sent.node_region_codes, vec!["340100", "340200"]);
    for city in [&hefei, &wuhu] {
        let taken = eventually(60, || async {
            let s = link(&city.exchange).await;
            (s.pull_cursor == 1).then_some(())
        })
        .await;
        assert!(taken.is_some(), "each city pulled its own queue");
    }
    // The province's summary of its nodes (全省汇总).
    let summary = eventually(30, || {
        let mut client = no_certificate.clone();
        async move {
            let nodes = client
                .list_nodes(authed(
                    ListNodesRequest {},
                    &token_as("prov-xfj", &["leader"]),
                ))
                .await
                .ok()?
                .into_inner()
                .nodes;
            nodes.iter().all(|n| n.pulled_through == 1).then_some(nodes)
        }
    })
    .await
    .expect("both nodes took the calendar");
    let figures: Vec<_> = summary
        .iter()
        .map(|n| {
            (
                n.node_region_code.as_str(),
                n.name.as_str(),
                n.items_accepted,
                n.rejected,
                n.acknowledged_through,
                n.queued,
            )
        })
        .collect();
    assert_eq!(
        figures,
        vec![
            ("340100", "合肥市信访局", 3, 0, 3, 1),
            ("340200", "芜湖市信访局", 2, 0, 2, 1),
        ]
    );
    assert!(summary.iter().all(|n| n.last_received.is_some()));

    for city in [hefei, wuhu] {
        city.stop().await;
    }
    the_hub.stop().await;
    std::fs::remove_dir_all(&scratch).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_table_from_the_province_corrects_the_nodes_mapping() {
    let Linked {
        node_db,
        broker,
        scratch,
        province:
            Province {
                db: hub_db,
                hub: the_hub,
                credential,
            },
        hub_url,
    } = Linked::start().await;
    let intake = spawn_intake(settings_with(&node_db.url, Some(&broker.address()), &[])).await;
    // The node's own mapping sends 来访 as 9300, a code the province does not have.
    let reference = scratch.join("reference");
    reference_with_visit_code(&reference, "9300");
    let reference = reference.display().to_string();
    let own = [("reference.dir", reference.as_str())];
    let node = linked_exchange(
        &node_db,
        &broker,
        &hub_url,
        &credential,
        &intake,
        &own,
        None,
    )
    .await;
    let first = intake.register_wage_claim("table-1", 811).await.id;
    let rejected = eventually(60, || async {
        let s = link(&node).await;
        (s.acknowledged_through == 1).then_some(())
    })
    .await;
    assert!(rejected.is_some(), "the hub answered the first record");
    assert_eq!(
        hub_db
            .count("exchange_hub_record WHERE NOT accepted AND reason LIKE '%9300%'")
            .await,
        1,
        "rejected for the channel code"
    );

    // The province publishes its channel table; a version goes to each node once.
    let mut province = ExchangeServiceClient::connect(the_hub.endpoint())
        .await
        .unwrap();
    let clerk = token_as("prov-xfj", &["clerk"]);
    let table = |name: &str| CodeMapping {
        table: name.into(),
        version: "2026.2".into(),
        local_to_province: [("0300".to_owned(), "0300".to_owned())].into(),
    };
    let sent = province
        .publish_code_mapping(authed(table("channel"), &clerk))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(sent.node_region_codes, vec!["340100", "340200"]);
    let again = province
        .publish_code_mapping(authed(table("channel"), &clerk))
        .await
        .unwrap()
        .into_inner();
    assert!(again.node_region_codes.is_empty(), "once per version");
    let unknown = province
        .publish_code_mapping(authed(table("colour"), &clerk))
        .await
        .expect_err("not a table of the mapping");
    assert_eq!(unknown.code(), Code::InvalidArgument);

    // The node lays it over its own mapping, and the rejected record goes again under it.
    let admin = ExchangeAdminServiceClient::connect(node.endpoint())
        .await
        .unwrap();
    let applied = eventually(60, || async {
        let t = channel_table(&node).await;
        (t.version == "2026.2").then_some(t)
    })
    .await
    .expect("the node took the province's channel table");
    assert_eq!(applied.local_to_province["0300"], "0300");
    assert_eq!(
        applied.local_to_province["0100"], "0100",
        "the rest as before"
    );
    let resent = admin
        .clone()
        .resend_record(authed(
            ResendRecordRequest { sequence: 1 },
            &token("city-xfj"),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resent.sequence, 2);
    let second = intake.register_wage_claim("table-2", 812).await.id;
    let caught_up = eventually(60, || async {
        let s = link(&node).await;
        (s.acknowledged_through == 3).then_some(())
    })
    .await;
    assert!(
        caught_up.is_some(),
        "the correction and the next item were answered"
    );
    for record in stored(&node_db, 2, 3).await {
        let Some(up_record::Record::Item(item)) = record.record else {
            panic!("an item record");
        };
        let channel = item.channel.unwrap();
        assert_eq!(
            (channel.province.as_str(), channel.mapping_version.as_str()),
            ("0300", "2026.2")
        );
    }
    for item in [&first, &second] {
        assert_eq!(
            hub_db
                .count(&format!(
                    "exchange_hub_record WHERE local_number = '{item}' AND kind = 'item' AND accepted"
                ))
                .await,
            1,
            "the province holds {item} once"
        );
    }

    // Kept: a restarted node maps with it still.
    let addr = node.addr;
    node.stop().await;
    let node = linked_exchange(
        &node_db,
        &broker,
        &hub_url,
        &credential,
        &intake,
        &own,
        Some(addr),
    )
    .await;
    assert_eq!(channel_table(&node).await.version, "2026.2");
    let down = down_records(&node).await;
    assert_eq!(
        down.iter()
            .map(|r| (r.kind.as_str(), r.status.as_str()))
            .collect::<Vec<_>>(),
        vec![("code_table", "applied")]
    );

    node.stop().await;
    the_hub.stop().await;
    intake.stop().await;
    std::fs::remove_dir_all(&scratch).ok();
}

/// The titles of what a petitioner sees with the query code `code` at `intake`, with the organ.
async fn tracked(intake: &xinfang_testkit::services::RunningService, code: &str) -> Vec<String> {
    intake
        .intake_client()
        .await
        .track_by_query_code(tonic::Request::new(
            xinfang_proto::xinfang::intake::v1::TrackByQueryCodeRequest {
                query_code: code.into(),
            },
        ))
        .await
        .expect("the petitioner tracks the item")
        .into_inner()
        .steps
        .iter()
        .map(|s| format!("{} {}", s.title, s.organ_name))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_transferred_to_another_city_is_handled_there_and_the_first_city_sees_how() {
    let scratch = scratch();
    let hub_broker = Broker::start().await;
    let Province {
        db: hub_db,
        hub: the_hub,
        ..
    } = province(&scratch, &hub_broker, &[]).await;
    let wuhu = scratch.join("wuhu");
    second_city_reference(&wuhu);
    let hub_url = the_hub.endpoint();
    let hefei = City::start(&scratch, "340100", None, &hub_url, &[]).await;
    let wuhu = City::start(&scratch, "340200", Some(&wuhu), &hub_url, &[]).await;

    // 长江街道 registers a visit whose matter lies in 芜湖, and transfers it there (转有权处理地).
    let township = token("east-t1");
    let registered = hefei
        .intake
        .intake_client()
        .await
        .register_petition(authed(wage_claim("tr-1", &resident_id(990)), &township))
        .await
        .expect("the registration")
        .into_inner();
    let (code, hefei_id) = (
        registered.query_code.clone(),
        registered.petition.unwrap().id,
    );
    let mut hefei_cases = hefei.dispatch.dispatch_client().await;
    let mark = || {
        authed(
            dp::MarkForeignRequest {
                petition_id: hefei_id.clone(),
                node_region_code: "340200".into(),
                reason: "被反映企业位于芜湖市弋江区".into(),
            },
            &township,
        )
    };
    let marked = eventually(60, || {
        let (mut c, r) = (hefei_cases.clone(), mark());
        async move { c.mark_foreign(r).await.ok() }
    })
    .await;
    assert!(marked.is_some(), "the township transfers its case out");
    assert_eq!(
        hefei_cases.mark_foreign(mark()).await.unwrap_err().code(),
        Code::FailedPrecondition,
        "an item leaves once"
    );

    // 芜湖 registers it for its petition office, under the item's provincial number.
    let arrived = eventually(90, || async {
        let records = down_records(&wuhu.exchange).await;
        records.into_iter().find(|r| r.kind == "transfer")
    })
    .await
    .expect("the transfer reached 芜湖");
    assert_eq!(arrived.status, "registered", "{arrived:?}");
    let number = arrived.province_number.clone();
    assert!(number.starts_with("340100-"), "{number}");
    let office = token("city-xfj");
    let there = wuhu
        .intake
        .intake_client()
        .await
        .get_petition(authed(
            xinfang_proto::xinfang::intake::v1::GetPetitionRequest {
                id: arrived.petition_id.clone(),
            },
            &office,
        ))
        .await
        .expect("芜湖's office sees the item")
        .into_inner();
    assert_eq!(
        (
            there.registering_unit.as_str(),
            there.region_code.as_str(),
            there.province_number.as_str(),
            there.content.as_str(),
        ),
        (
            "city-xfj",
            "340200",
            number.as_str(),
            "某建筑公司拖欠农民工工资三个月未发"
        )
    );
    let id = resident_id(990);
    assert_eq!(
        there.petitioners[0].id_number,
        format!("{}**********{}", &id[..4], &id[14..])
    );
    // What 合肥 told the petitioner comes first there.
    let history: Vec<String> = wuhu
        .db
        .db
        .query_all_raw(Statement::from_string(
            wuhu.db.db.get_database_backend(),
            format!(
                "SELECT title FROM intake_public_step WHERE petition_id = '{}' ORDER BY id",
                arrived.petition_id
            ),
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("", "title").unwrap())
        .collect();
    assert_eq!(history, ["已登记", "转有权处理地"]);
    // The province keeps the transfer with the numbers masked; the queue kept them sealed.
    for table in ["exchange_hub_record", "exchange_hub_down"] {
        let bodies: Vec<Vec<u8>> = hub_db
            .db
            .query_all_raw(Statement::from_string(
                hub_db.db.get_database_backend(),
                format!("SELECT body FROM {table} WHERE kind = 'transfer'"),
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get("", "body").unwrap())
            .collect();
        assert_eq!(bodies.len(), 1, "one transfer in {table}");
        let text = String::from_utf8_lossy(&bodies[0]);
        assert!(text.contains("某建筑公司"), "{table} keeps the content");
        assert!(
            !text.contains(&id) && !text.contains("13800138000"),
            "{table} keeps no number in clear"
        );
    }

    // 芜湖 handles it: its office forwards it to 市人社局, which accepts and answers.
    let mut wuhu_cases = wuhu.dispatch.dispatch_client().await;
    let petition_id = arrived.petition_id.clone();
    let forwarded = eventually(60, || {
        let mut c = wuhu_cases.clone();
        let r = authed(
            dp::ForwardRequest {
                petition_id: petition_id.clone(),
                organ_code: "city-rsj".into(),
                note: String::new(),
            },
            &office,
        );
        async move { c.forward(r).await.ok() }
    })
    .await;
    assert!(forwarded.is_some(), "芜湖's office triages the item");
    let department = token("city-rsj");
    wuhu_cases
        .accept(authed(
            dp::AcceptRequest {
                petition_id: petition_id.clone(),
                notice_text: "已受理，60日内答复".into(),
            },
            &department,
        ))
        .await
        .expect("the department accepts");
    wuhu_cases
        .answer(authed(
            dp::AnswerRequest {
                petition_id: petition_id.clone(),
                opinion: xinfang_proto::xinfang::petition::v1::HandlingOpinion::Support as i32,
                text: "责令该企业十日内足额支付".into(),
            },
            &department,
        ))
        .await
        .expect("the department answers");

    // The petitioner, with 合肥's query code, sees each of 芜湖's steps once, under its name.
    let expected = [
        "已登记 东城区长江街道",
        "转有权处理地 ",
        "已转送 芜湖市信访局",
        "受理告知 芜湖市信访局",
        "处理意见 芜湖市信访局",
    ];
    let steps = eventually(90, || async {
        let steps = tracked(&hefei.intake, &code).await;
        (steps.len() >= expected.len()).then_some(steps)
    })
    .await
    .expect("芜湖's answer reached 合肥");
    assert_eq!(steps, expected);
    let left = hefei
        .intake
        .intake_client()
        .await
        .get_petition(authed(
            xinfang_proto::xinfang::intake::v1::GetPetitionRequest {
                id: hefei_id.clone(),
            },
            &township,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        left.state,
        xinfang_proto::xinfang::petition::v1::PetitionState::TransferredOut as i32,
        "the item stays transferred out of 合肥"
    );
    let down: Vec<(String, String)> = down_records(&hefei.exchange)
        .await
        .into_iter()
        .map(|r| (r.kind, r.status))
        .collect();
    // Each of 芜湖's three steps came down once.
    assert_eq!(
        down,
        vec![("transferred_step".to_owned(), "published".to_owned()); 3]
    );

    for city in [hefei, wuhu] {
        city.stop().await;
    }
    the_hub.stop().await;
    std::fs::remove_dir_all(&scratch).ok();
}

/// 淮北路街道, a township the city's organisation gains (区划调整).
const NEW_TOWNSHIP: &str = r#"
[[unit]]
code = "east-t3"
name = "东城区淮北路街道"
kind = "government"
region = "340102003"
parent = "east-xfj"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_from_the_province_adds_a_township_the_node_works_with() {
    let Linked {
        node_db,
        broker,
        scratch,
        province:
            Province {
                db: _hub_db,
                hub: the_hub,
                credential,
            },
        hub_url,
    } = Linked::start().await;
    let settings = || {
        settings_with(
            &node_db.url,
            Some(&broker.address()),
            &[("exchange.hub_url", &hub_url)],
        )
    };
    let (intake, dispatch) = tokio::join!(spawn_intake(settings()), spawn_dispatch(settings()));
    let node = linked_exchange(&node_db, &broker, &hub_url, &credential, &intake, &[], None).await;

    // Before: 340102003 is no region of the node.
    let claim = |key: &str, person: u32| {
        let mut claim = wage_claim(key, &resident_id(person));
        claim.region_code = "340102003".into();
        claim
    };
    let refused = intake
        .intake_client()
        .await
        .register_petition(authed(claim("org-0", 940), &token("east-xfj")))
        .await
        .expect_err("an unknown region");
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().contains("region_code"), "{refused:?}");

    // The province sends the city its organisation with the new township, once per version.
    let demo = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../config/reference/org.toml"
    ))
    .unwrap();
    let publish = |node: &str, version: &str, text: String| {
        authed(
            PublishOrganisationRequest {
                node_region_code: node.into(),
                version: version.into(),
                org_toml: text,
            },
            &token_as("prov-xfj", &["clerk"]),
        )
    };
    let mut province = ExchangeServiceClient::connect(the_hub.endpoint())
        .await
        .unwrap();
    let organisation = format!("{demo}{NEW_TOWNSHIP}");
    let sent = province
        .publish_organisation(publish("340100", "2027.1", organisation.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(sent.node_region_codes, vec!["340100"]);
    let again = province
        .publish_organisation(publish("340100", "2027.1", organisation))
        .await
        .unwrap()
        .into_inner();
    assert!(again.node_region_codes.is_empty(), "a version is sent once");
    let wuhu = demo.replace("\"3401", "\"3402");
    let other = province
        .publish_organisation(publish("340100", "2027.2", wuhu))
        .await
        .expect_err("another node's organisation is not sent");
    assert_eq!(other.code(), Code::InvalidArgument);
    assert!(other.message().contains("org_toml"), "{other:?}");

    // The node takes it: the new township registers and triages its own items.
    let register = async |intake: &xinfang_testkit::services::RunningService, key: &str, n| {
        let client = intake.intake_client().await;
        eventually(60, || {
            let (mut c, r) = (client.clone(), authed(claim(key, n), &token("east-t3")));
            async move { c.register_petition(r).await.ok() }
        })
        .await
        .map(|r| r.into_inner().petition.unwrap())
    };
    let petition = register(&intake, "org-1", 941)
        .await
        .expect("淮北路街道 registers once the organisation arrived");
    assert_eq!(petition.registering_unit, "east-t3");
    let cases = dispatch.dispatch_client().await;
    let case = eventually(60, || {
        let (mut c, r) = (
            cases.clone(),
            authed(
                dp::GetCaseRequest {
                    petition_id: petition.id.clone(),
                },
                &token("east-t3"),
            ),
        );
        async move { c.get_case(r).await.ok() }
    })
    .await
    .expect("dispatch opened the case for the new township")
    .into_inner();
    assert_eq!(case.first_handler_unit, "east-t3");
    let down = down_records(&node).await;
    assert_eq!(
        down.iter()
            .map(|r| (r.kind.as_str(), r.status.as_str()))
            .collect::<Vec<_>>(),
        [("organisation", "published")]
    );

    // A restarted intake works with what the province sent.
    intake.stop().await;
    let intake = spawn_intake(settings()).await;
    let later = intake
        .intake_client()
        .await
        .register_petition(authed(claim("org-2", 942), &token("east-t3")))
        .await
        .expect("still known after a restart")
        .into_inner();
    assert_eq!(later.petition.unwrap().region_code, "340102003");

    node.stop().await;
    the_hub.stop().await;
    dispatch.stop().await;
    intake.stop().await;
    std::fs::remove_dir_all(&scratch).ok();
}
