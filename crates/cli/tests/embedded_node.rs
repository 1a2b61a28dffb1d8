//! The embedded default as a user runs it: the `xinfang dev` binary on a SQLite file (with the
//! provincial hub beside it, `--with-hub`), stopped with SIGTERM and started again.

use std::process::Command as StdCommand;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};
use xinfang_proto::xinfang::dispatch::v1::dispatch_service_client::DispatchServiceClient;
use xinfang_proto::xinfang::dispatch::v1::{AcceptRequest, ForwardRequest, GetCaseRequest};
use xinfang_proto::xinfang::exchange::v1::GetLinkStatusRequest;
use xinfang_proto::xinfang::exchange::v1::exchange_admin_service_client::ExchangeAdminServiceClient;
use xinfang_proto::xinfang::intake::v1::intake_service_client::IntakeServiceClient;
use xinfang_proto::xinfang::intake::v1::{GetPetitionRequest, RegisterPetitionRequest};
use xinfang_proto::xinfang::petition::v1::{IdType, Petitioner};
use xinfang_testkit::{authed, resident_id};

struct Node(Child);

/// The ports of intake, dispatch, supervision, evaluation, the joint meeting service, the
/// exchange, the provincial hub beside the node (`--with-hub`) and the portal.
type Ports = [u16; 8];

impl Node {
    async fn start(data: &std::path::Path, ports: Ports) -> Self {
        let port = ports[0];
        let child = Command::new(env!("CARGO_BIN_EXE_xinfang"))
            .args(["dev", "--with-hub", "--hub-listen"])
            .arg(format!("127.0.0.1:{}", ports[6]))
            .arg("--data")
            .arg(data)
            .env("XINFANG__LISTEN__INTAKE", format!("127.0.0.1:{}", ports[0]))
            .env(
                "XINFANG__LISTEN__DISPATCH",
                format!("127.0.0.1:{}", ports[1]),
            )
            .env(
                "XINFANG__LISTEN__SUPERVISION",
                format!("127.0.0.1:{}", ports[2]),
            )
            .env(
                "XINFANG__LISTEN__EVALUATION",
                format!("127.0.0.1:{}", ports[3]),
            )
            .env(
                "XINFANG__LISTEN__JOINTMEETING",
                format!("127.0.0.1:{}", ports[4]),
            )
            .env(
                "XINFANG__LISTEN__EXCHANGE",
                format!("127.0.0.1:{}", ports[5]),
            )
            .env("XINFANG__LISTEN__PORTAL", format!("127.0.0.1:{}", ports[7]))
            .kill_on_drop(true)
            .spawn()
            .expect("xinfang dev starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "xinfang dev did not listen on {port}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Self(child)
    }

    /// SIGTERM, then wait without blocking the runtime (the client's connection must close).
    async fn stop(mut self) {
        let pid = self.0.id().expect("running").to_string();
        assert!(
            StdCommand::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let exit = tokio::time::timeout(Duration::from_secs(30), self.0.wait())
            .await
            .expect("xinfang dev stops within 30 s")
            .unwrap();
        assert!(
            exit.success(),
            "xinfang dev stops cleanly on SIGTERM: {exit}"
        );
    }
}

/// A token as a user gets one on the embedded node: `xinfang token`, signed with its own key.
fn dev_token(data: &std::path::Path, unit: &str) -> String {
    let made = StdCommand::new(env!("CARGO_BIN_EXE_xinfang"))
        .args(["token", "--unit", unit])
        .env(
            "XINFANG__AUTH__DEV_SIGNING_KEY",
            data.join("dev-signing-key.pem"),
        )
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    String::from_utf8(made.stdout).unwrap().trim().to_owned()
}

fn wage_claim(key: &str, n: u32) -> RegisterPetitionRequest {
    RegisterPetitionRequest {
        idempotency_key: key.into(),
        channel_code: "0200".into(),
        region_code: "340103".into(),
        content_category: "010100".into(),
        content: "保障房分配不公".into(),
        petitioners: vec![Petitioner {
            name: "李四".into(),
            id_type: IdType::ResidentId as i32,
            id_number: resident_id(n),
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// Signs in through the portal's dev login as a clerk of `unit`; the console page it leads to.
async fn dev_login(port: u16, unit: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let login = http.get(format!("{base}/login")).send().await.unwrap();
    let csrf = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    let csrf = csrf.split(';').next().unwrap().to_owned();
    assert!(login.text().await.unwrap().contains("本机试用登录"));
    let token = csrf.trim_start_matches("csrf=");
    let signed = http
        .post(format!("{base}/login"))
        .header("cookie", &csrf)
        .form(&[
            ("csrf", token),
            ("unit", unit),
            ("role", "clerk"),
            ("name", "dev"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303, "signed in and sent to the console");
    let session = signed.headers()["set-cookie"].to_str().unwrap().to_owned();
    let session = session.split(';').next().unwrap();
    http.get(format!("{base}/console"))
        .header("cookie", format!("{csrf}; {session}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Ports nobody listens on, all different (two services were once given the same one).
fn free_ports() -> Ports {
    std::array::from_fn(|_| xinfang_testkit::processes::free_port())
}

#[tokio::test]
async fn the_embedded_node_keeps_petitions_and_events_across_a_restart() {
    let data = std::env::temp_dir().join(format!("xinfang-dev-{}", uuid::Uuid::new_v4()));
    let ports = free_ports();
    let endpoint = format!("http://127.0.0.1:{}", ports[0]);
    let dispatch_endpoint = format!("http://127.0.0.1:{}", ports[1]);
    let node = Node::start(&data, ports).await;
    let clerk = dev_token(&data, "city-xfj");

    let mut client = IntakeServiceClient::connect(endpoint.clone())
        .await
        .unwrap();
    let registered = client
        .register_petition(authed(wage_claim("dev-restart", 40), &clerk))
        .await
        .unwrap()
        .into_inner()
        .petition
        .unwrap();
    // Dispatch follows intake through the SQL log and opens the case for triage.
    let case = GetCaseRequest {
        petition_id: registered.id.clone(),
    };
    let mut dispatch = DispatchServiceClient::connect(dispatch_endpoint.clone())
        .await
        .unwrap();
    let mut opened = None;
    for _ in 0..100 {
        if let Ok(found) = dispatch.get_case(authed(case.clone(), &clerk)).await {
            opened = Some(found.into_inner());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(opened.is_some(), "dispatch opened the case");
    // The node's exchange numbered the registration and the hub beside it acknowledged it.
    let mut exchange =
        ExchangeAdminServiceClient::connect(format!("http://127.0.0.1:{}", ports[5]))
            .await
            .unwrap();
    let mut pushed = false;
    for _ in 0..100 {
        let link = exchange
            .get_link_status(authed(GetLinkStatusRequest {}, &clerk))
            .await
            .unwrap()
            .into_inner();
        if link.acknowledged_through == 1 && link.last_sequence == 1 {
            pushed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(pushed, "the hub acknowledged the node's record");
    // Forwarded to the city's housing bureau and accepted there: the case, the petition and the
    // supervised item each change after they were made, each change a row of its audit log.
    let forward = ForwardRequest {
        petition_id: registered.id.clone(),
        organ_code: "city-zjj".into(),
        note: String::new(),
    };
    dispatch
        .forward(authed(forward, &clerk))
        .await
        .expect("forwarded");
    let accept = AcceptRequest {
        petition_id: registered.id.clone(),
        notice_text: "您的信访事项已受理".into(),
    };
    dispatch
        .accept(authed(accept, &dev_token(&data, "city-zjj")))
        .await
        .expect("accepted");
    // The portal's dev login signs a token with the node's own key; the clerk sees the case.
    let console = dev_login(ports[7], "city-xfj").await;
    assert!(console.contains(&registered.case_number), "{console}");
    drop((client, dispatch, exchange));
    node.stop().await;

    let node = Node::start(&data, ports).await;
    let mut client = IntakeServiceClient::connect(endpoint).await.unwrap();
    let again = client
        .get_petition(authed(
            GetPetitionRequest {
                id: registered.id.clone(),
            },
            &clerk,
        ))
        .await
        .expect("the petition survived the restart")
        .into_inner();
    assert_eq!(again.case_number, registered.case_number);
    let mut dispatch = DispatchServiceClient::connect(dispatch_endpoint)
        .await
        .unwrap();
    assert!(
        dispatch.get_case(authed(case, &clerk)).await.is_ok(),
        "the case survived too"
    );
    // Every reader keeps its place at the end of each log it reads, in the file: a restart
    // resumes there and reads nothing again.
    let url = format!("sqlite://{}/xinfang.db", data.display());
    let db = sea_orm::Database::connect(url.as_str()).await.unwrap();
    let mut places = readers_places(&db).await;
    for _ in 0..100 {
        if places.iter().all(|(_, _, at, end)| at == end) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        places = readers_places(&db).await;
    }
    assert!(
        places
            .iter()
            .any(|(reader, source, ..)| reader == "dispatch" && source == "intake"),
        "dispatch keeps its place in intake's log: {places:?}"
    );
    assert!(
        places.iter().all(|(_, _, at, end)| at == end),
        "(reader, log, place, end) {places:?}"
    );
    drop((client, dispatch));
    node.stop().await;

    // Each row of every audit log links to the row before it, the updates' rows too (whose
    // link the update of the aggregate's row reads on the way).
    let verified = StdCommand::new(env!("CARGO_BIN_EXE_xinfang"))
        .args(["audit", "verify"])
        .env("XINFANG__DATABASE__URL", &url)
        .env("XINFANG__TELEMETRY__LOG_FILTER", "error")
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&verified.stdout);
    assert!(verified.status.success(), "{report}");
    assert!(
        report.contains("✓ dispatch: 3 rows of 1 aggregates checked, 0 broken"),
        "{report}"
    );

    // Its event is in the SQL log (the outbox table) of the node's file.
    use sea_orm::ConnectionTrait;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT COUNT(*) AS n FROM intake_outbox WHERE message_key = '{}'",
                registered.id
            ),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 1);
    // Supervision followed it too, and read each event once.
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM supervision_item WHERE petition_id = '{}' AND due_date IS NOT NULL", registered.id),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 1);
    // The hub, in its own file, holds the item once, accepted, with the province's number.
    let hub = sea_orm::Database::connect(format!("sqlite://{}/hub.db", data.display()))
        .await
        .unwrap();
    let row = hub
        .query_one_raw(sea_orm::Statement::from_string(
            hub.get_database_backend(),
            format!(
                "SELECT COUNT(*) AS n FROM exchange_hub_record WHERE local_number = '{}' AND kind = 'item' AND accepted AND province_number = '340100-000000001'",
                registered.id
            ),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 1);
    let _ = std::fs::remove_dir_all(&data);
}

/// Each reader's place (reader, log, the last id applied) beside the end of that log.
async fn readers_places(db: &sea_orm::DatabaseConnection) -> Vec<(String, String, i64, i64)> {
    use sea_orm::{ConnectionTrait, Statement};
    let sql = |text: String| Statement::from_string(db.get_database_backend(), text);
    let tables = db
        .query_all_raw(sql(
            "SELECT name FROM sqlite_master WHERE name LIKE '%\\_log\\_cursor' ESCAPE '\\'".into(),
        ))
        .await
        .unwrap();
    let mut places = Vec::new();
    for table in tables {
        let table: String = table.try_get("", "name").unwrap();
        let reader = table.trim_end_matches("_log_cursor").to_owned();
        let rows = db
            .query_all_raw(sql(format!("SELECT source, last_id FROM {table}")))
            .await
            .unwrap();
        for row in rows {
            let source: String = row.try_get("", "source").unwrap();
            let end = db
                .query_one_raw(sql(format!(
                    "SELECT COALESCE(MAX(id), 0) AS end FROM {source}_outbox"
                )))
                .await
                .unwrap()
                .unwrap();
            places.push((
                reader.clone(),
                source,
                row.try_get("", "last_id").unwrap(),
                end.try_get("", "end").unwrap(),
            ));
        }
    }
    places
}

/// Eight clerks registering at once on one SQLite file: every call is taken (none waits out the
/// busy timeout or is refused ABORTED), the case numbers run 1, 2, 3 … without a gap or a
/// repeat, also across a restart, and dispatch opens a case for each.
#[tokio::test]
async fn clerks_registering_at_once_on_the_embedded_node_get_consecutive_case_numbers() {
    let data = std::env::temp_dir().join(format!("xinfang-dev-{}", uuid::Uuid::new_v4()));
    let ports = free_ports();
    let endpoint = format!("http://127.0.0.1:{}", ports[0]);
    let node = Node::start(&data, ports).await;
    let clerk = dev_token(&data, "city-xfj");
    const CLERKS: u32 = 8;
    const EACH: u32 = 25;
    let calls: Vec<_> = (0..CLERKS)
        .map(|c| {
            let (endpoint, clerk) = (endpoint.clone(), clerk.clone());
            tokio::spawn(async move {
                let mut client = IntakeServiceClient::connect(endpoint).await.unwrap();
                let mut numbers = Vec::new();
                for i in 0..EACH {
                    let n = c * EACH + i + 1;
                    let petition = client
                        .register_petition(authed(wage_claim(&format!("at-once-{n}"), n), &clerk))
                        .await
                        .expect("every registration is taken")
                        .into_inner()
                        .petition
                        .unwrap();
                    numbers.push(petition.case_number);
                }
                numbers
            })
        })
        .collect();
    let mut numbers: Vec<u32> = Vec::new();
    for call in calls {
        for case_number in call.await.unwrap() {
            let serial = case_number.rsplit('-').next().unwrap().parse().unwrap();
            numbers.push(serial);
        }
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=CLERKS * EACH).collect::<Vec<_>>());

    let url = format!("sqlite://{}/xinfang.db", data.display());
    let db = sea_orm::Database::connect(url).await.unwrap();
    // Every item reaches dispatch (which follows intake) and supervision (which follows four
    // services' logs), each once: the readers catch up with a backlog of pages and batches.
    for (table, what) in [
        ("dispatch_case", "a case for each item"),
        ("supervision_item", "a supervision item for each"),
    ] {
        let mut rows = 0;
        for _ in 0..100 {
            rows = count(&db, table).await;
            if rows == i64::from(CLERKS * EACH) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(rows, i64::from(CLERKS * EACH), "{what}");
    }
    drop(db);
    node.stop().await;

    // A restart leaves no gap either: the next number follows the last.
    let node = Node::start(&data, ports).await;
    let mut client = IntakeServiceClient::connect(endpoint).await.unwrap();
    let next = case_number_of(&mut client, wage_claim("after-restart", 999), &clerk).await;
    assert!(
        next.ends_with(&format!("-{:06}", CLERKS * EACH + 1)),
        "{next}"
    );
    drop(client);
    node.stop().await;
    let _ = std::fs::remove_dir_all(&data);
}

/// The case number a registration was given.
async fn case_number_of(
    client: &mut IntakeServiceClient<tonic::transport::Channel>,
    request: RegisterPetitionRequest,
    token: &str,
) -> String {
    client
        .register_petition(authed(request, token))
        .await
        .expect("registered")
        .into_inner()
        .petition
        .expect("the petition registered")
        .case_number
}

/// The rows of `table` in the node's file.
async fn count(db: &sea_orm::DatabaseConnection, table: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let sql = format!("SELECT COUNT(*) AS n FROM {table}");
    db.query_one_raw(sea_orm::Statement::from_string(
        db.get_database_backend(),
        sql,
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get("", "n")
    .unwrap()
}

/// A double-clicked form on the embedded node: all copies but one fail on the key's unique
/// index as their rows are written, each registration's rows one script in a transaction of its
/// own. One petition is registered, nothing of the others stays, and no case number is lost to
/// them.
#[tokio::test]
async fn one_key_sent_eight_times_at_once_on_the_embedded_node_registers_one_petition_whole() {
    let data = std::env::temp_dir().join(format!("xinfang-dev-{}", uuid::Uuid::new_v4()));
    let ports = free_ports();
    let node = Node::start(&data, ports).await;
    let clerk = dev_token(&data, "city-xfj");
    let client = IntakeServiceClient::connect(format!("http://127.0.0.1:{}", ports[0]))
        .await
        .unwrap();
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let (mut client, clerk) = (client.clone(), clerk.clone());
            tokio::spawn(async move {
                let request = authed(wage_claim("clicked-eight-times", 41), &clerk);
                client.register_petition(request).await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for call in calls {
        answers.push(
            call.await
                .unwrap()
                .expect("every copy is answered")
                .into_inner(),
        );
    }
    xinfang_testkit::assert_one_petition(&answers);
    let next = case_number_of(&mut client.clone(), wage_claim("the-next-form", 42), &clerk).await;
    assert!(next.ends_with("-000002"), "{next}");

    let url = format!("sqlite://{}/xinfang.db", data.display());
    let db = sea_orm::Database::connect(url).await.unwrap();
    for table in [
        "intake_petition",
        "intake_petitioner",
        "intake_outbox",
        "intake_audit",
    ] {
        assert_eq!(count(&db, table).await, 2, "{table}");
    }
    drop((db, client));
    node.stop().await;
    let _ = std::fs::remove_dir_all(&data);
}
