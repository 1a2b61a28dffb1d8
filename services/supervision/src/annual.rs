//! 年度信访工作报告 through the API: each figure of `xinfang_domain::annual` counted as the set
//! of records behind it — items from the watched items and the metric definitions, backlog and
//! reception packages from the lists, meetings, receptions, reviews, province marks and
//! suggestions from the tally — all within the caller's scope (the items of its region), so that
//! the count and the drill-down are one query and cannot disagree.

use crate::backlog::{RECEPTION_LIST, reception_list};
use crate::entity::{backlog_item, backlog_list, item};
use crate::error::SupervisionError;
use crate::figures;
use crate::metrics::MetricQuery;
use crate::oversight::Oversight;
use crate::tally::{self, Kind};
use chrono::{Datelike, NaiveDate};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::{BTreeMap, BTreeSet};
use xinfang_domain::annual::{Figure, Records, Report, SPECS, channel_key, spec_of};
use xinfang_domain::metrics::Metric;
use xinfang_platform::auth::Caller;
use xinfang_proto::xinfang::supervision::v1 as sv;

/// One year of one scope.
struct Year<'a> {
    o: &'a Oversight,
    q: MetricQuery,
    year: i32,
}

type Ids = BTreeSet<String>;

impl<'a> Year<'a> {
    async fn of(
        o: &'a Oversight,
        caller: &Caller,
        year: i32,
        region_code: &str,
    ) -> Result<Year<'a>, SupervisionError> {
        let first = NaiveDate::from_ymd_opt(year, 1, 1)
            .filter(|_| (2000..=2100).contains(&year))
            .ok_or_else(|| SupervisionError::field("year", "a year from 2000 to 2100"))?;
        let request = sv::GetMetricsRequest {
            from: first.to_string(),
            to: format!("{year}-12-31"),
            region_code: region_code.to_owned(),
            dimension: sv::Dimension::Region as i32,
            basis: sv::DateBasis::Registered as i32,
            ..Default::default()
        };
        Ok(Year {
            o,
            q: figures::query(o, caller, &request)?,
            year,
        })
    }

    /// A metric's numerator or denominator items of the year.
    async fn metric(&self, metric: Metric, numerator: bool) -> Result<Ids, SupervisionError> {
        let Some((n, d)) = self.q.parts(metric) else {
            return Ok(Ids::new());
        };
        let rows = self
            .q
            .matching(self.o.uow.db(), if numerator { n } else { d })
            .await?;
        Ok(rows.into_iter().map(|(id, _)| id).collect())
    }

    /// The year's items by channel code.
    async fn channels(&self) -> Result<BTreeMap<String, Ids>, SupervisionError> {
        let (_, all) = self
            .q
            .parts(Metric::OnlineShare)
            .expect("网信占比 is an item metric");
        let mut by_channel: BTreeMap<String, Ids> = BTreeMap::new();
        for (id, channel) in self.q.matching(self.o.uow.db(), all).await? {
            by_channel.entry(channel).or_default().insert(id);
        }
        Ok(by_channel)
    }

    /// The tally rows of `kind` counted in the year, of items in scope.
    async fn tally(&self, kind: Kind) -> Result<Vec<tally::row::Model>, SupervisionError> {
        use tally::row::Column as C;
        Ok(tally::row::Entity::find()
            .filter(C::Kind.eq(kind.as_str()))
            .filter(C::OnDate.between(
                format!("{}-01-01", self.year),
                format!("{}-12-31", self.year),
            ))
            .filter(Expr::col((tally::row::Entity, C::PetitionId)).in_subquery(self.q.scoped_ids()))
            .all(self.o.uow.db())
            .await?)
    }

    /// The petitions of `kind`'s rows whose detail is `detail` (any, when None).
    async fn tallied(&self, kind: Kind, detail: Option<&str>) -> Result<Ids, SupervisionError> {
        Ok(self
            .tally(kind)
            .await?
            .into_iter()
            .filter(|r| detail.is_none_or(|d| r.detail == d))
            .map(|r| r.petition_id)
            .collect())
    }

    /// The entries, of items in scope, on the year's reception lists (`reception`) or on the
    /// backlog lists made in the year.
    async fn entries(&self, reception: bool) -> Result<Vec<backlog_item::Model>, SupervisionError> {
        let db = self.o.uow.db();
        let lists: Vec<String> = backlog_list::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .filter(|l| {
                if l.id.starts_with(RECEPTION_LIST) {
                    reception && l.id == reception_list(&l.owner_unit, self.year)
                } else {
                    !reception && self.o.clock.date_of(l.created_at).year() == self.year
                }
            })
            .map(|l| l.id)
            .collect();
        Ok(backlog_item::Entity::find()
            .filter(backlog_item::Column::ListId.is_in(lists))
            .filter(
                Expr::col((backlog_item::Entity, backlog_item::Column::PetitionId))
                    .in_subquery(self.q.scoped_ids()),
            )
            .all(db)
            .await?)
    }

    async fn backlog(
        &self,
        reception: bool,
        keep: impl Fn(&backlog_item::Model) -> bool,
    ) -> Result<Ids, SupervisionError> {
        Ok(self
            .entries(reception)
            .await?
            .into_iter()
            .filter(keep)
            .map(|e| e.petition_id)
            .collect())
    }

    /// The records one figure counts.
    async fn records(&self, key: &str) -> Result<Ids, SupervisionError> {
        let packaged = |e: &backlog_item::Model| e.leader_name.is_some();
        Ok(match key {
            "items" => self.metric(Metric::OnlineShare, false).await?,
            "items.online" => self.metric(Metric::OnlineShare, true).await?,
            "acceptance.counted" => self.metric(Metric::TimelyAcceptance, false).await?,
            "acceptance.timely" => self.metric(Metric::TimelyAcceptance, true).await?,
            "conclusion.due" => self.metric(Metric::OnTimeConclusion, false).await?,
            "conclusion.on_time" => self.metric(Metric::OnTimeConclusion, true).await?,
            "satisfaction.evaluated" => self.metric(Metric::Satisfaction, false).await?,
            "satisfaction.satisfied" => self.metric(Metric::Satisfaction, true).await?,
            "backlog.items" => self.backlog(false, |_| true).await?,
            "backlog.closed" => self.backlog(false, |e| e.closed).await?,
            "backlog.packaged" => self.backlog(false, packaged).await?,
            "backlog.packaged_resolved" => {
                self.backlog(false, |e| packaged(e) && e.resolved).await?
            }
            "backlog.leaders" => self
                .entries(false)
                .await?
                .into_iter()
                .filter_map(|e| e.leader_name)
                .collect(),
            "reception.items" => self.backlog(true, |_| true).await?,
            "reception.resolved" => self.backlog(true, |e| e.resolved).await?,
            "reception.leaders" | "reception.days" => {
                let days = key == "reception.days";
                self.tally(Kind::Received)
                    .await?
                    .into_iter()
                    .map(|r| if days { r.subject } else { r.detail })
                    .collect()
            }
            "meeting.meetings" => self
                .tally(Kind::Studied)
                .await?
                .into_iter()
                .map(|r| r.subject)
                .collect(),
            "meeting.studied" => self.tallied(Kind::Studied, None).await?,
            "meeting.resolved" => {
                // Resolved of those studied in the year, at the meeting that studied them.
                let studied: BTreeSet<(String, String)> = self
                    .tally(Kind::Studied)
                    .await?
                    .into_iter()
                    .map(|r| (r.subject, r.petition_id))
                    .collect();
                tally::row::Entity::find()
                    .filter(tally::row::Column::Kind.eq(Kind::MeetingResolved.as_str()))
                    .all(self.o.uow.db())
                    .await?
                    .into_iter()
                    .filter(|r| studied.contains(&(r.subject.clone(), r.petition_id.clone())))
                    .map(|r| r.petition_id)
                    .collect()
            }
            "review.accepted" => {
                self.tallied(Kind::ReviewRequested, Some("accepted"))
                    .await?
            }
            "review.not_accepted" => {
                self.tallied(Kind::ReviewRequested, Some("not_accepted"))
                    .await?
            }
            "review.decided" => self.tallied(Kind::ReviewDecided, None).await?,
            "re_examination.accepted" => {
                self.tallied(Kind::ReExaminationRequested, Some("accepted"))
                    .await?
            }
            "re_examination.not_accepted" => {
                self.tallied(Kind::ReExaminationRequested, Some("not_accepted"))
                    .await?
            }
            "re_examination.decided" => self.tallied(Kind::ReExaminationDecided, None).await?,
            "province.marked" => self.tallied(Kind::ProvinceMarked, None).await?,
            "suggestion.decided" => self.tallied(Kind::SuggestionDecided, None).await?,
            "suggestion.adopted" | "suggestion.partly_adopted" | "suggestion.not_adopted" => {
                let detail = key.trim_start_matches("suggestion.");
                self.tallied(Kind::SuggestionDecided, Some(detail)).await?
            }
            channel if channel.starts_with("items.channel.") => {
                let code = channel.trim_start_matches("items.channel.");
                self.channels().await?.remove(code).unwrap_or_default()
            }
            other => {
                return Err(SupervisionError::field(
                    "key",
                    format!("no figure {other:?} in the annual report"),
                ));
            }
        })
    }

    /// Every figure with its records, in the report's order (channels after the total).
    async fn figures(&self) -> Result<Vec<(Figure, Ids)>, SupervisionError> {
        let reference = self.o.reference.current();
        let mut out = Vec::new();
        for spec in SPECS {
            if spec.key != "items" {
                let ids = self.records(spec.key).await?;
                out.push((figure(spec.key, spec.label.to_owned(), ids.len()), ids));
                continue;
            }
            // The year's items, and by channel, from one read of them.
            let channels = self.channels().await?;
            let all: Ids = channels.values().flatten().cloned().collect();
            out.push((figure(spec.key, spec.label.to_owned(), all.len()), all));
            for (code, ids) in channels {
                let label = reference
                    .channels
                    .get(&code)
                    .map_or_else(|| code.clone(), |c| c.name.clone());
                out.push((figure(&channel_key(&code), label, ids.len()), ids));
            }
        }
        Ok(out)
    }
}

fn figure(key: &str, label: String, count: usize) -> Figure {
    let spec = spec_of(key);
    Figure {
        key: key.to_owned(),
        section: spec.map_or(xinfang_domain::annual::TOTAL, |s| s.section),
        label,
        records: spec.map_or(Records::Petitions, |s| s.records),
        of: spec
            .and_then(|s| s.of)
            .map(str::to_owned)
            .or_else(|| (spec.is_none()).then(|| "items".to_owned())),
        count: count as u64,
    }
}

/// The scope's name as the report's title gives it.
fn scope_name(o: &Oversight, caller: &Caller, region_code: &str) -> String {
    let reference = o.reference.current();
    match region_code.trim() {
        "" => reference
            .org
            .unit(&caller.org_unit)
            .map_or_else(|| caller.org_unit.clone(), |u| u.name.clone()),
        // A region is named by its units' first one (its petition office, as the tree lists it).
        code => reference
            .org
            .units()
            .find(|u| u.region.as_str() == code)
            .map_or_else(|| code.to_owned(), |u| u.name.clone()),
    }
}

/// The year's figures with their records.
async fn counted(
    o: &Oversight,
    caller: &Caller,
    r: &sv::GetAnnualReportRequest,
) -> Result<(Report, Vec<Ids>), SupervisionError> {
    let year = Year::of(o, caller, r.year, &r.region_code).await?;
    let (figures, ids): (Vec<Figure>, Vec<Ids>) = year.figures().await?.into_iter().unzip();
    let report = Report {
        year: r.year,
        scope: scope_name(o, caller, &r.region_code),
        figures,
    };
    Ok((report, ids))
}

pub async fn report(
    o: &Oversight,
    caller: &Caller,
    r: sv::GetAnnualReportRequest,
) -> Result<sv::AnnualReport, SupervisionError> {
    let (report, _) = counted(o, caller, &r).await?;
    Ok(sv::AnnualReport {
        year: report.year,
        scope: report.scope.clone(),
        draft: report.draft(),
        figures: report
            .figures
            .iter()
            .map(|f| sv::AnnualFigure {
                key: f.key.clone(),
                section: f.section.to_owned(),
                label: f.label.clone(),
                count: f.count as i64,
                unit: f.records.unit().to_owned(),
                records: f.records.as_str().to_owned(),
                of_key: f.of.clone().unwrap_or_default(),
                rate: report.rate(f),
            })
            .collect(),
    })
}

/// Case numbers of the petitions among `ids`.
async fn case_numbers(
    o: &Oversight,
    ids: &[String],
) -> Result<BTreeMap<String, String>, SupervisionError> {
    Ok(item::Entity::find()
        .select_only()
        .column(item::Column::PetitionId)
        .column(item::Column::CaseNumber)
        .filter(item::Column::PetitionId.is_in(ids.iter().map(String::as_str)))
        .into_tuple::<(String, String)>()
        .all(o.uow.db())
        .await?
        .into_iter()
        .collect())
}

pub async fn drill_down(
    o: &Oversight,
    caller: &Caller,
    r: sv::DrillDownAnnualFigureRequest,
    limit: u64,
) -> Result<sv::DrillDownAnnualFigureResponse, SupervisionError> {
    let year = Year::of(o, caller, r.year, &r.region_code).await?;
    let key = r.key.trim();
    let page: Vec<String> = year
        .records(key)
        .await?
        .into_iter()
        .filter(|id| id.as_str() > r.page_token.as_str())
        .take(limit as usize + 1)
        .collect();
    let more = page.len() as u64 > limit;
    let page = &page[..page.len().min(limit as usize)];
    let petitions = spec_of(key).is_none_or(|s| s.records == Records::Petitions);
    let numbers = if petitions {
        case_numbers(o, page).await?
    } else {
        BTreeMap::new()
    };
    Ok(sv::DrillDownAnnualFigureResponse {
        next_page_token: if more {
            page.last().cloned().unwrap_or_default()
        } else {
            String::new()
        },
        records: page
            .iter()
            .map(|id| sv::DrilledRecord {
                id: id.clone(),
                case_number: numbers.get(id).cloned().unwrap_or_default(),
            })
            .collect(),
    })
}

/// The report as a workbook: the figures (each key linked to its records), and the records.
pub async fn export(
    o: &Oversight,
    caller: &Caller,
    r: sv::GetAnnualReportRequest,
) -> Result<sv::ExportMonthlyBulletinResponse, SupervisionError> {
    let (report, ids) = counted(o, caller, &r).await?;
    let mut numbers = BTreeMap::new();
    for (f, ids) in report.figures.iter().zip(&ids) {
        if f.records == Records::Petitions {
            let ids: Vec<String> = ids.iter().cloned().collect();
            for chunk in ids.chunks(1000) {
                numbers.extend(case_numbers(o, chunk).await?);
            }
        }
    }
    let content = workbook(&report, &ids, &numbers).map_err(SupervisionError::Internal)?;
    Ok(sv::ExportMonthlyBulletinResponse {
        file_name: format!("{}年度信访工作报告-{}.xlsx", report.year, report.scope),
        media_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".into(),
        content,
    })
}

fn workbook(
    report: &Report,
    ids: &[Ids],
    numbers: &BTreeMap<String, String>,
) -> anyhow::Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Url, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let pct = Format::new().set_num_format("0.0%");
    // The records first, to know where each figure's rows begin.
    let mut starts = Vec::with_capacity(ids.len());
    let records = book.add_worksheet();
    records.set_name("明细")?;
    for (col, header) in ["指标键", "指标", "记录", "信访件编号"].iter().enumerate() {
        records.write_with_format(0, col as u16, *header, &bold)?;
    }
    let mut row = 1u32;
    for (f, ids) in report.figures.iter().zip(ids) {
        starts.push(row + 1);
        for id in ids {
            records.write(row, 0, &f.key)?;
            records.write(row, 1, &f.label)?;
            records.write(row, 2, id)?;
            records.write(row, 3, numbers.get(id).map_or("", String::as_str))?;
            row += 1;
        }
    }
    records.autofit();
    let summary = book.add_worksheet();
    summary.set_name("年度报告")?;
    summary.write_with_format(
        0,
        0,
        format!("{}年度信访工作报告（{}）", report.year, report.scope),
        &bold,
    )?;
    for (col, header) in ["板块", "指标", "数量", "单位", "比率", "明细"]
        .iter()
        .enumerate()
    {
        summary.write_with_format(1, col as u16, *header, &bold)?;
    }
    for (i, f) in report.figures.iter().enumerate() {
        let r = i as u32 + 2;
        summary.write(r, 0, f.section)?;
        summary.write(r, 1, &f.label)?;
        summary.write(r, 2, f.count as f64)?;
        summary.write(r, 3, f.records.unit())?;
        match (report.rate(f), &f.of) {
            (Some(rate), _) => summary.write_with_format(r, 4, rate, &pct)?,
            (None, Some(_)) => summary.write(r, 4, "无数据")?,
            (None, None) => summary.write(r, 4, "")?,
        };
        summary.write_url(
            r,
            5,
            Url::new(format!("internal:'明细'!A{}", starts[i])).set_text(&f.key),
        )?;
    }
    summary.autofit();
    summary.set_active(true);
    Ok(book.save_to_buffer()?)
}
