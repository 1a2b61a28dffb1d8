//! The metrics' counts, kept up to date from each item's change: an item's contributions
//! (`xinfang_domain::metrics::contributions`) before and after the change are compared, and only
//! the difference is added, per day and per month, for each grouping — in the transaction of the
//! change (the write path's projection), so exact under redelivery and concurrent writers.
//! `rebuild` recomputes all of it from the items in one transaction while services run (after a
//! change of a [default] definition); `verify` compares the kept counts with a recount. A
//! negative count is an error, never clamped.

use crate::entity::item;
use crate::metrics::{Dimension, MetricQuery};
use crate::repository::item_from_row;
use chrono::{Datelike, Months, NaiveDate};
use futures::TryStreamExt;
use sea_orm::sea_query::{
    Alias, Cond, Expr, ExprTrait, Func, InsertStatement, OnConflict, Query, SimpleExpr,
};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
    QueryResult, StreamTrait, TransactionTrait, sqlx,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use xinfang_domain::metrics::{Contribution, DateBasis, Definitions, Metric, Ratio, contributions};
use xinfang_domain::supervision::Item;
use xinfang_platform::database;
use xinfang_store::Writes;

const TABLE: &str = "supervision_metric_count";
const KEY: [&str; 8] = [
    "dimension",
    "basis",
    "grain",
    "bucket",
    "metric",
    "part",
    "grp",
    "region",
];

/// A contribution with the item's groups.
type Keyed = (Contribution, String, String, String);

fn keyed(i: &Item, definitions: &Definitions) -> Vec<Keyed> {
    let organ = i.organ.clone().unwrap_or_default();
    contributions(&i.facts(), definitions)
        .into_iter()
        .map(|c| (c, i.region.clone(), organ.clone(), i.channel.clone()))
        .collect()
}

/// A kept count's key: dimension, basis, grain, bucket, metric, part, group, region.
type Key = [String; 8];

/// The rows one contribution counts in: day and month, by region, organ and channel.
fn rows(key: &Keyed) -> impl Iterator<Item = Key> + '_ {
    let (c, region, organ, channel) = key;
    let grains = [
        ("day", c.date.to_string()),
        ("month", c.date.format("%Y-%m").to_string()),
    ];
    grains.into_iter().flat_map(move |(grain, bucket)| {
        [("region", region), ("organ", organ), ("channel", channel)].map(|(dimension, grp)| {
            [
                dimension.to_owned(),
                c.basis.as_str().to_owned(),
                grain.to_owned(),
                bucket.clone(),
                c.metric.as_str().to_owned(),
                if c.numerator { "n" } else { "d" }.to_owned(),
                grp.clone(),
                region.clone(),
            ]
        })
    })
}

/// Adds `deltas` to the kept counts.
async fn add(db: &impl ConnectionTrait, deltas: &BTreeMap<Key, i64>) -> Result<(), DbErr> {
    for upsert in upserts(deltas) {
        db.execute(&upsert).await?;
    }
    Ok(())
}

/// The statements that add `deltas` to the kept counts, in key order (concurrent writers then
/// lock rows in the same order and do not deadlock).
fn upserts(deltas: &BTreeMap<Key, i64>) -> Vec<InsertStatement> {
    let rows: Vec<_> = deltas.iter().filter(|(_, n)| **n != 0).collect();
    rows.chunks(500)
        .map(|chunk| {
            let mut insert = Query::insert();
            insert
                .into_table(Alias::new(TABLE))
                .columns(KEY.iter().copied().chain(["n"]).map(Alias::new));
            for (key, n) in chunk {
                insert.values_panic(key.iter().map(|v| v.clone().into()).chain([(**n).into()]));
            }
            insert.on_conflict(
                OnConflict::columns(KEY.map(Alias::new))
                    .value(
                        Alias::new("n"),
                        Expr::cust(format!("{TABLE}.n + excluded.n")),
                    )
                    .to_owned(),
            );
            insert
        })
        .collect()
}

/// Adds the difference an item's change makes to the counts, with the change's other rows
/// (one statement with them on PostgreSQL, one script on SQLite: no round trip of its own).
pub fn apply_change(
    writes: &mut Writes<'_>,
    definitions: &Definitions,
    before: Option<&Item>,
    after: &Item,
) {
    let mut deltas: BTreeMap<Key, i64> = BTreeMap::new();
    for key in before.map(|b| keyed(b, definitions)).unwrap_or_default() {
        for row in rows(&key) {
            *deltas.entry(row).or_default() -= 1;
        }
    }
    for key in keyed(after, definitions) {
        for row in rows(&key) {
            *deltas.entry(row).or_default() += 1;
        }
    }
    for upsert in upserts(&deltas) {
        writes.add(TABLE, upsert);
    }
}

/// Counts while recounting: each contribution with the item's groups interned, so that millions
/// of items add to a small map of copyable keys; turned into the kept rows at the end.
#[derive(Default)]
struct Tally {
    ids: HashMap<String, u32>,
    names: Vec<String>,
    totals: HashMap<(Contribution, [u32; 3]), i64>,
}

impl Tally {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.ids.insert(name.to_owned(), id);
        self.names.push(name.to_owned());
        id
    }

    fn add(&mut self, item: &Item, definitions: &Definitions) {
        let groups = [
            self.id(&item.region),
            self.id(item.organ.as_deref().unwrap_or_default()),
            self.id(&item.channel),
        ];
        for c in contributions(&item.facts(), definitions) {
            *self.totals.entry((c, groups)).or_default() += 1;
        }
    }

    fn into_counts(self) -> BTreeMap<Key, i64> {
        let mut counts = BTreeMap::new();
        for ((c, [region, organ, channel]), n) in self.totals {
            let [region, organ, channel] =
                [region, organ, channel].map(|id| self.names[id as usize].clone());
            for row in rows(&(c, region, organ, channel)) {
                *counts.entry(row).or_default() += n;
            }
        }
        counts
    }
}

/// Every count, recomputed from the items as `db` sees them.
async fn recount(
    db: &(impl ConnectionTrait + StreamTrait),
    definitions: &Definitions,
) -> Result<BTreeMap<Key, i64>, DbErr> {
    let mut tally = Tally::default();
    let mut items = item::Entity::find().stream(db).await?;
    while let Some(row) = items.try_next().await? {
        tally.add(&item_from_row(row)?.state, definitions);
    }
    Ok(tally.into_counts())
}

/// Recomputes every count from the items, in one transaction while the services run: on
/// PostgreSQL the counts table is locked against writers first (readers go on seeing the old
/// counts until the commit), so a change that commits meanwhile is either in the items read or
/// applied as a difference after the new counts.
pub async fn rebuild(db: &DatabaseConnection, definitions: &Definitions) -> Result<(), DbErr> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        return rebuild_by_copy(db.get_postgres_connection_pool(), definitions)
            .await
            .map_err(|e| DbErr::Custom(format!("recount: {e}")));
    }
    let txn = db.begin().await?;
    txn.execute(&Query::delete().from_table(Alias::new(TABLE)).to_owned())
        .await?;
    let totals = recount(&txn, definitions).await?;
    add(&txn, &totals).await?;
    database::commit(db, txn).await
}

/// [`rebuild`] on PostgreSQL: the items streamed in one query, the counts written with COPY
/// (millions of items, a minute at most).
async fn rebuild_by_copy(pool: &sqlx::PgPool, definitions: &Definitions) -> anyhow::Result<()> {
    let mut txn = pool.begin().await?;
    sqlx::query("LOCK TABLE supervision_metric_count IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *txn)
        .await?;
    sqlx::query("DELETE FROM supervision_metric_count")
        .execute(&mut *txn)
        .await?;
    let mut tally = Tally::default();
    {
        let mut items = sqlx::query("SELECT * FROM supervision_item").fetch(&mut *txn);
        while let Some(row) = items.try_next().await? {
            let row = item::Model::from_query_result(&QueryResult::from(row), "")?;
            tally.add(&item_from_row(row)?.state, definitions);
        }
    }
    let mut lines = String::new();
    for (key, n) in tally.into_counts() {
        for value in &key {
            copy_text(&mut lines, value);
            lines.push('\t');
        }
        lines.push_str(&n.to_string());
        lines.push('\n');
    }
    let columns = KEY
        .iter()
        .copied()
        .chain(["n"])
        .collect::<Vec<_>>()
        .join(", ");
    let mut copy = txn
        .copy_in_raw(&format!("COPY {TABLE} ({columns}) FROM STDIN"))
        .await?;
    copy.send(lines.into_bytes()).await?;
    copy.finish().await?;
    txn.commit().await?;
    Ok(())
}

/// A value in COPY's text format.
fn copy_text(out: &mut String, value: &str) {
    for ch in value.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            ch => out.push(ch),
        }
    }
}

/// What `verify` found: counts below zero, and counts that differ from a recount.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CountCheck {
    pub checked: usize,
    pub negative: Vec<(Key, i64)>,
    /// Key, kept, recounted.
    pub differing: Vec<(Key, i64, i64)>,
}

impl CountCheck {
    pub fn is_sound(&self) -> bool {
        self.negative.is_empty() && self.differing.is_empty()
    }
}

/// Compares the kept counts with a recount from the items, in one consistent read.
pub async fn verify(
    db: &DatabaseConnection,
    definitions: &Definitions,
) -> Result<CountCheck, DbErr> {
    let txn = db.begin().await?;
    if db.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_unprepared("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            .await?;
    }
    let select = Query::select()
        .columns(KEY.iter().copied().chain(["n"]).map(Alias::new))
        .from(Alias::new(TABLE))
        .to_owned();
    let mut kept: BTreeMap<Key, i64> = BTreeMap::new();
    for row in txn.query_all(&select).await? {
        let mut key: Key = Default::default();
        for (slot, column) in key.iter_mut().zip(KEY) {
            *slot = row.try_get("", column)?;
        }
        kept.insert(key, row.try_get("", "n")?);
    }
    let expected = recount(&txn, definitions).await?;
    txn.commit().await?;
    let mut check = CountCheck {
        checked: kept.len(),
        ..Default::default()
    };
    for (key, n) in &kept {
        if *n < 0 {
            check.negative.push((key.clone(), *n));
        }
        let want = expected.get(key).copied().unwrap_or(0);
        if *n != want {
            check.differing.push((key.clone(), *n, want));
        }
    }
    for (key, want) in &expected {
        if !kept.contains_key(key) {
            check.differing.push((key.clone(), 0, *want));
        }
    }
    Ok(check)
}

/// The month buckets wholly inside [from, to] and the day ranges left at its ends.
fn buckets(from: NaiveDate, to: NaiveDate) -> (Vec<String>, Vec<(NaiveDate, NaiveDate)>) {
    let mut months = Vec::new();
    let mut days = Vec::new();
    let mut start = from;
    while start <= to {
        let month_start = start.with_day(1).expect("day 1 exists");
        let next_month = month_start + Months::new(1);
        let month_end = next_month.pred_opt().expect("a day before the 1st");
        if start == month_start && month_end <= to {
            months.push(start.format("%Y-%m").to_string());
        } else {
            days.push((start, Ord::min(month_end, to)));
        }
        start = next_month;
    }
    (months, days)
}

fn col(name: &str) -> Expr {
    Expr::col(Alias::new(name))
}

/// Reads the counts of `metrics` for a query: per group, each metric's ratio.
pub async fn read(
    db: &impl ConnectionTrait,
    q: &MetricQuery,
    metrics: &[Metric],
) -> Result<Vec<(String, Metric, Ratio)>, DbErr> {
    let (from, to) = (q.from, q.to);
    let (months, days) = buckets(from, to);
    let mut period = Cond::any();
    if !months.is_empty() {
        period = period.add(col("grain").eq("month").and(col("bucket").is_in(months)));
    }
    for (a, b) in days {
        period = period.add(
            col("grain")
                .eq("day")
                .and(col("bucket").between(a.to_string(), b.to_string())),
        );
    }
    let (dimension, group): (&str, SimpleExpr) = match q.dimension {
        Dimension::Region => (
            "region",
            Func::cust("SUBSTR")
                .arg(col("grp"))
                .arg(1)
                .arg(q.region_digits())
                .into(),
        ),
        Dimension::Organ => ("organ", col("grp")),
        Dimension::Channel => ("channel", col("grp")),
    };
    let select = Query::select()
        .expr_as(group, Alias::new("g"))
        .column(Alias::new("metric"))
        .column(Alias::new("part"))
        .expr_as(
            Func::sum(col("n")).cast_as(Alias::new("BIGINT")),
            Alias::new("total"),
        )
        .from(Alias::new(TABLE))
        .and_where(col("dimension").eq(dimension))
        .and_where(col("basis").is_in([q.basis.as_str(), DateBasis::Due.as_str()]))
        .and_where(col("metric").is_in(metrics.iter().map(|m| m.as_str())))
        .and_where(col("region").like(format!("{}%", q.region_prefix)))
        .and_where(match &q.organ {
            Some(organ) => col("grp").eq(organ.as_str()),
            None => Expr::value(true),
        })
        .cond_where(period)
        .add_group_by([col("g"), col("metric"), col("part")])
        .to_owned();
    let mut found: HashMap<(String, Metric), Ratio> = HashMap::new();
    let mut groups = BTreeSet::new();
    for row in db.query_all(&select).await? {
        let g: String = row.try_get("", "g")?;
        let metric: String = row.try_get("", "metric")?;
        let part: String = row.try_get("", "part")?;
        let total: i64 = row.try_get("", "total")?;
        let Some(metric) = Metric::parse(&metric) else {
            continue;
        };
        let total = u64::try_from(total).map_err(|_| {
            DbErr::Custom(format!(
                "kept count of {} ({part}) for {g} is {total}, below zero: run `xinfang recount --check`",
                metric.as_str()
            ))
        })?;
        let ratio = found.entry((g.clone(), metric)).or_default();
        if part == "n" {
            ratio.numerator = total;
        } else {
            ratio.denominator = total;
        }
        groups.insert(g);
    }
    Ok(groups
        .into_iter()
        .flat_map(|g| {
            metrics
                .iter()
                .map(|m| {
                    (
                        g.clone(),
                        *m,
                        found.get(&(g.clone(), *m)).copied().unwrap_or_default(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn copy_text_escapes_what_would_end_a_field_or_a_row() {
        let mut out = String::new();
        copy_text(&mut out, "a\tb\nc\\d\re");
        assert_eq!(out, "a\\tb\\nc\\\\d\\re");
    }

    #[test]
    fn a_period_is_whole_months_plus_the_days_at_its_ends() {
        let (months, days) = buckets(d("2026-01-15"), d("2026-04-10"));
        assert_eq!(months, ["2026-02", "2026-03"]);
        assert_eq!(
            days,
            [
                (d("2026-01-15"), d("2026-01-31")),
                (d("2026-04-01"), d("2026-04-10"))
            ]
        );
        let (months, days) = buckets(d("2026-01-01"), d("2026-12-31"));
        assert_eq!(months.len(), 12);
        assert!(days.is_empty());
    }
}
