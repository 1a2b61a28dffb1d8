//! The leader's dashboard (信访指数): the index and the metrics of a month by region, as charts;
//! each figure leads to the items it counts; the monthly bulletin (月度通报) and the annual report
//! (年度信访工作报告) to download. Figures are the supervision service's, for the user's scope.

use super::regions;
use crate::backend::as_user;
use crate::chart::{Bar, bars};
use crate::failure::{PageError, PageResult};
use crate::layout::encode;
use crate::session::Staff;
use crate::state::Portal;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use chrono::{Datelike, NaiveDate};
use maud::html;
use serde::Deserialize;
use std::collections::BTreeMap;
use xinfang_domain::metrics::{ITEM_METRICS, Metric as DomainMetric, figure_text};
use xinfang_proto::xinfang::intake::v1::GetPetitionRequest;
use xinfang_proto::xinfang::supervision::v1::*;

#[derive(Deserialize)]
pub struct Period {
    /// YYYY-MM; this month when absent.
    #[serde(default)]
    month: String,
    /// A region inside the user's scope; the whole scope when absent.
    #[serde(default)]
    region: String,
}

/// The first and last day of `month` (YYYY-MM), or of this month.
fn month_range(portal: &Portal, month: &str) -> Result<(String, NaiveDate, NaiveDate), PageError> {
    let first = match month.trim() {
        "" => portal.clock.today().with_day(1).expect("day 1"),
        m => NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
            .map_err(|_| PageError::BadRequest(format!("month: {m:?} is not YYYY-MM")))?,
    };
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .expect("a month later");
    let last = next.pred_opt().expect("the day before");
    Ok((first.format("%Y-%m").to_string(), first, last))
}

/// The node's regions by code, with the names people know them by.
fn places(portal: &Portal) -> BTreeMap<String, String> {
    regions(portal).into_iter().collect()
}

/// A region's name, or its code where the node has no unit there.
fn place_name(places: &BTreeMap<String, String>, code: &str) -> String {
    places.get(code).cloned().unwrap_or_else(|| code.to_owned())
}

fn metric_name(metric: i32) -> &'static str {
    xinfang_proto::convert::metric_of(metric).map_or("—", DomainMetric::name_zh)
}

/// A bar's length (percent) and its text; no length where there is no data.
fn figure(value: &MetricValue) -> (Option<f64>, String) {
    let text = figure_text(value.ratio, value.numerator, value.denominator);
    (value.ratio.map(|r| r * 100.0), text)
}

pub async fn dashboard(
    State(portal): State<Portal>,
    staff: Staff,
    Query(p): Query<Period>,
) -> PageResult {
    let (month, first, last) = month_range(&portal, &p.month)?;
    let (from, to) = (first.to_string(), last.to_string());
    let mut supervision = portal.backend.supervision();
    let index = supervision
        .get_petition_index(as_user(
            GetPetitionIndexRequest {
                from: from.clone(),
                to: to.clone(),
                region_code: p.region.clone(),
            },
            &staff.token,
        ))
        .await?
        .into_inner();
    let query = GetMetricsRequest {
        // The item metrics: 化解率 and 办结率 belong to a backlog list, not to a month.
        metrics: ITEM_METRICS
            .iter()
            .map(|m| Metric::from(*m) as i32)
            .collect(),
        dimension: Dimension::Region as i32,
        basis: DateBasis::Registered as i32,
        from: from.clone(),
        to: to.clone(),
        region_code: p.region.clone(),
        list_id: String::new(),
    };
    let values = supervision
        .get_metrics(as_user(query, &staff.token))
        .await?
        .into_inner()
        .values;
    let places = places(&portal);
    let place = |code: &str| place_name(&places, code);
    let mut by_metric: BTreeMap<i32, Vec<&MetricValue>> = BTreeMap::new();
    for v in &values {
        by_metric.entry(v.metric).or_default().push(v);
    }
    let index_bars: Vec<Bar> = index
        .regions
        .iter()
        .map(|r| Bar {
            label: place(&r.region_code),
            value: r.index,
            text: r
                .index
                .map(|i| format!("{i:.1}"))
                .unwrap_or_else(|| "无数据".into()),
            href: Some(format!(
                "/dashboard?month={month}&region={}",
                encode(&r.region_code)
            )),
        })
        .collect();
    let frame = &staff.frame;
    let t = |zh, en| frame.t(zh, en);
    let year = first.year();
    Ok(frame
        .page(
            t("信访指数", "Dashboard"),
            html! {
                h1 { (t("信访指数", "Petition index")) " · " (month)
                    @if !p.region.is_empty() { " · " (place(&p.region)) } }
                form.inline method="get" action="/dashboard" {
                    label { (t("月份", "Month")) input type="month" name="month" value=(month); }
                    input type="hidden" name="region" value=(p.region);
                    button type="submit" { (t("查看", "Show")) }
                }
                p.downloads {
                    a id="bulletin" href={ "/dashboard/bulletin?month=" (month) } { (t("下载月度通报", "Monthly bulletin")) " (xlsx)" }
                    " · "
                    a id="annual" href={ "/dashboard/annual?year=" (year) } { (t("下载年度报告", "Annual report")) " " (year) " (xlsx)" }
                }
                (bars(t("信访指数（0–100，按地区）", "Index (0–100) by region"), &index_bars, 100.0))
                @for (metric, group) in &by_metric {
                    @let metric_bars: Vec<Bar> = group.iter().map(|v| {
                        let (value, text) = figure(v);
                        Bar {
                            label: place(&v.group),
                            value,
                            text,
                            href: Some(format!("/dashboard/items?metric={metric}&group={}&from={from}&to={to}", encode(&v.group))),
                        }
                    }).collect();
                    (bars(metric_name(*metric), &metric_bars, 100.0))
                }
            },
        )
        .into_response())
}

#[derive(Deserialize)]
pub struct Drill {
    metric: i32,
    group: String,
    from: String,
    to: String,
}

/// The items behind one figure.
pub async fn drill(
    State(portal): State<Portal>,
    staff: Staff,
    Query(d): Query<Drill>,
) -> PageResult {
    let query = GetMetricsRequest {
        metrics: vec![d.metric],
        dimension: Dimension::Region as i32,
        basis: DateBasis::Registered as i32,
        from: d.from.clone(),
        to: d.to.clone(),
        region_code: String::new(),
        list_id: String::new(),
    };
    let ids = portal
        .backend
        .supervision()
        .drill_down_metric(as_user(
            DrillDownMetricRequest {
                query: Some(query),
                metric: d.metric,
                group: d.group.clone(),
                page_size: 100,
                ..Default::default()
            },
            &staff.token,
        ))
        .await?
        .into_inner()
        .petition_ids;
    let mut items = Vec::with_capacity(ids.len());
    let mut intake = portal.backend.intake();
    for id in ids {
        let petition = intake
            .get_petition(as_user(GetPetitionRequest { id }, &staff.token))
            .await?
            .into_inner();
        items.push(petition);
    }
    let frame = &staff.frame;
    let t = |zh, en| frame.t(zh, en);
    Ok(frame
        .page(
            metric_name(d.metric),
            html! {
                h1 { (metric_name(d.metric)) " · " (place_name(&places(&portal), &d.group)) " · " (d.from) " – " (d.to) }
                p { (t("计入此数字的信访事项：", "The items this figure counts:")) " " (items.len()) }
                table id="items" {
                    thead { tr { th { (t("编号", "Case")) } th { (t("标题", "Title")) } th { (t("状态", "State")) } } }
                    tbody {
                        @for p in &items {
                            tr {
                                td { a href={ "/console/case/" (p.id) } { (p.case_number) } }
                                td { (p.title) }
                                td { (super::state_label(p.state)) }
                            }
                        }
                    }
                }
            },
        )
        .into_response())
}

/// A file to download, named in UTF-8 (RFC 6266).
fn download(file: ExportMonthlyBulletinResponse) -> axum::response::Response {
    let disposition = format!(
        "attachment; filename=\"report.xlsx\"; filename*=UTF-8''{}",
        encode(&file.file_name).replace('+', "%20")
    );
    (
        [
            (header::CONTENT_TYPE, file.media_type),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        file.content,
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct MonthQuery {
    month: String,
}

pub async fn bulletin(
    State(portal): State<Portal>,
    staff: Staff,
    Query(q): Query<MonthQuery>,
) -> PageResult {
    let file = portal
        .backend
        .supervision()
        .export_monthly_bulletin(as_user(
            ExportMonthlyBulletinRequest {
                month: q.month,
                format: ExportFormat::Xlsx as i32,
            },
            &staff.token,
        ))
        .await?
        .into_inner();
    Ok(download(file))
}

#[derive(Deserialize)]
pub struct YearQuery {
    year: i32,
}

pub async fn annual(
    State(portal): State<Portal>,
    staff: Staff,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let file = portal
        .backend
        .supervision()
        .export_annual_report(as_user(
            GetAnnualReportRequest {
                year: q.year,
                region_code: String::new(),
            },
            &staff.token,
        ))
        .await?
        .into_inner();
    Ok(download(file))
}
