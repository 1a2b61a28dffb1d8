//! The figures through the API: the metrics of domain.md by region, organ or channel, the items
//! behind each figure, the petition index (信访指数), and the monthly bulletin (月度通报).

use crate::backlog;
use crate::bulletin;
use crate::error::SupervisionError;
use crate::metrics::{Dimension, MetricQuery};
use crate::oversight::Oversight;
use crate::scope::{self, date};
use xinfang_domain::metrics::DateBasis as Basis;
use xinfang_domain::metrics::{ITEM_METRICS, Metric, Ratio, petition_index};
use xinfang_domain::reference::UnitKind;
use xinfang_domain::{Reason, Refusal};
use xinfang_platform::auth::Caller;
use xinfang_platform::policy::Scope;
use xinfang_proto::convert::metric_from_wire;
use xinfang_proto::xinfang::supervision::v1::Dimension as WireDimension;
use xinfang_proto::xinfang::supervision::v1::Metric as WireMetric;
use xinfang_proto::xinfang::supervision::v1::*;

/// The longest period one query counts over.
const MAX_PERIOD_DAYS: i64 = 3660;

fn value(metric: Metric, group: &str, ratio: Ratio) -> MetricValue {
    MetricValue {
        metric: WireMetric::from(metric) as i32,
        group: group.to_owned(),
        numerator: ratio.numerator as i64,
        denominator: ratio.denominator as i64,
        ratio: ratio.value(),
    }
}

pub(crate) fn query(
    o: &Oversight,
    caller: &Caller,
    q: &GetMetricsRequest,
) -> Result<MetricQuery, SupervisionError> {
    let dimension = match WireDimension::try_from(q.dimension).unwrap_or_default() {
        WireDimension::Organ => Dimension::Organ,
        WireDimension::Channel => Dimension::Channel,
        _ => Dimension::Region,
    };
    let basis = match DateBasis::try_from(q.basis).unwrap_or_default() {
        DateBasis::Petitioned => Basis::Petitioned,
        DateBasis::Exchanged => Basis::Exchanged,
        _ => Basis::Registered,
    };
    let from = date("from", &q.from)?;
    let to = date("to", &q.to)?;
    if to < from {
        return Err(SupervisionError::field(
            "to",
            "the period ends before it starts",
        ));
    }
    if (to - from).num_days() > MAX_PERIOD_DAYS {
        return Err(SupervisionError::field(
            "to",
            format!("a period is at most {MAX_PERIOD_DAYS} days (ten years)"),
        ));
    }
    let (region_prefix, organ) =
        match scope::narrowed(&o.reference.current(), caller, &q.region_code)? {
            Scope::Region(prefix) => (prefix, None),
            // A department reads its own figures, as an organ.
            Scope::Unit(code) if dimension == Dimension::Organ => (String::new(), Some(code)),
            Scope::Unit(code) => {
                return Err(Refusal::new(
                    Reason::OutOfScope,
                    format!("{code} reads its own figures by organ (dimension ORGAN)"),
                )
                .into());
            }
        };
    Ok(MetricQuery {
        region_prefix,
        organ,
        dimension,
        basis,
        from,
        to,
        definitions: o.settings.definitions,
    })
}

fn metrics_of(q: &GetMetricsRequest) -> Result<Vec<Metric>, SupervisionError> {
    if q.metrics.is_empty() {
        return Ok(ITEM_METRICS.to_vec());
    }
    q.metrics
        .iter()
        .enumerate()
        .map(|(i, m)| {
            WireMetric::try_from(*m)
                .ok()
                .and_then(metric_from_wire)
                .ok_or_else(|| {
                    SupervisionError::field(
                        &format!("metrics[{i}]"),
                        format!("unknown or not yet computed metric {m}"),
                    )
                })
        })
        .collect()
}

pub async fn metrics(
    o: &Oversight,
    caller: &Caller,
    r: GetMetricsRequest,
) -> Result<GetMetricsResponse, SupervisionError> {
    let metrics = metrics_of(&r)?;
    let mut values = Vec::new();
    if !r.list_id.is_empty() {
        let figures = backlog::metrics(o, caller, &r.list_id, &metrics).await?;
        values.extend(figures.iter().map(|(g, m, ratio)| value(*m, g, *ratio)));
    }
    let counted = query(o, caller, &r)?.count(o.uow.db(), &metrics).await?;
    values.extend(
        counted
            .into_iter()
            .map(|(group, metric, ratio)| value(metric, &group, ratio)),
    );
    Ok(GetMetricsResponse { values })
}

pub async fn drill_down(
    o: &Oversight,
    caller: &Caller,
    r: DrillDownMetricRequest,
    limit: u64,
) -> Result<DrillDownMetricResponse, SupervisionError> {
    let q = r
        .query
        .ok_or_else(|| SupervisionError::field("query", "required"))?;
    let metric = WireMetric::try_from(r.metric)
        .ok()
        .and_then(metric_from_wire)
        .ok_or_else(|| SupervisionError::field("metric", "unknown metric"))?;
    let mut ids = query(o, caller, &q)?
        .items(
            o.uow.db(),
            metric,
            &r.group,
            r.numerator_only,
            &r.page_token,
            limit + 1,
        )
        .await?;
    let more = ids.len() as u64 > limit;
    ids.truncate(limit as usize);
    Ok(DrillDownMetricResponse {
        next_page_token: if more {
            ids.last().cloned().unwrap_or_default()
        } else {
            String::new()
        },
        petition_ids: ids,
    })
}

pub async fn index(
    o: &Oversight,
    caller: &Caller,
    r: GetPetitionIndexRequest,
) -> Result<GetPetitionIndexResponse, SupervisionError> {
    let q = GetMetricsRequest {
        from: r.from,
        to: r.to,
        region_code: r.region_code,
        dimension: WireDimension::Region as i32,
        basis: DateBasis::Registered as i32,
        ..Default::default()
    };
    let counted = query(o, caller, &q)?
        .count(o.uow.db(), &ITEM_METRICS)
        .await?;
    let mut regions: Vec<RegionIndex> = Vec::new();
    for (group, metric, ratio) in counted {
        match regions.last_mut() {
            Some(last) if last.region_code == group => {
                last.components.push(value(metric, &group, ratio))
            }
            _ => regions.push(RegionIndex {
                region_code: group.clone(),
                index: None,
                components: vec![value(metric, &group, ratio)],
            }),
        }
    }
    let weights = &o.settings.index_weights;
    for region in &mut regions {
        let parts: Vec<(Metric, Ratio)> = region
            .components
            .iter()
            .filter_map(|c| {
                let metric = WireMetric::try_from(c.metric)
                    .ok()
                    .and_then(metric_from_wire)?;
                Some((metric, Ratio::new(c.numerator as u64, c.denominator as u64)))
            })
            .collect();
        region.index = petition_index(&parts, weights);
    }
    regions.sort_by(|a, b| b.index.unwrap_or(-1.0).total_cmp(&a.index.unwrap_or(-1.0)));
    Ok(GetPetitionIndexResponse { regions })
}

pub async fn bulletin(
    o: &Oversight,
    caller: &Caller,
    r: ExportMonthlyBulletinRequest,
) -> Result<ExportMonthlyBulletinResponse, SupervisionError> {
    let month = r.month.trim();
    let first = date("month", &format!("{month}-01")).map_err(|_| {
        SupervisionError::field("month", format!("{month:?} is not a month YYYY-MM"))
    })?;
    let last = first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt())
        .ok_or_else(|| SupervisionError::field("month", "out of range"))?;
    let request = |dimension: WireDimension| GetMetricsRequest {
        dimension: dimension as i32,
        basis: DateBasis::Registered as i32,
        from: first.to_string(),
        to: last.to_string(),
        ..Default::default()
    };
    let reference = o.reference.current();
    let weights = &o.settings.index_weights;
    let mut lines = Vec::new();
    for (kind, dimension) in [
        ("地区", WireDimension::Region),
        ("部门", WireDimension::Organ),
    ] {
        let figures = query(o, caller, &request(dimension))?
            .count(o.uow.db(), &ITEM_METRICS)
            .await?;
        lines.extend(bulletin::rank(kind, &figures, weights, |code| {
            let unit = match dimension {
                WireDimension::Organ => reference.org.unit(code),
                // A region is named by its office or government, not a department.
                _ => reference
                    .org
                    .units()
                    .filter(|u| u.region.as_str() == code)
                    .min_by_key(|u| u.kind == UnitKind::Department),
            };
            unit.map_or_else(|| code.to_owned(), |u| u.name.clone())
        }));
    }
    let title = format!("{month} 信访工作月度通报");
    let (content, media_type, extension) =
        match ExportFormat::try_from(r.format).unwrap_or_default() {
            ExportFormat::Csv => (bulletin::to_csv(&lines)?, "text/csv; charset=utf-8", "csv"),
            _ => (
                bulletin::to_xlsx(&title, &lines)?,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
        };
    Ok(ExportMonthlyBulletinResponse {
        file_name: format!("月度通报-{month}.{extension}"),
        media_type: media_type.into(),
        content,
    })
}
