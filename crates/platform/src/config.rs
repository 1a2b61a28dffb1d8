//! Layered configuration (architecture.md, Configuration): defaults in code, then
//! `config/default.toml`, then the file named by `XINFANG_CONFIG`, then `XINFANG__SECTION__KEY`
//! environment variables. A bad value stops start-up with a message naming the key.

use crate::keyring::parse_keys;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use xinfang_domain::clock::{Limit, LimitUnit, Limits};
use xinfang_domain::metrics::{Definitions, IndexWeights, Metric};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub node: NodeSettings,
    pub database: DatabaseSettings,
    pub events: EventSettings,
    pub listen: ListenSettings,
    pub auth: AuthSettings,
    pub public: PublicSettings,
    pub pii: PiiSettings,
    pub audit: AuditSettings,
    pub telemetry: TelemetrySettings,
    pub reference: ReferenceSettings,
    pub screening: ScreeningSettings,
    pub limits: LimitSettings,
    pub clock: ClockSettings,
    pub supervision: SupervisionSettings,
    pub input: InputSettings,
    pub exchange: ExchangeSettings,
    pub portal: PortalSettings,
}

/// The web portal (阳光信访 pages, the staff console, Open311): where it finds the services it
/// shows, and how its cookies are sent.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalSettings {
    /// The services' endpoints; empty: the address each listens on (`listen.*`), as in the
    /// embedded node.
    pub intake_url: String,
    pub dispatch_url: String,
    pub supervision_url: String,
    pub evaluation_url: String,
    pub jointmeeting_url: String,
    /// Cookies only over HTTPS (behind the ingress); off for a node tried on http://localhost.
    pub secure_cookies: bool,
    /// How long the embedded node's dev login lasts, in minutes (a real token brings its own
    /// expiry).
    pub dev_login_minutes: u64,
}

/// Whether this node's exchange service is a city's link to the province, or the province's hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExchangeRole {
    Node,
    Hub,
}

/// The province exchange (数据交换).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeSettings {
    pub role: ExchangeRole,
    /// The hub's endpoint (node role); empty: records are numbered and kept, nothing is pushed.
    pub hub_url: String,
    /// The node's credential at the hub (node role): a file holding a bearer token with the
    /// role `exchange` for the node's petition office, issued by the hub's identity provider.
    pub token_file: String,
    /// How often the node pushes, in milliseconds, and at most how many records per batch
    /// (the hub takes up to `input.items.records`, 1,000 by default).
    pub push_interval_ms: u64,
    pub batch: u32,
    /// The node's own intake (node role), where what the province assigns (省交办) is
    /// registered; empty: the node does not pull its downward queue.
    pub intake_url: String,
    /// The exchange's credential at its own node (node role): a bearer token with the role
    /// `exchange` for the node's petition office, issued by the node's identity provider.
    pub node_token_file: String,
    /// Mutual TLS of the link between node and hub.
    pub tls: LinkTls,
}

/// Mutual TLS of the province link, as PEM files (`xinfang certs` makes a dev set): the CA both
/// sides trust, and this side's certificate and key — the hub's server certificate, or a node's
/// client certificate naming its region (`340100.node.xinfang`). All empty: plain gRPC.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkTls {
    pub ca_file: String,
    pub cert_file: String,
    pub key_file: String,
}

impl LinkTls {
    pub fn enabled(&self) -> bool {
        !(self.ca_file.is_empty() && self.cert_file.is_empty() && self.key_file.is_empty())
    }
}

/// 督查督办 rules marked [default] in domain.md.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupervisionSettings {
    /// A warning this many days before a limit ends.
    pub warn_days_before: u32,
    /// The organ replies to a supervision order (督办单) within this limit.
    pub order_reply: LimitSetting,
    /// How often the watcher looks for items whose next check has come, in milliseconds.
    pub sweep_interval_ms: u64,
    /// A registered item without its case after this many minutes lost an event on its way to
    /// dispatch: the watcher reports it (and `xinfang check`).
    pub case_expected_within_minutes: u32,
    /// Weights of the metrics in the petition index (信访指数).
    pub index_weights: IndexWeights,
    /// The [default] readings of the metrics. After a change, `xinfang recount` rebuilds the
    /// kept counts.
    pub definitions: Definitions,
}

/// One statutory limit: its length and unit (`calendar_days` or `working_days`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSetting {
    pub days: u32,
    pub unit: LimitUnit,
}

/// The statutory limits (domain.md, Lifecycle). Some localities count in working days: the unit
/// of each is configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    pub triage: LimitSetting,
    pub acceptance: LimitSetting,
    pub objection: LimitSetting,
    pub handling: LimitSetting,
    /// One extension of the handling limit, at most this many calendar days (Art. 34).
    pub extension_cap_days: u32,
    pub review_window: LimitSetting,
    pub review_decision: LimitSetting,
    pub re_examination_window: LimitSetting,
    pub re_examination_decision: LimitSetting,
    /// [default] 30 days after the answer.
    pub evaluation_window: LimitSetting,
    /// [default] 回访: the organ revisits a dissatisfied petitioner within 15 days.
    pub revisit: LimitSetting,
}

impl LimitSetting {
    fn limit(self, name: &str) -> Limit {
        Limit::new(name, self.days, self.unit)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockSettings {
    /// The node's time zone, as hours east of UTC (China: 8). Dates of limits are local dates.
    pub utc_offset_hours: i32,
    /// Start the node's clock at this instant (RFC 3339) instead of now; it runs from there.
    pub start: Option<String>,
    /// Shift the node's clock by whole days (the embedded default's way to let time pass).
    pub offset_days: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSettings {
    /// The node's region (GB/T 2260), which prefixes its case numbers.
    pub region: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://data/xinfang.db?mode=rwc` or `postgres://user@host/db`.
    pub url: String,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventBackend {
    /// Kafka through the outbox relay (production, tests).
    Kafka,
    /// The outbox tables themselves are the log (the single-process embedded default).
    Sql,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSettings {
    pub backend: EventBackend,
    pub brokers: String,
    /// Run each service's outbox relay in its process (off where relays run on their own).
    pub relay_enabled: bool,
    /// How often the relay looks for unsent outbox rows, in milliseconds.
    pub relay_interval_ms: u64,
    pub relay_batch: u64,
    /// How long a consumer's handler may take on one event before it is parked, in
    /// milliseconds: well under Kafka's `max.poll.interval.ms` (300 s), so that one event never
    /// holds a partition.
    pub handler_time_limit_ms: u64,
    /// How many events a Kafka consumer applies at once, each petition's in order (events are
    /// spread over the lanes by petition): a consumer's transactions mostly wait on the
    /// database, and one at a time falls behind a busy intake. Each lane holds one database
    /// connection while it applies.
    pub consumer_lanes: u32,
    /// At most how many events a consumer applies in one transaction when they are waiting
    /// (a lane's queue, the embedded log's next rows): one commit, one flush of the database's
    /// log for all of them. Should one fail, that transaction is rolled back and each is
    /// applied alone. 1 applies every event in a transaction of its own.
    pub consumer_batch: u32,
    /// How long a Kafka broker may hold a consumer's fetch while it has nothing new, in
    /// milliseconds. Kafka answers as soon as data arrives; a broker that looks again only when
    /// the wait ends (tansu) adds up to this wait to every event's way (at librdkafka's 500 ms
    /// default, half a second from registration to case). Shorter means more fetches while idle.
    pub fetch_wait_ms: u64,
    /// Sent outbox rows and inbox rows are deleted after this many days (0: kept for ever). An
    /// inbox row must outlive every redelivery of its event: keep it longer than the topics'
    /// retention (Kafka's default, 7 days).
    pub retention_days: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenSettings {
    pub intake: SocketAddr,
    pub dispatch: SocketAddr,
    pub supervision: SocketAddr,
    pub evaluation: SocketAddr,
    pub jointmeeting: SocketAddr,
    pub exchange: SocketAddr,
    /// The portal's HTTP address.
    pub portal: SocketAddr,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// The `iss` tokens must carry.
    pub issuer: String,
    /// The `aud` tokens must carry.
    pub audience: String,
    /// The identity provider's public keys (JWKS): a file path or an https URL. Required outside
    /// the embedded node, which verifies the dev key it generates for itself.
    pub jwks: Option<String>,
    /// How often the JWKS is read again, in seconds.
    pub jwks_refresh_secs: u64,
    /// The embedded node's own signing key (made at its first start; `xinfang token` signs with
    /// it). Production services hold no signing key.
    pub dev_signing_key: PathBuf,
}

/// Limits of the citizen's own calls (no token), counted across replicas in the database.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicSettings {
    /// Any public call (tracking, submission) per client address and minute.
    pub calls_per_address_per_minute: u32,
    /// Online submissions per client address and hour.
    pub submissions_per_address_per_hour: u32,
    /// Online submissions naming the same person (ID number) per day.
    pub submissions_per_person_per_day: u32,
    /// Online submissions to the whole node per minute.
    pub submissions_per_minute: u32,
    /// Callers trusted to name the citizen's address (`x-forwarded-for`), as CIDR blocks: the
    /// portal, which relays the citizen's calls. Anyone else is counted by their own address.
    /// (A default: the config crate drops an empty list from the defaults' layer.)
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PiiSettings {
    /// AES-256-GCM keys that seal ID and phone numbers at rest, newest first:
    /// `id:base64,id:base64` (32 bytes each). New values are sealed with the first; every value
    /// names the key that sealed it, so an older key stays listed until `xinfang pii rotate`.
    pub seal_keys: String,
    /// HMAC keys of the look-up hash, newest first, the same way.
    pub hash_keys: String,
}

/// What a request may hold (issue #15), checked for every call of every service before its
/// handler runs (`input::Screen`): fields are named by their last part (`name` is a
/// petitioner's, an agent's and a list's name alike).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSettings {
    /// The largest request message, in bytes.
    pub max_message_bytes: usize,
    /// Characters of a text field not named in `chars`.
    pub max_chars: usize,
    /// Characters by field name.
    pub chars: BTreeMap<String, usize>,
    /// Fields that may hold line breaks and tabs; no other control character is taken anywhere.
    pub multiline: Vec<String>,
    /// Items of a list not named in `items`.
    pub max_items: usize,
    /// Items by list name (a group petition names at most `petitioners` people and counts the
    /// rest in `headcount`).
    pub items: BTreeMap<String, usize>,
    /// Inclusive range of integer fields by name.
    pub ranges: BTreeMap<String, [i64; 2]>,
    /// A call still waiting, being read or handled after this long is ended with
    /// DEADLINE_EXCEEDED.
    pub call_timeout_secs: u64,
    /// Calls one service handles at once; the next wait their turn (within the timeout).
    pub max_concurrent_calls: usize,
}

impl Default for InputSettings {
    fn default() -> Self {
        let chars = [
            ("content", 20_000),
            ("text", 5_000),
            ("notice_text", 5_000),
            ("reply_text", 5_000),
            ("reply", 5_000),
            ("summary", 5_000),
            ("analysis", 5_000),
            ("outcome", 5_000),
            ("evidence", 5_000),
            ("comment", 5_000),
            ("record", 20_000),
            ("findings", 5_000),
            ("corrections", 5_000),
            // A year's holiday arrangement (节假日安排) is a few hundred characters.
            ("calendar_toml", 20_000),
            // A city's organisation (组织机构): some 600 units within the message limit below.
            ("org_toml", 80_000),
            ("note", 2_000),
            ("reason", 2_000),
            ("title", 200),
            ("address", 200),
            ("organisation", 200),
            ("matter_key", 200),
            ("matter", 1_000),
            ("file_name", 255),
            ("storage_uri", 1_000),
            ("page_token", 256),
            ("idempotency_key", 128),
            ("name", 100),
            ("petitioner_name", 100),
            ("leader_name", 100),
            ("proxy_name", 100),
            ("display_name", 100),
            ("id_number", 64),
            ("phone", 32),
        ];
        let multiline = [
            "content",
            "text",
            "notice_text",
            "reply_text",
            "reply",
            "summary",
            "analysis",
            "outcome",
            "evidence",
            "comment",
            "record",
            "findings",
            "corrections",
            "calendar_toml",
            "org_toml",
            "note",
            "reason",
        ];
        Self {
            max_message_bytes: 256 * 1024,
            max_chars: 200,
            chars: chars.map(|(k, v)| (k.to_owned(), v)).into(),
            multiline: multiline.map(str::to_owned).into(),
            max_items: 100,
            // A province exchange batch (`exchange.batch` at most).
            items: [("petitioners", 50), ("attachments", 20), ("records", 1_000)]
                .map(|(k, v)| (k.to_owned(), v))
                .into(),
            ranges: [
                ("headcount", [0, 100_000]),
                ("page_size", [0, 500]),
                ("size_bytes", [0, 1 << 30]),
                ("year", [2000, 2100]),
                ("capacity", [0, 10_000]),
            ]
            .map(|(k, v)| (k.to_owned(), v))
            .into(),
            call_timeout_secs: 30,
            max_concurrent_calls: 64,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// HMAC keys that chain each aggregate's audit rows (审计日志), newest first, as
    /// `pii.hash_keys`: without the key nobody can rewrite a row and its successors unseen.
    /// An older key stays listed as long as rows linked with it are kept.
    pub chain_keys: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySettings {
    pub log_format: LogFormat,
    /// `RUST_LOG`-style filter.
    pub log_filter: String,
    /// OTLP/gRPC endpoint; traces and metrics are exported only when set.
    pub otlp_endpoint: Option<String>,
    pub service_name: String,
    /// How often metrics are exported, and the gauges read from the database are sampled.
    pub metrics_interval_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceSettings {
    /// Folder with `channels.toml`, `categories.toml` and `org.toml`; when unset the demo data
    /// built into the binary is used.
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreeningSettings {
    /// 重复信访: a closed item makes a new one a repeat within this many days [default 180].
    pub repeat_window_days: i64,
    /// 集体访: people on one matter from which it is a group petition.
    pub group_threshold: u32,
    pub litigation_keywords: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        let policy = xinfang_domain::screening::Policy::default();
        Self {
            node: NodeSettings {
                region: "340100".into(),
            },
            database: DatabaseSettings {
                url: "sqlite://data/xinfang.db?mode=rwc".into(),
                max_connections: 10,
            },
            events: EventSettings {
                backend: EventBackend::Sql,
                brokers: "127.0.0.1:9092".into(),
                relay_enabled: true,
                relay_interval_ms: 200,
                relay_batch: 500,
                handler_time_limit_ms: 60_000,
                consumer_lanes: 4,
                consumer_batch: 16,
                fetch_wait_ms: 20,
                retention_days: 14,
            },
            listen: ListenSettings {
                intake: "127.0.0.1:50051".parse().expect("static address"),
                dispatch: "127.0.0.1:50052".parse().expect("static address"),
                supervision: "127.0.0.1:50053".parse().expect("static address"),
                evaluation: "127.0.0.1:50054".parse().expect("static address"),
                jointmeeting: "127.0.0.1:50055".parse().expect("static address"),
                exchange: "127.0.0.1:50056".parse().expect("static address"),
                portal: "127.0.0.1:8080".parse().expect("static address"),
            },
            auth: AuthSettings {
                issuer: "xinfang".into(),
                audience: "xinfang".into(),
                jwks: None,
                jwks_refresh_secs: 300,
                dev_signing_key: "data/dev-signing-key.pem".into(),
            },
            public: PublicSettings {
                calls_per_address_per_minute: 30,
                submissions_per_address_per_hour: 20,
                submissions_per_person_per_day: 5,
                submissions_per_minute: 300,
                trusted_proxies: Vec::new(),
            },
            pii: PiiSettings {
                // Fixed demo keys for the embedded default only; production sets its own.
                seal_keys: "dev:ZW1iZWRkZWQtZGVmYXVsdC1zZWFsLWtleS0zMmJ5dGU=".into(),
                hash_keys: "dev:ZW1iZWRkZWQtZGVmYXVsdC1oYXNoLWtleS0zMmJ5dGU=".into(),
            },
            audit: AuditSettings {
                chain_keys: "dev:ZW1iZWRkZWQtZGVmYXVsdC1hdWRpdC1rZXktMzJieXQ=".into(),
            },
            telemetry: TelemetrySettings {
                log_format: LogFormat::Pretty,
                log_filter: "info".into(),
                otlp_endpoint: None,
                service_name: "xinfang".into(),
                metrics_interval_secs: 30,
            },
            reference: ReferenceSettings { dir: None },
            screening: ScreeningSettings {
                repeat_window_days: policy.repeat_window_days,
                group_threshold: policy.group_threshold,
                litigation_keywords: policy.litigation_keywords,
            },
            limits: LimitSettings {
                triage: calendar(15),
                acceptance: calendar(15),
                objection: LimitSetting {
                    days: 5,
                    unit: LimitUnit::WorkingDays,
                },
                handling: calendar(60),
                extension_cap_days: 30,
                review_window: calendar(30),
                review_decision: calendar(30),
                re_examination_window: calendar(30),
                re_examination_decision: calendar(30),
                evaluation_window: calendar(30),
                revisit: calendar(15),
            },
            clock: ClockSettings {
                utc_offset_hours: 8,
                start: None,
                offset_days: 0,
            },
            supervision: SupervisionSettings {
                warn_days_before: 3,
                order_reply: LimitSetting {
                    days: 5,
                    unit: LimitUnit::WorkingDays,
                },
                sweep_interval_ms: 1000,
                case_expected_within_minutes: 30,
                index_weights: [
                    (Metric::TimelyAcceptance, 0.2),
                    (Metric::OnTimeConclusion, 0.2),
                    (Metric::Satisfaction, 0.2),
                    (Metric::EvaluationParticipation, 0.1),
                    (Metric::RepeatRate, 0.1),
                    (Metric::FirstTimeOnePass, 0.1),
                    (Metric::BypassRate, 0.05),
                    (Metric::OnlineShare, 0.05),
                ]
                .into(),
                definitions: Definitions::default(),
            },
            input: InputSettings::default(),
            exchange: ExchangeSettings {
                role: ExchangeRole::Node,
                hub_url: String::new(),
                token_file: String::new(),
                push_interval_ms: 500,
                batch: 500,
                intake_url: String::new(),
                node_token_file: String::new(),
                tls: LinkTls::default(),
            },
            portal: PortalSettings {
                intake_url: String::new(),
                dispatch_url: String::new(),
                supervision_url: String::new(),
                evaluation_url: String::new(),
                jointmeeting_url: String::new(),
                secure_cookies: true,
                dev_login_minutes: 480,
            },
        }
    }
}

fn calendar(days: u32) -> LimitSetting {
    LimitSetting {
        days,
        unit: LimitUnit::CalendarDays,
    }
}

impl ScreeningSettings {
    pub fn policy(&self) -> xinfang_domain::screening::Policy {
        xinfang_domain::screening::Policy {
            repeat_window_days: self.repeat_window_days,
            group_threshold: self.group_threshold,
            litigation_keywords: self.litigation_keywords.clone(),
        }
    }
}

impl Settings {
    /// The statutory limits as the domain takes them, with the reply limit of a supervision
    /// order.
    pub fn limits(&self) -> Limits {
        let l = &self.limits;
        Limits {
            triage: l.triage.limit("triage"),
            acceptance: l.acceptance.limit("acceptance"),
            objection: l.objection.limit("objection"),
            handling: l.handling.limit("handling"),
            review_window: l.review_window.limit("review_window"),
            review_decision: l.review_decision.limit("review_decision"),
            re_examination_window: l.re_examination_window.limit("re_examination_window"),
            re_examination_decision: l.re_examination_decision.limit("re_examination_decision"),
            evaluation_window: l.evaluation_window.limit("evaluation_window"),
            revisit: l.revisit.limit("revisit"),
            order_reply: self.supervision.order_reply.limit("order_reply"),
            extension_cap_days: l.extension_cap_days,
        }
    }

    /// Loads the layers in order. `overrides` come last (command-line flags, tests).
    pub fn load(overrides: &[(&str, &str)]) -> Result<Self, config::ConfigError> {
        let mut builder = config::Config::builder()
            .add_source(config::Config::try_from(&Settings::default())?)
            .add_source(config::File::with_name("config/default").required(false));
        if let Ok(path) = std::env::var("XINFANG_CONFIG") {
            builder = builder.add_source(config::File::with_name(&path).required(true));
        }
        builder = builder.add_source(
            config::Environment::with_prefix("XINFANG")
                .prefix_separator("__")
                .separator("__")
                .list_separator(",")
                .with_list_parse_key("screening.litigation_keywords")
                .with_list_parse_key("public.trusted_proxies")
                .try_parsing(true),
        );
        for (key, value) in overrides {
            builder = builder.set_override(*key, *value)?;
        }
        let settings: Settings = builder.build()?.try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    /// The embedded default: the whole node in one process on SQLite, with its own dev keys.
    pub fn embedded(&self) -> bool {
        self.database.url.starts_with("sqlite:")
    }

    /// Outside the embedded node, no key the source code holds may protect anything: names the
    /// first such key.
    pub fn refuse_built_in_secrets(&self) -> Result<(), String> {
        if self.embedded() {
            return Ok(());
        }
        if self.auth.jwks.is_none() {
            return Err(
                "auth.jwks: outside the embedded node tokens are verified against the \
                 identity provider's public keys; set auth.jwks (a JWKS file or https URL)"
                    .into(),
            );
        }
        let built_in = Settings::default();
        for (key, value, default) in [
            (
                "pii.seal_keys",
                &self.pii.seal_keys,
                &built_in.pii.seal_keys,
            ),
            (
                "pii.hash_keys",
                &self.pii.hash_keys,
                &built_in.pii.hash_keys,
            ),
            (
                "audit.chain_keys",
                &self.audit.chain_keys,
                &built_in.audit.chain_keys,
            ),
        ] {
            let known = parse_keys(default, key).map_err(|e| e.to_string())?;
            let keys = parse_keys(value, key).map_err(|e| e.to_string())?;
            if keys
                .iter()
                .any(|(_, bytes)| known.iter().any(|(_, k)| k == bytes))
            {
                return Err(format!(
                    "{key}: the built-in key is for the embedded node only; generate one with \
                     `xinfang keys generate`"
                ));
            }
        }
        Ok(())
    }

    /// Rules between keys that types alone cannot say.
    fn validate(&self) -> Result<(), config::ConfigError> {
        // The SQL log reads outbox rows in id order, which is commit order only where writes are
        // serialised: one process on SQLite.
        if self.events.backend == EventBackend::Sql && !self.database.url.starts_with("sqlite:") {
            return Err(config::ConfigError::Message(
                "events.backend: \"sql\" is the embedded node's log and needs a SQLite database.url; \
                 with PostgreSQL use \"kafka\""
                    .into(),
            ));
        }
        crate::public_calls::TrustedProxies::parse(&self.public.trusted_proxies)
            .map_err(|e| config::ConfigError::Message(format!("public.trusted_proxies: {e}")))?;
        if self.events.consumer_lanes == 0 {
            return Err(config::ConfigError::Message(
                "events.consumer_lanes: at least 1 (events applied at once by a consumer)".into(),
            ));
        }
        if self.events.consumer_batch == 0 {
            return Err(config::ConfigError::Message(
                "events.consumer_batch: at least 1 (events applied in one transaction)".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load_and_overrides_win() {
        let settings = Settings::load(&[("node.region", "340200")]).unwrap();
        assert_eq!(settings.node.region, "340200");
        assert_eq!(settings.events.backend, EventBackend::Sql);
        assert_eq!(
            settings.limits(),
            Limits::default(),
            "the defaults are the law's"
        );
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let err = Settings::load(&[("listen.intake", "not-an-address")]).unwrap_err();
        assert!(err.to_string().contains("listen.intake"), "{err}");
        let err = Settings::load(&[("events.backend", "carrier-pigeon")]).unwrap_err();
        assert!(err.to_string().contains("events.backend"), "{err}");
        let err = Settings::load(&[("limits.handling.unit", "fortnights")]).unwrap_err();
        assert!(err.to_string().contains("limits.handling.unit"), "{err}");
        let err = Settings::load(&[("database.url", "postgres://db/xinfang")]).unwrap_err();
        assert!(err.to_string().contains("events.backend"), "{err}");
        let err = Settings::load(&[("events.consumer_lanes", "0")]).unwrap_err();
        assert!(err.to_string().contains("events.consumer_lanes"), "{err}");
        let err = Settings::load(&[("events.consumer_batch", "0")]).unwrap_err();
        assert!(err.to_string().contains("events.consumer_batch"), "{err}");
    }
}
