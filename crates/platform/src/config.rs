//! Layered configuration (architecture.md, Configuration): defaults in code, then
//! `config/default.toml`, then the file named by `XINFANG_CONFIG`, then `XINFANG__SECTION__KEY`
//! environment variables. A bad value stops start-up with a message naming the key.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub node: NodeSettings,
    pub database: DatabaseSettings,
    pub events: EventSettings,
    pub listen: ListenSettings,
    pub auth: AuthSettings,
    pub pii: PiiSettings,
    pub telemetry: TelemetrySettings,
    pub reference: ReferenceSettings,
    pub screening: ScreeningSettings,
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
    /// How often the relay looks for unsent outbox rows, in milliseconds.
    pub relay_interval_ms: u64,
    pub relay_batch: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenSettings {
    pub intake: SocketAddr,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// HS256 secret shared with the identity provider. The default is for the embedded node only.
    pub jwt_secret: String,
    pub issuer: String,
    /// Calls without a token (citizens) allowed per client address and minute.
    pub public_calls_per_minute: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PiiSettings {
    /// Base64 of 32 bytes: the AES-256-GCM key that seals ID and phone numbers at rest.
    pub seal_key: String,
    /// Base64 of 32 bytes: the HMAC key of the look-up hash.
    pub hash_key: String,
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
    /// OTLP/gRPC endpoint; traces are exported only when set.
    pub otlp_endpoint: Option<String>,
    pub service_name: String,
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
                relay_interval_ms: 200,
                relay_batch: 500,
            },
            listen: ListenSettings {
                intake: "127.0.0.1:50051".parse().expect("static address"),
            },
            auth: AuthSettings {
                jwt_secret: "embedded-node-only-change-me".into(),
                issuer: "xinfang".into(),
                public_calls_per_minute: 30,
            },
            pii: PiiSettings {
                // Fixed demo keys for the embedded default only; production sets its own.
                seal_key: "ZW1iZWRkZWQtZGVmYXVsdC1zZWFsLWtleS0zMmJ5dGU=".into(),
                hash_key: "ZW1iZWRkZWQtZGVmYXVsdC1oYXNoLWtleS0zMmJ5dGU=".into(),
            },
            telemetry: TelemetrySettings {
                log_format: LogFormat::Pretty,
                log_filter: "info".into(),
                otlp_endpoint: None,
                service_name: "xinfang".into(),
            },
            reference: ReferenceSettings { dir: None },
            screening: ScreeningSettings {
                repeat_window_days: policy.repeat_window_days,
                group_threshold: policy.group_threshold,
                litigation_keywords: policy.litigation_keywords,
            },
        }
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
                .try_parsing(true),
        );
        for (key, value) in overrides {
            builder = builder.set_override(*key, *value)?;
        }
        builder.build()?.try_deserialize()
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
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let err = Settings::load(&[("listen.intake", "not-an-address")]).unwrap_err();
        assert!(err.to_string().contains("listen.intake"), "{err}");
        let err = Settings::load(&[("events.backend", "carrier-pigeon")]).unwrap_err();
        assert!(err.to_string().contains("events.backend"), "{err}");
    }
}
