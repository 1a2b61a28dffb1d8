//! The audit log (审计日志): one append-only row per event of every aggregate, with who, when,
//! which aggregate and version, and a detail that holds masked values only.
//!
//! Each aggregate's rows form a chain: a row's `hash` is an HMAC, under the newest
//! `audit.chain_keys` key, of the hash of the aggregate's row before it (`prev_hash`, empty for
//! the first) and of the row's own fields. Editing a row breaks its hash; deleting, inserting
//! or moving a row breaks the link of the row after it; deleting the last rows leaves the
//! aggregate's version ahead of its log. Without the key nobody can link rows again to hide it.
//! Rows written before the chain existed (no hash) are accepted at the start of a log only.

use crate::writes::Writes;
use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbErr, QueryResult, Statement};
use std::collections::HashSet;
use xinfang_platform::config::AuditSettings;
use xinfang_platform::keyring::{KeyError, hmac_hex, parse_keys};

/// One audit row.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub at: DateTime<Utc>,
    pub actor: &'a str,
    pub unit: &'a str,
    pub action: &'a str,
    /// The aggregate's stream, `case/<id>`.
    pub aggregate: &'a str,
    pub version: i64,
    pub detail: serde_json::Value,
}

/// The keys that link audit rows, newest first.
#[derive(Clone)]
pub struct AuditChain {
    keys: Vec<(String, Vec<u8>)>,
}

impl std::fmt::Debug for AuditChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditChain(..)")
    }
}

/// A row's fields as stored, in the order they are hashed.
struct Linked<'a> {
    at: DateTime<Utc>,
    actor: &'a str,
    unit: &'a str,
    action: &'a str,
    aggregate: &'a str,
    version: i64,
    detail: &'a str,
}

impl Linked<'_> {
    /// An unambiguous encoding of the link: a JSON array of the previous hash and the fields.
    fn message(&self, prev: &str) -> Vec<u8> {
        serde_json::json!([
            prev,
            self.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            self.actor,
            self.unit,
            self.action,
            self.aggregate,
            self.version,
            self.detail,
        ])
        .to_string()
        .into_bytes()
    }
}

impl AuditChain {
    pub fn new(settings: &AuditSettings) -> Result<Self, KeyError> {
        Ok(Self {
            keys: parse_keys(&settings.chain_keys, "audit.chain_keys")?,
        })
    }

    /// `kid:hex` of the row after `prev`, under the newest key.
    fn link(&self, prev: &str, row: &Linked<'_>) -> String {
        let (id, key) = &self.keys[0];
        format!("{id}:{}", hmac_hex(key, &row.message(prev)))
    }

    /// Whether `hash` is the link of `row` after `prev`, under the key it names.
    fn holds(&self, prev: &str, row: &Linked<'_>, hash: &str) -> Result<bool, String> {
        let (id, _) = hash.split_once(':').unwrap_or(("", hash));
        let (_, key) = self
            .keys
            .iter()
            .find(|(k, _)| k == id)
            .ok_or_else(|| id.to_owned())?;
        Ok(format!("{id}:{}", hmac_hex(key, &row.message(prev))) == hash)
    }
}

/// The stored fields of a row, the hashed ones and its links.
const COLUMNS: [&str; 9] = [
    "occurred_at",
    "actor",
    "org_unit",
    "action",
    "aggregate",
    "version",
    "detail",
    "prev_hash",
    "hash",
];

fn table(service: &str) -> Alias {
    Alias::new(table_name(service))
}

fn table_name(service: &str) -> String {
    format!("{service}_audit")
}

/// The hash of the last row of `aggregate`'s log ("" when it has none, or none chained).
pub async fn head(
    db: &impl ConnectionTrait,
    service: &str,
    aggregate: &str,
) -> Result<String, DbErr> {
    Ok(
        match db.query_one(&head_select(service, aggregate)).await? {
            Some(row) => row
                .try_get::<Option<String>>("", "hash")?
                .unwrap_or_default(),
            None => String::new(),
        },
    )
}

/// The query [`head`] runs: `aggregate`'s last row's `hash`, no row when its log is empty.
pub fn head_select(service: &str, aggregate: &str) -> SelectStatement {
    Query::select()
        .column("hash")
        .from(table(service))
        .and_where(Expr::col("aggregate").eq(aggregate))
        .order_by("version", Order::Desc)
        .order_by("id", Order::Desc)
        .limit(1)
        .to_owned()
}

/// Adds `entry` after the row whose hash is `prev`; returns the new row's hash.
pub fn append(
    writes: &mut Writes<'_>,
    service: &str,
    chain: &AuditChain,
    prev: &str,
    entry: AuditEntry<'_>,
) -> String {
    // Stored to the microsecond, as PostgreSQL keeps it, so the hash reads back the same.
    let at = entry.at.trunc_subsecs(6);
    let detail = entry.detail.to_string();
    let hash = chain.link(
        prev,
        &Linked {
            at,
            actor: entry.actor,
            unit: entry.unit,
            action: entry.action,
            aggregate: entry.aggregate,
            version: entry.version,
            detail: &detail,
        },
    );
    writes.add(
        table_name(service),
        Query::insert()
            .into_table(table(service))
            .columns(COLUMNS)
            .values_panic([
                at.into(),
                entry.actor.into(),
                entry.unit.into(),
                entry.action.into(),
                entry.aggregate.into(),
                entry.version.into(),
                detail.into(),
                prev.into(),
                hash.clone().into(),
            ])
            .to_owned(),
    );
    hash
}

/// Where a service keeps one kind of aggregate, for comparing its version with its log.
#[derive(Debug, Clone, Copy)]
pub struct Audited {
    /// The kind in stream names: `case`.
    pub kind: &'static str,
    pub table: &'static str,
    /// SQL giving the id in the stream name from the table's row `t`: `t.petition_id`.
    pub id: &'static str,
}

/// The first break found in one aggregate's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// The stream, `case/<id>`.
    pub aggregate: String,
    /// The version of the row where the log breaks.
    pub version: i64,
    pub what: String,
}

/// What `verify` found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Verified {
    pub rows: u64,
    pub aggregates: u64,
    /// Rows from before the chain existed: kept, but nothing shows whether they were changed.
    pub unchained: u64,
    pub breaks: Vec<Break>,
}

/// How many rows `verify` reads at a time.
const PAGE: u64 = 2000;

/// Checks every link of `service`'s audit log, and that each aggregate in `audited` is at the
/// version its log ends at. Reports the first break of each aggregate.
pub async fn verify(
    db: &impl ConnectionTrait,
    service: &str,
    chain: &AuditChain,
    audited: &[Audited],
) -> Result<Verified, DbErr> {
    let mut found = Verified::default();
    let mut walk = Walk::default();
    let mut after: Option<(String, i64, i64)> = None;
    loop {
        let mut select = Query::select()
            .column("id")
            .columns(COLUMNS)
            .from(table(service))
            .order_by("aggregate", Order::Asc)
            .order_by("version", Order::Asc)
            .order_by("id", Order::Asc)
            .limit(PAGE)
            .to_owned();
        if let Some((aggregate, version, id)) = &after {
            let (a, v, i) = (
                Expr::col("aggregate"),
                Expr::col("version"),
                Expr::col("id"),
            );
            select.and_where(
                a.clone().gt(aggregate.as_str()).or(a
                    .eq(aggregate.as_str())
                    .and(v.clone().gt(*version).or(v.eq(*version).and(i.gt(*id))))),
            );
        }
        let rows = db.query_all(&select).await?;
        for row in &rows {
            walk.step(chain, row, &mut found)?;
        }
        match rows.last() {
            Some(last) if rows.len() as u64 == PAGE => {
                after = Some((
                    last.try_get("", "aggregate")?,
                    last.try_get("", "version")?,
                    last.try_get("", "id")?,
                ));
            }
            _ => break,
        }
    }
    for kind in audited {
        behind(db, service, kind, &mut found).await?;
    }
    Ok(found)
}

/// The walk through one log after another, in order.
#[derive(Default)]
struct Walk {
    aggregate: String,
    /// The hash of the aggregate's last chained row ("" before its first).
    prev: String,
    broken: bool,
}

impl Walk {
    fn step(
        &mut self,
        chain: &AuditChain,
        row: &QueryResult,
        found: &mut Verified,
    ) -> Result<(), DbErr> {
        let aggregate: String = row.try_get("", "aggregate")?;
        let version: i64 = row.try_get("", "version")?;
        found.rows += 1;
        if aggregate != self.aggregate {
            found.aggregates += 1;
            *self = Walk {
                aggregate: aggregate.clone(),
                ..Walk::default()
            };
        }
        if self.broken {
            return Ok(());
        }
        let hash: Option<String> = row.try_get("", "hash")?;
        let prev_hash: Option<String> = row.try_get("", "prev_hash")?;
        let broke = |what: String| Break {
            aggregate: aggregate.clone(),
            version,
            what,
        };
        let Some(hash) = hash else {
            if self.prev.is_empty() {
                found.unchained += 1;
            } else {
                self.broken = true;
                found.breaks.push(broke(
                    "the row has no hash though the rows before it have (its hash was removed)"
                        .into(),
                ));
            }
            return Ok(());
        };
        let (actor, unit, action, detail): (String, String, String, String) = (
            row.try_get("", "actor")?,
            row.try_get("", "org_unit")?,
            row.try_get("", "action")?,
            row.try_get("", "detail")?,
        );
        let linked = Linked {
            at: row.try_get("", "occurred_at")?,
            actor: &actor,
            unit: &unit,
            action: &action,
            aggregate: &aggregate,
            version,
            detail: &detail,
        };
        let what = if prev_hash.as_deref().unwrap_or_default() != self.prev {
            Some(
                "the row does not follow the row before it (a row was deleted, inserted or moved)"
                    .to_owned(),
            )
        } else {
            match chain.holds(&self.prev, &linked, &hash) {
                Ok(true) => None,
                Ok(false) => Some("the row does not match its hash (it was changed)".to_owned()),
                Err(id) => Some(format!(
                    "the row was linked with key {id:?}, which audit.chain_keys does not list"
                )),
            }
        };
        match what {
            Some(what) => {
                self.broken = true;
                found.breaks.push(broke(what));
            }
            None => self.prev = hash,
        }
        Ok(())
    }
}

/// Aggregates of `kind` whose version is ahead of (or behind) the end of their log.
async fn behind(
    db: &impl ConnectionTrait,
    service: &str,
    kind: &Audited,
    found: &mut Verified,
) -> Result<(), DbErr> {
    let sql = format!(
        "SELECT '{k}/' || {id} AS aggregate, t.version AS version, h.last AS last \
         FROM {table} t LEFT JOIN (SELECT aggregate, MAX(version) AS last FROM {service}_audit \
         GROUP BY aggregate) h ON h.aggregate = '{k}/' || {id} \
         WHERE COALESCE(h.last, 0) <> t.version ORDER BY 1",
        k = kind.kind,
        id = kind.id,
        table = kind.table,
    );
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    // An aggregate whose chain already broke is told once, at its first break.
    let broken: HashSet<String> = found.breaks.iter().map(|b| b.aggregate.clone()).collect();
    for row in rows {
        let aggregate: String = row.try_get("", "aggregate")?;
        let version: i64 = row.try_get("", "version")?;
        let last: Option<i64> = row.try_get("", "last")?;
        if broken.contains(&aggregate) {
            continue;
        }
        found.breaks.push(Break {
            aggregate,
            version,
            what: match last {
                Some(last) if last < version => format!(
                    "the aggregate is at version {version} but its log ends at version {last} \
                     (its last rows were deleted)"
                ),
                Some(last) => format!(
                    "the aggregate is at version {version} but its log goes on to version {last}"
                ),
                None => format!(
                    "the aggregate is at version {version} but has no audit rows (they were deleted)"
                ),
            },
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use xinfang_platform::keyring::generate;

    fn chain(keys: &str) -> AuditChain {
        AuditChain::new(&AuditSettings {
            chain_keys: keys.into(),
        })
        .unwrap()
    }

    fn row(detail: &str) -> Linked<'_> {
        Linked {
            at: DateTime::from_timestamp(1_790_000_000, 123_456_000).unwrap(),
            actor: "u1",
            unit: "east-t1",
            action: "registered",
            aggregate: "petition/p1",
            version: 1,
            detail,
        }
    }

    #[test]
    fn a_link_holds_for_its_row_after_its_predecessor_only() {
        let c = chain(&generate("a1"));
        let hash = c.link("", &row("{}"));
        assert!(hash.starts_with("a1:"));
        assert_eq!(c.holds("", &row("{}"), &hash), Ok(true));
        assert_eq!(c.holds("", &row("{\"x\":1}"), &hash), Ok(false));
        assert_eq!(c.holds("a1:00", &row("{}"), &hash), Ok(false));
    }

    #[test]
    fn links_made_with_an_older_key_hold_while_it_is_listed() {
        let (old, new) = (generate("a1"), generate("a2"));
        let hash = chain(&old).link("", &row("{}"));
        assert_eq!(
            chain(&format!("{new},{old}")).holds("", &row("{}"), &hash),
            Ok(true)
        );
        assert_eq!(
            chain(&new).holds("", &row("{}"), &hash),
            Err("a1".to_owned())
        );
    }

    #[test]
    fn another_key_cannot_forge_a_link() {
        let (real, forged) = (chain(&generate("a1")), chain(&generate("a1")));
        let hash = forged.link("", &row("{}"));
        assert_eq!(real.holds("", &row("{}"), &hash), Ok(false));
    }
}
