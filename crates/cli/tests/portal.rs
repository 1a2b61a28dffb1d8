//! The portal in a real browser: Debian's Chromium driven through chromedriver (WebDriver), the
//! portal and the services each a `xinfang serve` process on a fresh PostgreSQL database and a
//! real Kafka-protocol broker. A citizen submits online and tracks; the county office's clerk
//! signs in with a token and forwards; the township accepts and answers; the citizen evaluates
//! with the code of the SMS; the county leader's dashboard shows the new 满意率 and drills down
//! to the item. Screenshots of each step go to `$CARGO_TARGET_TMPDIR/portal-screenshots`.
//! Open311 is driven with the spec's own requests; forms without the CSRF token are refused.

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use sea_orm::{ConnectionTrait, Statement};
use std::path::PathBuf;
use std::process::Stdio;
use xinfang_proto::xinfang::dispatch::v1::dispatch_service_client::DispatchServiceClient;
use xinfang_proto::xinfang::dispatch::v1::{AcceptRequest, ForwardRequest, ListCasesRequest};
use xinfang_proto::xinfang::jointmeeting::v1::PublishReceptionDayRequest;
use xinfang_proto::xinfang::jointmeeting::v1::joint_meeting_service_client::JointMeetingServiceClient;
use xinfang_testkit::broker::Broker;
use xinfang_testkit::database::TestDatabase;
use xinfang_testkit::processes::{self, ServiceProcess};
use xinfang_testkit::{authed, eventually, resident_id, token, token_as};

/// 09:00 Beijing time, Monday 2026-03-02: every step of the test happens on that day.
const TODAY: &str = "2026-03-02T09:00:00+08:00";
const PHONE: &str = "13912345678";

struct Node {
    db: TestDatabase,
    _broker: Broker,
    services: Vec<(&'static str, ServiceProcess)>,
    portal: ServiceProcess,
}

impl Node {
    async fn start() -> Node {
        Node::start_with(&[]).await
    }

    /// The node with `more` settings for every process.
    async fn start_with(more: &[(&'static str, &'static str)]) -> Node {
        let db = TestDatabase::create().await;
        let broker = Broker::with_service_topics().await;
        let binary = std::path::Path::new(env!("CARGO_BIN_EXE_xinfang"));
        let mut common = vec![
            ("clock.start", TODAY),
            // The portal (and, for the portal, the test posing as its ingress) relay the
            // citizen's calls from this machine.
            ("public.trusted_proxies", "127.0.0.1"),
        ];
        common.extend_from_slice(more);
        let common = &common;
        let serve = |service: &'static str| {
            let (db, brokers) = (db.url.clone(), broker.address());
            async move { processes::serve(binary, service, &db, &brokers, common).await }
        };
        let (intake, dispatch, evaluation, supervision, jointmeeting) = tokio::join!(
            serve("intake"),
            serve("dispatch"),
            serve("evaluation"),
            serve("supervision"),
            serve("jointmeeting"),
        );
        let urls = [
            ("portal.intake_url", intake.endpoint()),
            ("portal.dispatch_url", dispatch.endpoint()),
            ("portal.evaluation_url", evaluation.endpoint()),
            ("portal.supervision_url", supervision.endpoint()),
            ("portal.jointmeeting_url", jointmeeting.endpoint()),
            ("portal.secure_cookies", "false".to_owned()),
        ];
        let mut more: Vec<(&str, &str)> = urls.iter().map(|(k, v)| (*k, v.as_str())).collect();
        more.extend_from_slice(common);
        let portal = processes::serve(binary, "portal", &db.url, &broker.address(), &more).await;
        Node {
            db,
            _broker: broker,
            services: vec![
                ("intake", intake),
                ("dispatch", dispatch),
                ("evaluation", evaluation),
                ("supervision", supervision),
                ("jointmeeting", jointmeeting),
            ],
            portal,
        }
    }

    /// A service's gRPC endpoint.
    fn service(&self, name: &str) -> String {
        let (_, process) = self
            .services
            .iter()
            .find(|(n, _)| *n == name)
            .expect("started");
        process.endpoint()
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.portal.addr)
    }

    /// The one-time evaluation code of the SMS the petitioner was sent, as the gateway reads it.
    async fn sms_code(&self) -> Option<String> {
        let db = &self.db.db;
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT body FROM evaluation_sms ORDER BY id LIMIT 1",
            ))
            .await
            .ok()??;
        let body: String = row.try_get("", "body").ok()?;
        let code = body.split("评价码 ").nth(1)?.split(' ').next()?;
        Some(code.to_owned())
    }
}

/// chromedriver on a port of its own, killed with the test.
struct Driver {
    _process: tokio::process::Child,
    port: u16,
}

impl Driver {
    async fn start() -> Driver {
        let port = processes::free_port();
        let process = tokio::process::Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver (Debian's chromium-driver; .ci/run installs it)");
        let up = eventually(30, || async {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        })
        .await;
        assert!(up.is_some(), "chromedriver listens on {port}");
        Driver {
            _process: process,
            port,
        }
    }

    /// A fresh browser (no cookies), phone-sized.
    async fn browser(&self) -> Browser {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=430,1400", "--lang=zh-CN"],
            }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a Chromium session");
        Browser { client }
    }
}

struct Browser {
    client: Client,
}

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("portal-screenshots");
    std::fs::create_dir_all(&dir).expect("the screenshot folder");
    dir
}

impl Browser {
    async fn go(&self, url: &str) {
        self.client.goto(url).await.expect("the page loads");
    }

    async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} on the page: {e}"))
            .text()
            .await
            .expect("its text")
    }

    async fn fill(&self, name: &str, value: &str) {
        self.fill_in("", name, value).await
    }

    /// Types into the field `name` of the form `form` (a page may have several `text` fields).
    async fn fill_in(&self, form: &str, name: &str, value: &str) {
        let field = self
            .client
            .find(Locator::Css(&format!("{form} [name='{name}']")))
            .await
            .unwrap_or_else(|e| panic!("field {name}: {e}"));
        field.clear().await.expect("cleared");
        field.send_keys(value).await.expect("typed");
    }

    async fn choose(&self, name: &str, value: &str) {
        self.client
            .find(Locator::Css(&format!("select[name='{name}']")))
            .await
            .unwrap_or_else(|e| panic!("select {name}: {e}"))
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("{value} in {name}: {e}"));
    }

    async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .expect("clicked");
    }

    /// Clicks what leads to another page (a form's button, a link) and waits until it has come.
    async fn follow(&self, css: &str) {
        self.follow_to(Locator::Css(css)).await
    }

    async fn follow_to(&self, target: Locator<'_>) {
        let page = self
            .client
            .find(Locator::Css("html"))
            .await
            .expect("a page");
        self.client
            .find(target)
            .await
            .unwrap_or_else(|e| panic!("{target:?}: {e}"))
            .click()
            .await
            .expect("clicked");
        let left = eventually(20, || async {
            page.tag_name().await.is_err().then_some(())
        })
        .await;
        assert!(left.is_some(), "{target:?} leads to another page");
        self.client
            .wait()
            .for_element(Locator::Css("footer"))
            .await
            .expect("the next page is drawn");
    }

    async fn source(&self) -> String {
        self.client.source().await.expect("the page's source")
    }

    async fn shot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::write(screenshots().join(format!("{name}.png")), png).expect("saved");
    }

    /// Signs in with a token of the tests' identity provider, pasted as a user would.
    async fn sign_in(&self, node: &Node, unit: &str, role: &str) {
        self.go(&node.url("/login")).await;
        self.fill("token", &token_as(unit, &[role])).await;
        self.follow("form[action='/login'] button").await;
        assert!(
            self.client
                .current_url()
                .await
                .unwrap()
                .path()
                .starts_with("/console"),
            "signed in as {role} of {unit}"
        );
    }

    async fn close(self) {
        self.client.close().await.expect("the session ends");
    }
}

#[tokio::test]
async fn a_petition_goes_from_the_citizens_phone_to_the_leaders_dashboard() {
    let node = Node::start().await;
    let driver = Driver::start().await;
    let id_number = resident_id(7);
    let mut pages = Vec::new();

    // The citizen submits online.
    let citizen = driver.browser().await;
    citizen.go(&node.url("/submit")).await;
    citizen.fill("name", "王小明").await;
    citizen.fill("id_number", &id_number).await;
    citizen.fill("phone", PHONE).await;
    citizen.choose("region", "340102001").await;
    citizen.choose("category", "020100").await;
    citizen.fill("title", "工地拖欠工资").await;
    citizen
        .fill("content", "某建筑公司拖欠我三个月工资，共计两万元。")
        .await;
    citizen.shot("01-submit-form").await;
    citizen.follow("form[action='/submit'] button").await;
    let code = citizen.text("#query-code").await;
    let case_number = citizen.text("#case-number").await;
    assert_eq!(code.len(), 12, "a query code is shown: {code:?}");
    assert!(case_number.starts_with("340100-2026-"), "{case_number}");
    pages.push(citizen.source().await);
    citizen.shot("02-submitted").await;

    // …and tracks it with the query code.
    citizen.go(&node.url(&format!("/track?code={code}"))).await;
    assert_eq!(citizen.text("#state").await, "已登记");
    assert!(citizen.text("#steps").await.contains("东城区信访局"));
    pages.push(citizen.source().await);
    citizen.shot("03-tracked").await;
    citizen.follow("a[hreflang='en']").await;
    assert_eq!(
        citizen.text("h1").await,
        "Progress",
        "the same page in English"
    );
    citizen.follow("a[hreflang='zh-CN']").await;

    // The county office's clerk finds it in the queue and forwards it to the township.
    let clerk = driver.browser().await;
    clerk.sign_in(&node, "east-xfj", "clerk").await;
    let queue = eventually(20, || async {
        clerk.go(&node.url("/console")).await;
        let text = clerk.source().await;
        text.contains(&case_number).then_some(text)
    })
    .await
    .expect("the item reaches the county office's queue");
    assert!(
        queue.contains("2026-03-17"),
        "the triage limit (15 days) is shown"
    );
    clerk.shot("04-queue").await;
    clerk.follow("#queue a[href^='/console/case/']").await;
    pages.push(clerk.source().await);
    clerk.choose("organ", "east-t1").await;
    clerk.fill("text", "请依法办理").await;
    clerk.shot("05-case-triage").await;
    clerk.follow("#forward button").await;
    assert_eq!(clerk.text("#case-state").await, "已转送");
    let case_page = clerk.client.current_url().await.unwrap().to_string();

    // A visit registered at the counter, marked 重大紧急 and 扬言: the flags say why.
    clerk.go(&node.url("/console/register")).await;
    clerk.choose("channel", "0300").await;
    clerk.choose("region", "340102002").await;
    clerk.choose("category", "020100").await;
    clerk.fill("title", "多名工人讨薪").await;
    clerk
        .fill("content", "工人称若再不支付将采取过激行为。")
        .await;
    clerk.fill("name", "赵大").await;
    clerk.fill("id_number", &resident_id(8)).await;
    clerk.click("input[name='major_urgent']").await;
    clerk.click("input[name='threat']").await;
    clerk
        .follow("form[action='/console/register'] button")
        .await;
    let flags = clerk.text("#flags").await;
    assert!(
        flags.contains("重大紧急：登记人标注为重大紧急事项，应立即报告上一级"),
        "{flags}"
    );
    assert!(flags.contains("扬言"), "{flags}");
    pages.push(clerk.source().await);
    clerk.shot("05b-registered-with-flags").await;
    clerk.close().await;

    // The county supervisor's board shows it due for acceptance at the township.
    let supervisor = driver.browser().await;
    supervisor.sign_in(&node, "east-xfj", "supervisor").await;
    let board = eventually(20, || async {
        supervisor.go(&node.url("/board")).await;
        let due = supervisor.text("#due").await;
        due.contains(&case_number).then_some(due)
    })
    .await
    .expect("supervision watches the acceptance limit");
    assert!(
        board.contains("受理告知") && board.contains("东城区长江街道"),
        "{board}"
    );
    // …and the supervisor issues a supervision order (督办单) on it.
    let row = format!("//table[@id='due']//tr[td/a[text()='{case_number}']]");
    supervisor
        .client
        .find(Locator::XPath(&format!("{row}//input[@name='reason']")))
        .await
        .unwrap()
        .send_keys("请尽快受理并告知信访人")
        .await
        .unwrap();
    supervisor
        .follow_to(Locator::XPath(&format!("{row}//button")))
        .await;
    assert!(
        supervisor
            .text("#orders")
            .await
            .contains("请尽快受理并告知信访人")
    );
    supervisor.shot("05c-board").await;
    supervisor.close().await;

    // The township accepts and answers.
    let township = driver.browser().await;
    township.sign_in(&node, "east-t1", "clerk").await;
    township.go(&case_page).await;
    township.follow("#accept button").await;
    assert_eq!(township.text("#case-state").await, "已受理");
    // The township replies to the order from the board.
    township.go(&node.url("/board")).await;
    township.click("#orders input[name='complied']").await;
    township
        .fill_in("#orders", "text", "已受理，正在办理")
        .await;
    township.follow("#orders button").await;
    assert!(township.text("#orders").await.contains("已受理，正在办理"));
    township.go(&case_page).await;
    township.fill_in("#extend", "days", "10").await;
    township.fill_in("#extend", "text", "需调取工资台账").await;
    township.follow("#extend button").await;
    assert!(township.text("#timeline").await.contains("延期申请"));
    let handling_due = township.text("#due").await;

    // The county office approves it (延期审批): the handling limit moves on by ten days.
    let office = driver.browser().await;
    office.sign_in(&node, "east-xfj", "clerk").await;
    office.go(&case_page).await;
    office.click("#decide-extension input[value='true']").await;
    office.fill_in("#decide-extension", "text", "同意").await;
    office.follow("#decide-extension button").await;
    assert!(office.text("#timeline").await.contains("延期审批"));
    let extended_due = office.text("#due").await;
    assert!(
        extended_due > handling_due,
        "{handling_due} → {extended_due}"
    );
    office.shot("06a-extension-approved").await;
    office.close().await;
    township.go(&case_page).await;
    township.choose("opinion", "1").await;
    township
        .fill_in("#answer", "text", "已责令该公司十日内足额支付工资。")
        .await;
    township.follow("#answer button").await;
    assert_eq!(township.text("#case-state").await, "已答复");
    assert!(township.text("#timeline").await.contains("答复"));
    pages.push(township.source().await);
    township.shot("06-answered").await;
    township.close().await;

    // The citizen sees the answer and evaluates it with the code of the SMS.
    let sms = eventually(30, || node.sms_code())
        .await
        .expect("evaluation sends the SMS with its one-time code");
    citizen.go(&node.url(&format!("/track?code={code}"))).await;
    assert!(
        citizen
            .text("#steps")
            .await
            .contains("已责令该公司十日内足额支付工资")
    );
    citizen
        .go(&node.url(&format!("/evaluate?code={code}&token={sms}")))
        .await;
    citizen.click("input[name='department'][value='1']").await;
    citizen
        .click("input[name='handling_organ'][value='1']")
        .await;
    citizen.shot("07-evaluate").await;
    citizen.follow("form[action='/evaluate'] button").await;
    assert!(citizen.text("#evaluated").await.contains("评价已提交"));
    citizen.close().await;

    // The county leader's dashboard shows the month's 满意率 and leads to the item.
    let leader = driver.browser().await;
    leader.sign_in(&node, "east-xfj", "leader").await;
    // The bars are SVG links: matched by local name, SVG being another namespace.
    let satisfaction = "//figure[figcaption='满意率']//*[local-name()='a']";
    let figure = eventually(30, || async {
        leader.go(&node.url("/dashboard?month=2026-03")).await;
        let bar = leader
            .client
            .find(Locator::XPath(satisfaction))
            .await
            .ok()?;
        let text = bar.text().await.ok()?;
        text.contains("100.0% (1/1)").then_some(text)
    })
    .await;
    if figure.is_none() {
        leader.shot("08-dashboard-without-the-figure").await;
    }
    let figure = figure.expect("supervision counts the evaluation into 满意率");
    assert!(figure.contains("100.0%"));
    pages.push(leader.source().await);
    leader.shot("08-dashboard").await;
    leader.follow_to(Locator::XPath(satisfaction)).await;
    assert!(leader.text("#items").await.contains(&case_number));
    leader.shot("09-drill-down").await;
    leader.close().await;

    // No page showed the ID number or the phone number in clear.
    for page in &pages {
        assert!(!page.contains(&id_number), "an ID number in clear");
        assert!(!page.contains(PHONE), "a phone number in clear");
    }
    assert!(
        pages[0].contains("139****5678") && pages[2].contains("3401**********"),
        "the numbers are shown masked"
    );
}

#[tokio::test]
async fn forms_need_their_csrf_token_and_every_page_its_security_headers() {
    let node = Node::start().await;
    let http = reqwest::Client::new();
    let page = http.get(node.url("/submit")).send().await.unwrap();
    let headers = page.headers().clone();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    let cookie = headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let (_, token) = csrf(&http, &node.url("/submit")).await;

    let form = |csrf: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("key", "k1".into()),
            ("name", "王小明".into()),
            ("id_number", resident_id(8)),
            ("phone", PHONE.into()),
            ("region", "340102001".into()),
            ("category", "020100".into()),
            ("title", "拖欠工资".into()),
            ("content", "拖欠工资三个月".into()),
        ]
    };
    // A forged post from another site: no cookie, or a field that does not match it.
    let forged = http
        .post(node.url("/submit"))
        .form(&form(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let mismatched = http
        .post(node.url("/submit"))
        .header("cookie", format!("csrf={token}"))
        .form(&form("another"))
        .send()
        .await
        .unwrap();
    assert_eq!(mismatched.status(), 403);
    assert_eq!(
        node.db.count("intake_petition").await,
        0,
        "nothing registered"
    );
    let sent = http
        .post(node.url("/submit"))
        .header("cookie", format!("csrf={token}"))
        .form(&form(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    let body = sent.text().await.unwrap();
    assert!(body.contains("query-code"), "{body}");
    assert!(!body.contains(&resident_id(8)), "the ID number is masked");

    // A bad field is named, in the page a person reads.
    let bad = http
        .post(node.url("/submit"))
        .header("cookie", format!("csrf={token}"))
        .form(&[
            ("csrf", token.as_str()),
            ("key", "k2"),
            ("name", "王"),
            ("id_number", "123"),
            ("phone", PHONE),
            ("region", "340102001"),
            ("category", "020100"),
            ("title", "t"),
            ("content", "c"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("id_number"));
}

/// The body of a GET of `url`, as text.
async fn text_of(http: &reqwest::Client, url: &str) -> String {
    http.get(url).send().await.unwrap().text().await.unwrap()
}

/// The body of a GET of `url`, as JSON.
async fn json_of(http: &reqwest::Client, url: &str) -> serde_json::Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

/// A browser's first visit: its CSRF cookie (as `csrf=…`) and token.
async fn csrf(http: &reqwest::Client, url: &str) -> (String, String) {
    let page = http.get(url).send().await.unwrap();
    let cookie = page.headers()["set-cookie"].to_str().unwrap();
    let pair = cookie.split(';').next().unwrap().to_owned();
    let token = pair.trim_start_matches("csrf=").to_owned();
    (pair, token)
}

#[tokio::test]
async fn a_citizen_books_a_place_on_a_published_reception_day() {
    let node = Node::start().await;
    let mut meetings = JointMeetingServiceClient::connect(node.service("jointmeeting"))
        .await
        .unwrap();
    let day = PublishReceptionDayRequest {
        leader_name: "李市长".into(),
        leader_post: "副市长".into(),
        portfolio: "人力资源和社会保障".into(),
        date: "2026-03-10".into(),
        place: "市信访局接待大厅".into(),
        capacity: 5,
    };
    let day = meetings
        .publish_reception_day(authed(day, &token("city-xfj")))
        .await
        .unwrap()
        .into_inner();
    let http = reqwest::Client::new();
    let (cookie, csrf) = csrf(&http, &node.url("/reception")).await;
    let calendar = text_of(&http, &node.url("/reception")).await;
    assert!(
        calendar.contains("2026-03-10 李市长 副市长") && calendar.contains("0 / 5"),
        "{calendar}"
    );
    let booked = http
        .post(node.url("/reception/book"))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("day", &day.id),
            ("name", "王小明"),
            ("phone", PHONE),
            ("matter", "工资被拖欠"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(booked.status(), 200);
    let page = booked.text().await.unwrap();
    assert!(
        page.contains("139****5678") && !page.contains(PHONE),
        "{page}"
    );
    let calendar = text_of(&http, &node.url("/reception")).await;
    assert!(calendar.contains("1 / 5"), "the place is taken");
}

#[tokio::test]
async fn rate_limits_count_each_citizen_behind_the_portal() {
    let node = Node::start_with(&[("public.calls_per_address_per_minute", "3")]).await;
    let http = reqwest::Client::new();
    // The ingress names each citizen's address; the portal passes it on to intake.
    let track = |citizen: &'static str| {
        http.get(node.url("/track?code=AAAAAAAAAAAA"))
            .header("x-forwarded-for", citizen)
            .send()
    };
    for _ in 0..3 {
        assert_eq!(
            track("203.0.113.1").await.unwrap().status(),
            404,
            "no such code"
        );
    }
    let limited = track("203.0.113.1").await.unwrap();
    assert_eq!(limited.status(), 429, "the fourth call in a minute");
    assert!(
        limited
            .text()
            .await
            .unwrap()
            .contains("calls from this address")
    );
    assert_eq!(
        track("203.0.113.2").await.unwrap().status(),
        404,
        "another citizen has calls of their own"
    );
}

#[tokio::test]
async fn the_leader_downloads_the_monthly_bulletin_and_the_annual_report() {
    let node = Node::start().await;
    let http = reqwest::Client::new();
    let session = format!("session={}", token_as("city-xfj", &["leader"]));
    for (path, name) in [
        ("/dashboard/bulletin?month=2026-03", "2026-03"),
        ("/dashboard/annual?year=2026", "2026"),
    ] {
        let file = http
            .get(node.url(path))
            .header("cookie", &session)
            .send()
            .await
            .unwrap();
        assert_eq!(file.status(), 200, "{path}");
        let disposition = file.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            disposition.starts_with("attachment;") && disposition.contains(name),
            "{disposition}"
        );
        let bytes = file.bytes().await.unwrap();
        assert!(bytes.starts_with(b"PK"), "{path} is an xlsx (a zip)");
    }
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let refused = anonymous
        .get(node.url("/dashboard/bulletin?month=2026-03"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 303, "to the login page");
}

#[tokio::test]
async fn open311_clients_post_and_read_requests_in_json_and_xml() {
    let node = Node::start().await;
    let http = reqwest::Client::new();
    let base = node.url("/open311/v2");

    let services = json_of(&http, &format!("{base}/services.json")).await;
    let wages = services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service_code"] == "020100")
        .expect("拖欠工资 is a service");
    assert_eq!(wages["service_name"], "拖欠工资");
    assert_eq!(wages["metadata"], true);
    let xml = text_of(&http, &format!("{base}/services.xml")).await;
    assert!(
        xml.starts_with("<?xml") && xml.contains("<service><service_code>020100</service_code>")
    );
    let definition = json_of(&http, &format!("{base}/services/020100.json")).await;
    let codes: Vec<&str> = definition["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["id_number", "region"]);

    // The spec's POST, with the two attributes a petition needs.
    let post = |id_number: String| {
        http.post(format!("{base}/requests.json")).form(&[
            ("api_key", "xyz".to_owned()),
            ("service_code", "020100".into()),
            ("address_string", "长江路 1 号工地".into()),
            ("first_name", "小明".into()),
            ("last_name", "王".into()),
            ("phone", PHONE.into()),
            ("description", "工地拖欠我三个月工资".into()),
            ("attribute[id_number]", id_number),
            ("attribute[region]", "340102001".into()),
        ])
    };
    let missing = post(String::new()).send().await.unwrap();
    assert_eq!(missing.status(), 400);
    let errors: serde_json::Value = missing.json().await.unwrap();
    assert!(
        errors[0]["description"]
            .as_str()
            .unwrap()
            .contains("id_number")
    );

    let created = post(resident_id(9)).send().await.unwrap();
    assert_eq!(created.status(), 201);
    let created: serde_json::Value = created.json().await.unwrap();
    let id = created[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        created[0]["service_notice"]
            .as_str()
            .unwrap()
            .contains("340100-2026-")
    );

    let read = json_of(&http, &format!("{base}/requests/{id}.json")).await;
    let request = &read[0];
    assert_eq!(request["service_request_id"], id.as_str());
    assert_eq!(request["status"], "open");
    assert_eq!(request["service_code"], "020100");
    assert_eq!(request["agency_responsible"], "东城区信访局");
    assert!(request["status_notes"].as_str().unwrap().contains("已登记"));
    assert!(
        request["requested_datetime"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    let body = read.to_string();
    assert!(!body.contains(&resident_id(9)) && !body.contains(PHONE));

    assert_eq!(
        request["expected_datetime"],
        serde_json::Value::Null,
        "no limit told yet"
    );

    // Forwarded to the township and accepted there: the request expects the handling limit,
    // the end of its due day in Beijing time, on the wire in UTC.
    let mut dispatch = DispatchServiceClient::connect(node.service("dispatch"))
        .await
        .unwrap();
    let case = eventually(20, || {
        let mut dispatch = dispatch.clone();
        async move {
            let listed = dispatch
                .list_cases(authed(ListCasesRequest::default(), &token("east-xfj")))
                .await
                .ok()?;
            listed.into_inner().cases.into_iter().next()
        }
    })
    .await
    .expect("dispatch opens the case");
    let petition_id = case.petition_id.clone();
    let forward = ForwardRequest {
        petition_id: petition_id.clone(),
        organ_code: "east-t1".into(),
        note: String::new(),
    };
    dispatch
        .forward(authed(forward, &token("east-xfj")))
        .await
        .unwrap();
    let accept = AcceptRequest {
        petition_id,
        notice_text: "已受理".into(),
    };
    let accepted = dispatch
        .accept(authed(accept, &token("east-t1")))
        .await
        .unwrap()
        .into_inner();
    let due = accepted.current_deadline.unwrap().due_date;
    let want = format!("{due}T15:59:59Z");
    let expected = eventually(20, || async {
        let read: serde_json::Value = http
            .get(format!("{base}/requests/{id}.json"))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        read[0]["expected_datetime"]
            .as_str()
            .filter(|e| *e == want)
            .map(str::to_owned)
    })
    .await;
    assert!(expected.is_some(), "intake follows the acceptance: {want}");

    let xml = text_of(
        &http,
        &format!("{base}/requests.xml?service_request_id={id}"),
    )
    .await;
    assert!(
        xml.contains(&format!(
            "<request><service_request_id>{id}</service_request_id><status>open</status>"
        )),
        "{xml}"
    );
    let token = json_of(&http, &format!("{base}/tokens/{id}.json")).await;
    assert_eq!(token[0]["service_request_id"], id.as_str());
    let unknown = http
        .get(format!("{base}/requests/AAAAAAAAAAAA.xml"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("<errors><error><code>404</code>")
    );
    let everyone = http
        .get(format!("{base}/requests.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        everyone.status(),
        400,
        "nobody lists other people's petitions"
    );
}
