//! `xinfang.supervision.overdue`: how many watched items are past their due date (逾期) — what
//! `xinfang supervise due --overdue` lists for the whole node — sampled every
//! `telemetry.metrics_interval_secs` through the (due date, region) index.

use crate::entity::item;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use std::future::Future;
use std::time::Duration;
use xinfang_platform::clock::NodeClock;
use xinfang_platform::metrics::{gauge, sample_every};

pub async fn run(
    db: DatabaseConnection,
    clock: NodeClock,
    every: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let overdue = gauge(
        "xinfang.supervision.overdue",
        "{item}",
        "Watched items past their due date (逾期), paused clocks left out",
    );
    let (db, overdue) = (&db, &overdue);
    sample_every(every, shutdown, || async move {
        let today = clock.today().to_string();
        let count = item::Entity::find()
            .filter(item::Column::DueDate.is_not_null())
            .filter(item::Column::Paused.eq(false))
            .filter(item::Column::DueDate.lt(today.as_str()))
            .count(db)
            .await;
        match count {
            Ok(n) => overdue.record(n as f64, &[]),
            Err(err) => tracing::warn!(%err, "metrics: the overdue items could not be counted"),
        }
    })
    .await;
}
