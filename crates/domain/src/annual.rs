//! 年度信访工作报告 (Art. 41; domain.md, Annual report): the figures of the seed's kind — items
//! by channel and 网信占比, timely acceptance, on-time conclusion and satisfaction, backlog items
//! with their leader packages, leader receptions, joint meetings, reviews and re-examinations,
//! people's suggestions — and the Chinese text draft made of them. Every figure is a count of
//! records (items, meetings, reception days, leaders) that the supervision service can list, so
//! no number in the report is one nobody can trace. Counting is the service's; what the figures
//! are, how they read and how rates are formed is decided here.

use std::fmt::Write;

/// What a figure counts, and so what its drill-down lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Records {
    Petitions,
    Meetings,
    ReceptionDays,
    Leaders,
}

impl Records {
    pub fn as_str(self) -> &'static str {
        match self {
            Records::Petitions => "petition",
            Records::Meetings => "meeting",
            Records::ReceptionDays => "reception_day",
            Records::Leaders => "leader",
        }
    }

    /// The measure word of a count: 件, 次, 位.
    pub fn unit(self) -> &'static str {
        match self {
            Records::Petitions => "件",
            Records::Meetings | Records::ReceptionDays => "次",
            Records::Leaders => "位",
        }
    }
}

/// One figure of the report, before it is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    pub key: &'static str,
    pub section: &'static str,
    pub label: &'static str,
    pub records: Records,
    /// The figure this one is a share of: its rate's denominator.
    pub of: Option<&'static str>,
}

const fn spec(
    key: &'static str,
    section: &'static str,
    label: &'static str,
    records: Records,
    of: Option<&'static str>,
) -> Spec {
    Spec {
        key,
        section,
        label,
        records,
        of,
    }
}

use Records::{Leaders, Meetings, Petitions, ReceptionDays};

pub const TOTAL: &str = "信访总量";
const QUALITY: &str = "办理质效";
const BACKLOG: &str = "积案化解";
const RECEPTION: &str = "领导接访";
const MEETING: &str = "联席会议";
const REVIEW: &str = "复查复核";
const SUGGESTION: &str = "人民建议";

/// The key of the items of one channel (来信, 来访, 网上信访, ...): one figure per channel seen.
pub fn channel_key(code: &str) -> String {
    format!("items.channel.{code}")
}

/// Every figure but the per-channel ones, in the report's order.
pub const SPECS: &[Spec] = &[
    spec("items", TOTAL, "登记信访事项", Petitions, None),
    spec(
        "items.online",
        TOTAL,
        "网上信访（网信占比）",
        Petitions,
        Some("items"),
    ),
    spec("acceptance.counted", QUALITY, "应受理事项", Petitions, None),
    spec(
        "acceptance.timely",
        QUALITY,
        "及时受理（及时受理率）",
        Petitions,
        Some("acceptance.counted"),
    ),
    spec("conclusion.due", QUALITY, "到期应办结事项", Petitions, None),
    spec(
        "conclusion.on_time",
        QUALITY,
        "按期办结（按期办结率）",
        Petitions,
        Some("conclusion.due"),
    ),
    spec(
        "satisfaction.evaluated",
        QUALITY,
        "参评事项",
        Petitions,
        None,
    ),
    spec(
        "satisfaction.satisfied",
        QUALITY,
        "满意和基本满意（满意率）",
        Petitions,
        Some("satisfaction.evaluated"),
    ),
    spec("backlog.items", BACKLOG, "纳入积案清单", Petitions, None),
    spec(
        "backlog.closed",
        BACKLOG,
        "积案办结（办结率）",
        Petitions,
        Some("backlog.items"),
    ),
    spec("backlog.packaged", BACKLOG, "领导包案", Petitions, None),
    spec("backlog.leaders", BACKLOG, "包案领导", Leaders, None),
    spec(
        "backlog.packaged_resolved",
        BACKLOG,
        "包案化解（化解率）",
        Petitions,
        Some("backlog.packaged"),
    ),
    spec("reception.leaders", RECEPTION, "接访领导", Leaders, None),
    spec(
        "reception.days",
        RECEPTION,
        "接（约）访活动",
        ReceptionDays,
        None,
    ),
    spec(
        "reception.items",
        RECEPTION,
        "接待信访事项",
        Petitions,
        None,
    ),
    spec(
        "reception.resolved",
        RECEPTION,
        "接访化解（化解率）",
        Petitions,
        Some("reception.items"),
    ),
    spec("meeting.meetings", MEETING, "召开联席会议", Meetings, None),
    spec(
        "meeting.studied",
        MEETING,
        "研究信访突出问题",
        Petitions,
        None,
    ),
    spec(
        "meeting.resolved",
        MEETING,
        "已化解（化解率）",
        Petitions,
        Some("meeting.studied"),
    ),
    spec("review.accepted", REVIEW, "受理复查", Petitions, None),
    spec(
        "review.not_accepted",
        REVIEW,
        "复查不予受理",
        Petitions,
        None,
    ),
    spec("review.decided", REVIEW, "作出复查意见", Petitions, None),
    spec(
        "re_examination.accepted",
        REVIEW,
        "受理复核",
        Petitions,
        None,
    ),
    spec(
        "re_examination.not_accepted",
        REVIEW,
        "复核不予受理",
        Petitions,
        None,
    ),
    spec(
        "re_examination.decided",
        REVIEW,
        "作出复核意见",
        Petitions,
        None,
    ),
    spec("province.marked", REVIEW, "报省评议", Petitions, None),
    spec(
        "suggestion.decided",
        SUGGESTION,
        "办理人民建议",
        Petitions,
        None,
    ),
    spec(
        "suggestion.adopted",
        SUGGESTION,
        "采纳",
        Petitions,
        Some("suggestion.decided"),
    ),
    spec(
        "suggestion.partly_adopted",
        SUGGESTION,
        "部分采纳",
        Petitions,
        Some("suggestion.decided"),
    ),
    spec(
        "suggestion.not_adopted",
        SUGGESTION,
        "不予采纳",
        Petitions,
        Some("suggestion.decided"),
    ),
];

pub fn spec_of(key: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.key == key)
}

/// A counted figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    pub key: String,
    pub section: &'static str,
    pub label: String,
    pub records: Records,
    pub of: Option<String>,
    pub count: u64,
}

/// The year's figures, in the report's order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    pub year: i32,
    /// The scope's name: the unit, or the region asked for.
    pub scope: String,
    pub figures: Vec<Figure>,
}

impl Report {
    pub fn get(&self, key: &str) -> Option<&Figure> {
        self.figures.iter().find(|f| f.key == key)
    }

    pub fn count(&self, key: &str) -> u64 {
        self.get(key).map_or(0, |f| f.count)
    }

    /// The figure's share of its `of` figure; None when that is zero (无数据, never 0%).
    pub fn rate(&self, figure: &Figure) -> Option<f64> {
        let of = self.count(figure.of.as_deref()?);
        (of > 0).then(|| figure.count as f64 / of as f64)
    }

    fn rate_text(&self, key: &str) -> String {
        match self.get(key).and_then(|f| self.rate(f)) {
            Some(r) => percent(r),
            None => "无数据".to_owned(),
        }
    }

    /// 年度信访工作报告 as a Chinese draft for the office to edit: the seed's sentences, each
    /// number taken from a figure.
    pub fn draft(&self) -> String {
        let n = |key: &str| self.count(key);
        let r = |key: &str| self.rate_text(key);
        let mut t = String::new();
        let _ = writeln!(t, "{}年度信访工作报告（{}）\n", self.year, self.scope);
        let channels: Vec<String> = self
            .figures
            .iter()
            .filter(|f| f.key.starts_with("items.channel."))
            .map(|f| format!("{}{}件", f.label, f.count))
            .collect();
        let _ = writeln!(
            t,
            "一、信访总量\n全年共登记信访事项{}件{}；其中网上信访{}件，网信占比{}。\n",
            n("items"),
            if channels.is_empty() {
                String::new()
            } else {
                format!("（{}）", channels.join("、"))
            },
            n("items.online"),
            r("items.online"),
        );
        let _ = writeln!(
            t,
            "二、办理质效\n及时受理率{}（{}/{}件），按期办结率{}（{}/{}件），群众满意率{}（参评{}件）。\n",
            r("acceptance.timely"),
            n("acceptance.timely"),
            n("acceptance.counted"),
            r("conclusion.on_time"),
            n("conclusion.on_time"),
            n("conclusion.due"),
            r("satisfaction.satisfied"),
            n("satisfaction.evaluated"),
        );
        let _ = writeln!(
            t,
            "三、推进积案化解\n纳入积案清单{}件，已办结{}件，办结率{}；其中{}位领导包案{}件，化解{}件，化解率{}。\n",
            n("backlog.items"),
            n("backlog.closed"),
            r("backlog.closed"),
            n("backlog.leaders"),
            n("backlog.packaged"),
            n("backlog.packaged_resolved"),
            r("backlog.packaged_resolved"),
        );
        let _ = writeln!(
            t,
            "四、党政领导接（约）访\n共组织{}位领导开展接（约）访活动{}次，接待信访事项{}件，化解{}件，化解率{}。\n",
            n("reception.leaders"),
            n("reception.days"),
            n("reception.items"),
            n("reception.resolved"),
            r("reception.resolved"),
        );
        let _ = writeln!(
            t,
            "五、联席会议\n共召开联席会议{}次，研究信访突出问题{}件，已化解{}件，化解率{}。\n",
            n("meeting.meetings"),
            n("meeting.studied"),
            n("meeting.resolved"),
            r("meeting.resolved"),
        );
        let _ = writeln!(
            t,
            "六、依法规范信访秩序\n受理复查{}件、不予受理复查申请{}件，作出复查意见{}件；受理复核{}件、不予受理复核申请{}件，作出复核意见{}件；对复核完毕仍有异议的{}件报省评议。\n",
            n("review.accepted"),
            n("review.not_accepted"),
            n("review.decided"),
            n("re_examination.accepted"),
            n("re_examination.not_accepted"),
            n("re_examination.decided"),
            n("province.marked"),
        );
        let _ = writeln!(
            t,
            "七、人民建议征集\n办理人民建议{}件，其中采纳{}件、部分采纳{}件、不予采纳{}件。\n",
            n("suggestion.decided"),
            n("suggestion.adopted"),
            n("suggestion.partly_adopted"),
            n("suggestion.not_adopted"),
        );
        let _ = write!(
            t,
            "（本稿每个数字均可下钻到所计的记录：xinfang report drill {} <figure>）",
            self.year
        );
        t
    }
}

/// `92.5%`: one decimal, as the seed writes rates.
pub fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(counts: &[(&str, u64)]) -> Report {
        let figures = SPECS
            .iter()
            .map(|s| Figure {
                key: s.key.to_owned(),
                section: s.section,
                label: s.label.to_owned(),
                records: s.records,
                of: s.of.map(str::to_owned),
                count: counts
                    .iter()
                    .find(|(k, _)| *k == s.key)
                    .map_or(0, |(_, n)| *n),
            })
            .collect();
        Report {
            year: 2026,
            scope: "滁州市信访局".into(),
            figures,
        }
    }

    #[test]
    fn the_draft_reads_like_the_seed_with_rates_from_the_figures() {
        let r = report(&[
            ("meeting.meetings", 14),
            ("meeting.studied", 27),
            ("meeting.resolved", 25),
            ("reception.leaders", 12),
            ("reception.days", 38),
            ("reception.items", 81),
            ("reception.resolved", 69),
        ]);
        let text = r.draft();
        assert!(text.contains("共召开联席会议14次，研究信访突出问题27件，已化解25件，化解率92.6%"));
        assert!(text.contains(
            "共组织12位领导开展接（约）访活动38次，接待信访事项81件，化解69件，化解率85.2%"
        ));
        // Nothing to count is no data, never 0%.
        assert!(text.contains("网信占比无数据"));
    }

    #[test]
    fn every_rate_names_a_figure_that_exists() {
        for s in SPECS {
            if let Some(of) = s.of {
                assert!(
                    spec_of(of).is_some(),
                    "{} is a share of unknown {of}",
                    s.key
                );
            }
        }
    }
}
