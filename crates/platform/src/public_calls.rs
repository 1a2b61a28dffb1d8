//! The citizen's own calls (online submission, tracking by query code, evaluation, booking a
//! leader's reception) need no token, so they are limited: per client address, per person (the
//! ID number's look-up hash) and for the whole node, counted per window in the service's database, so that every replica
//! holds the same count. A window's limit holds across its boundary too: the calls of the
//! previous window still count for the part of it that lies within the last `window` (a sliding
//! estimate), so a flood that starts just before the hour does not get the hour's limit twice. A call over a limit is refused with RESOURCE_EXHAUSTED, the reason
//! `XF_RATE_LIMITED` and the time to wait (`google.rpc.RetryInfo`).

use crate::config::PublicSettings;
use chrono::Utc;
use ipnet::IpNet;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;
use tonic::{Code, Request, Status};
use tonic_types::{ErrorDetails, StatusExt};
use xinfang_domain::Reason;

/// One limit: at most `calls` in each window of `window`.
#[derive(Debug, Clone)]
pub struct Limit {
    /// What is counted: `track:addr:1.2.3.4`, `submit:person:<hash>`, `submit:node`.
    pub bucket: String,
    pub calls: u32,
    pub window: Duration,
    /// What the person is told is limited.
    pub what: &'static str,
}

#[derive(Clone)]
pub struct PublicLimits {
    db: DatabaseConnection,
    table: Alias,
    pub settings: PublicSettings,
    trusted_proxies: TrustedProxies,
}

/// The header by which a trusted proxy (the portal) names the citizen's address.
pub const FORWARDED_FOR: &str = "x-forwarded-for";

/// The callers trusted to name the citizen's address (`public.trusted_proxies`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// `public.trusted_proxies` as networks, or the entry that is not one.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        entries
            .iter()
            .map(|e| {
                let e = e.trim();
                e.parse::<IpNet>()
                    .or_else(|_| e.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{e:?} is neither an address nor a CIDR block"))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// The client's address: the peer's, or, when the peer is trusted, the first address its
    /// `x-forwarded-for` names.
    pub fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if !self.0.iter().any(|net| net.contains(&peer)) {
            return peer;
        }
        forwarded_for
            .and_then(|v| v.split(',').next())
            .and_then(|first| first.trim().parse().ok())
            .unwrap_or(peer)
    }
}

impl PublicLimits {
    /// The limits of `service`, counted in its `<service>_rate_limit` table.
    pub fn new(db: DatabaseConnection, service: &str, settings: &PublicSettings) -> Self {
        Self {
            db,
            table: Alias::new(format!("{service}_rate_limit")),
            settings: settings.clone(),
            // Checked when the settings load.
            trusted_proxies: TrustedProxies::parse(&settings.trusted_proxies).unwrap_or_default(),
        }
    }

    /// The address a request came from: the caller's, or, from a trusted proxy, the first
    /// address it names (unknown: all unknown callers share one count).
    pub fn address<T>(&self, request: &Request<T>) -> IpAddr {
        let peer = request
            .remote_addr()
            .map(|a| a.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let forwarded = request.metadata().get(FORWARDED_FOR);
        self.trusted_proxies
            .client(peer, forwarded.and_then(|v| v.to_str().ok()))
    }

    /// `calls_per_address_per_minute` calls of one kind from one address.
    fn per_address(&self, kind: &str, from: IpAddr) -> Vec<Limit> {
        vec![Limit {
            bucket: format!("{kind}:addr:{from}"),
            calls: self.settings.calls_per_address_per_minute,
            window: Duration::from_secs(60),
            what: "calls from this address",
        }]
    }

    /// Tracking by query code: per address and minute (enough for a person, too few to guess).
    pub fn tracking(&self, from: IpAddr) -> Vec<Limit> {
        self.per_address("track", from)
    }

    /// The citizen's evaluation with the query code and the SMS link's token: per address and
    /// minute, as tracking.
    pub fn evaluation(&self, from: IpAddr) -> Vec<Limit> {
        self.per_address("evaluate", from)
    }

    /// A booking of a leader's reception (约访): per address and minute, as tracking.
    pub fn booking(&self, from: IpAddr) -> Vec<Limit> {
        self.per_address("book", from)
    }

    /// An online submission: per address (a minute and an hour), per person (a day), and for the
    /// node (a minute).
    pub fn submission(&self, from: IpAddr, people: &[String]) -> Vec<Limit> {
        let s = &self.settings;
        let mut limits = vec![
            Limit {
                bucket: format!("submit:addr:{from}"),
                calls: s.calls_per_address_per_minute,
                window: Duration::from_secs(60),
                what: "calls from this address",
            },
            Limit {
                bucket: format!("submit:addr-hour:{from}"),
                calls: s.submissions_per_address_per_hour,
                window: Duration::from_secs(3600),
                what: "submissions from this address",
            },
            Limit {
                bucket: "submit:node".into(),
                calls: s.submissions_per_minute,
                window: Duration::from_secs(60),
                what: "online submissions to this office",
            },
        ];
        limits.extend(people.iter().map(|hash| Limit {
            bucket: format!("submit:person:{hash}"),
            calls: s.submissions_per_person_per_day,
            window: Duration::from_secs(86_400),
            what: "submissions by this person",
        }));
        limits
    }

    /// Counts one call against each limit; refuses it when one is exceeded.
    pub async fn check(&self, limits: &[Limit]) -> Result<(), Status> {
        let now = Utc::now().timestamp();
        for limit in limits {
            let window = Ord::max(limit.window.as_secs(), 1) as i64;
            let start = now - now.rem_euclid(window);
            let counting = |e| crate::error::internal("counting public calls", e);
            let current = self.count(&limit.bucket, start).await.map_err(counting)?;
            let previous = self
                .counted(&limit.bucket, start - window)
                .await
                .map_err(counting)?;
            if sliding(current, previous, now - start, window) > f64::from(limit.calls) {
                let wait = Duration::from_secs(Ord::max(start + window - now, 1) as u64);
                return Err(refused(limit, wait));
            }
        }
        if rand::random::<u16>() < 64 {
            self.prune(now).await.ok();
        }
        Ok(())
    }

    async fn count(&self, bucket: &str, window_start: i64) -> Result<i64, DbErr> {
        let upsert = Query::insert()
            .into_table(self.table.clone())
            .columns(["bucket", "window_start", "calls"])
            .values_panic([bucket.into(), window_start.into(), 1i64.into()])
            .on_conflict(
                OnConflict::columns(["bucket", "window_start"])
                    .value(
                        "calls",
                        Expr::col((self.table.clone(), Alias::new("calls"))).add(1),
                    )
                    .to_owned(),
            )
            .returning_col("calls")
            .to_owned();
        let row = self
            .db
            .query_one(&upsert)
            .await?
            .ok_or_else(|| DbErr::Custom("the count returned no row".into()))?;
        row.try_get("", "calls")
    }

    /// The calls counted in the window that began at `window_start` (0 when none).
    async fn counted(&self, bucket: &str, window_start: i64) -> Result<i64, DbErr> {
        let select = Query::select()
            .column("calls")
            .from(self.table.clone())
            .and_where(Expr::col("bucket").eq(bucket))
            .and_where(Expr::col("window_start").eq(window_start))
            .to_owned();
        match self.db.query_one(&select).await? {
            Some(row) => row.try_get("", "calls"),
            None => Ok(0),
        }
    }

    /// Windows of more than a day ago are of no use any more.
    async fn prune(&self, now: i64) -> Result<(), DbErr> {
        let delete = Query::delete()
            .from_table(self.table.clone())
            .and_where(Expr::col("window_start").lt(now - 2 * 86_400))
            .to_owned();
        self.db.execute(&delete).await.map(drop)
    }
}

/// The calls of the last `window` seconds, estimated from this window's count (`into` seconds
/// in) and the previous window's, of which the part not yet slid past still counts.
fn sliding(current: i64, previous: i64, into: i64, window: i64) -> f64 {
    let still = (window - into).clamp(0, window) as f64 / window as f64;
    current as f64 + previous as f64 * still
}

fn refused(limit: &Limit, wait: Duration) -> Status {
    let mut details = ErrorDetails::new();
    details.set_error_info(
        Reason::RateLimited.code(),
        crate::error::ERROR_DOMAIN,
        HashMap::from([("limit".to_owned(), limit.what.to_owned())]),
    );
    details.set_retry_info(Some(wait));
    Status::with_error_details(
        Code::ResourceExhausted,
        format!(
            "too many {}: at most {} in {} s; try again in {} s",
            limit.what,
            limit.calls,
            limit.window.as_secs(),
            wait.as_secs()
        ),
        details,
    )
}

#[cfg(test)]
mod tests {
    use super::{TrustedProxies, sliding};

    #[test]
    fn only_a_trusted_proxy_names_the_citizens_address() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8".into(), "127.0.0.1".into()]).unwrap();
        let citizen = Some("203.0.113.7, 10.1.2.3");
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        assert_eq!(proxies.client(ip("10.4.0.9"), citizen), ip("203.0.113.7"));
        assert_eq!(proxies.client(ip("127.0.0.1"), citizen), ip("203.0.113.7"));
        assert_eq!(
            proxies.client(ip("198.51.100.1"), citizen),
            ip("198.51.100.1"),
            "anyone else is counted by their own address"
        );
        assert_eq!(proxies.client(ip("10.4.0.9"), Some("junk")), ip("10.4.0.9"));
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
    }

    #[test]
    fn a_flood_across_a_window_boundary_meets_the_limit_of_one_window() {
        // 20 allowed an hour; 20 came in the last second of the hour before.
        assert!(
            sliding(1, 20, 0, 3600) > 20.0,
            "the first call after the hour is refused"
        );
        assert!(
            sliding(1, 20, 1800, 3600) <= 20.0 + 1e-9,
            "half an hour on, half of them count"
        );
        assert!(
            sliding(21, 0, 10, 3600) > 20.0,
            "within one window the count alone decides"
        );
        assert_eq!(sliding(5, 0, 3599, 3600), 5.0);
    }
}
