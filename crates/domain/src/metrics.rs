//! The metrics of domain.md (Metrics) as ratios, and the petition index (信访指数) composed of
//! them. Counting the items is the supervision service's job; what a ratio means, when there is
//! no data, and how the index weighs the metrics is decided here.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    TimelyAcceptance,        // 及时受理率
    OnTimeConclusion,        // 按期办结率
    EvaluationParticipation, // 参评率
    Satisfaction,            // 满意率
    RepeatRate,              // 重复信访率
    OnlineShare,             // 网信占比
    FirstTimeOnePass,        // 初信初访一次性办结率
    BypassRate,              // 越级上访率
    MissedScreening,         // 漏排率
    ResolutionRate,          // 化解率 (of a list)
    ClosureRate,             // 办结率 (of a list)
}

/// The item metrics, counted over petitions (the list metrics are counted over a list).
pub const ITEM_METRICS: [Metric; 9] = [
    Metric::TimelyAcceptance,
    Metric::OnTimeConclusion,
    Metric::EvaluationParticipation,
    Metric::Satisfaction,
    Metric::RepeatRate,
    Metric::OnlineShare,
    Metric::FirstTimeOnePass,
    Metric::BypassRate,
    Metric::MissedScreening,
];

/// Every metric, item and list.
pub const ALL_METRICS: [Metric; 11] = [
    Metric::TimelyAcceptance,
    Metric::OnTimeConclusion,
    Metric::EvaluationParticipation,
    Metric::Satisfaction,
    Metric::RepeatRate,
    Metric::OnlineShare,
    Metric::FirstTimeOnePass,
    Metric::BypassRate,
    Metric::MissedScreening,
    Metric::ResolutionRate,
    Metric::ClosureRate,
];

impl Metric {
    pub fn name_zh(self) -> &'static str {
        match self {
            Metric::TimelyAcceptance => "及时受理率",
            Metric::OnTimeConclusion => "按期办结率",
            Metric::EvaluationParticipation => "参评率",
            Metric::Satisfaction => "满意率",
            Metric::RepeatRate => "重复信访率",
            Metric::OnlineShare => "网信占比",
            Metric::FirstTimeOnePass => "初信初访一次性办结率",
            Metric::BypassRate => "越级上访率",
            Metric::MissedScreening => "漏排率",
            Metric::ResolutionRate => "化解率",
            Metric::ClosureRate => "办结率",
        }
    }

    /// Whether a higher value is better work (a high repeat or bypass rate is not).
    pub fn higher_is_better(self) -> bool {
        !matches!(
            self,
            Metric::RepeatRate | Metric::BypassRate | Metric::MissedScreening
        )
    }
}

/// A metric's numerator and denominator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ratio {
    pub numerator: u64,
    pub denominator: u64,
}

impl Ratio {
    pub fn new(numerator: u64, denominator: u64) -> Self {
        Self {
            numerator,
            denominator,
        }
    }

    /// None when there is nothing to count: shown as "no data", never as 0%.
    pub fn value(self) -> Option<f64> {
        (self.denominator > 0).then(|| self.numerator as f64 / self.denominator as f64)
    }
}

/// A rate as bulletins print it: `92.5%`, or 无数据 when nothing was counted (never 0%).
pub fn rate_text(rate: Option<f64>) -> String {
    rate.map_or_else(|| "无数据".to_owned(), crate::annual::percent)
}

/// A figure with what it counts: `85.0% (17/20)`, or 无数据.
pub fn figure_text(rate: Option<f64>, numerator: i64, denominator: i64) -> String {
    match rate {
        Some(_) => format!("{} ({numerator}/{denominator})", rate_text(rate)),
        None => rate_text(None),
    }
}

/// The weight of each metric in the petition index (configuration).
pub type IndexWeights = BTreeMap<Metric, f64>;

/// 信访指数: 0–100, the weighted mean of the metrics' scores (the ratio, or one minus it where
/// lower is better). Metrics without data are left out and the weights of the others
/// renormalised; None when no weighted metric has data.
pub fn petition_index(components: &[(Metric, Ratio)], weights: &IndexWeights) -> Option<f64> {
    let mut total = 0.0;
    let mut weight_sum = 0.0;
    for (metric, ratio) in components {
        let (Some(weight), Some(value)) = (weights.get(metric), ratio.value()) else {
            continue;
        };
        let score = if metric.higher_is_better() {
            value
        } else {
            1.0 - value
        };
        total += weight * score;
        weight_sum += weight;
    }
    (weight_sum > 0.0).then(|| 100.0 * total / weight_sum)
}

/// The date an item is counted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DateBasis {
    Petitioned,
    Registered,
    Exchanged,
    /// 按期办结率 counts items by their answer's due date [default].
    Due,
}

impl DateBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            DateBasis::Petitioned => "petitioned",
            DateBasis::Registered => "registered",
            DateBasis::Exchanged => "exchanged",
            DateBasis::Due => "due",
        }
    }
}

/// What the metrics know of one item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemFacts {
    pub online: bool,
    pub visit: bool,
    pub repeat: bool,
    pub bypass: bool,
    pub first_time: bool,
    pub petitioned_on: Option<NaiveDate>,
    pub registered_on: Option<NaiveDate>,
    pub exchanged_on: Option<NaiveDate>,
    pub accepted: bool,
    pub accepted_in_time: bool,
    pub acceptance_overdue: bool,
    pub answer_due: Option<NaiveDate>,
    pub answered: bool,
    pub answered_on_time: bool,
    pub answer_overdue: bool,
    pub evaluated: bool,
    pub satisfied: bool,
    pub evaluation_missed: bool,
    pub repeated_later: bool,
    /// A group visit or a bypass visit (集体访, 越级访): an escalation screening should have seen.
    pub escalated: bool,
    /// Its matter was on a dispute-screening report filed before it was petitioned.
    pub screened: bool,
}

/// One count an item adds: to a metric's numerator (or denominator), on a date of a basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Contribution {
    pub metric: Metric,
    pub numerator: bool,
    pub basis: DateBasis,
    pub date: NaiveDate,
}

/// The readings of the metrics that domain.md marks [default]: configuration, not law.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definitions {
    /// 按期办结率 counts an item in the period its answer was due (true) or on the chosen
    /// date basis, like the other metrics (false).
    pub on_time_by_due_date: bool,
    /// 越级上访率 divides bypass visits by visits (true) or by all items (false).
    pub bypass_over_visits: bool,
}

impl Default for Definitions {
    fn default() -> Self {
        Self {
            on_time_by_due_date: true,
            bypass_over_visits: true,
        }
    }
}

/// Every count an item adds to the item metrics (domain.md, Metrics; [default] readings noted):
///
/// - 及时受理率: accepted in time ÷ (accepted + overdue not accepted)
/// - 按期办结率: answered by the due date ÷ answers due (given, or overdue) — dated by the due date
/// - 参评率: evaluated ÷ (evaluated + window passed); 满意率: 满意 + 基本满意 ÷ evaluated
/// - 重复信访率, 网信占比: repeat, online ÷ all items
/// - 初信初访一次性办结率: first-time items answered and never repeated ÷ first-time items answered
/// - 越级上访率: bypass visits ÷ visits
/// - 漏排率: escalated items whose matter no earlier screening report named ÷ escalated items
pub fn contributions(f: &ItemFacts, definitions: &Definitions) -> Vec<Contribution> {
    let mut out = Vec::new();
    let mut add = |metric: Metric,
                   denominator: bool,
                   numerator: bool,
                   dates: &[(DateBasis, Option<NaiveDate>)]| {
        for (basis, date) in dates {
            let Some(date) = *date else { continue };
            for (counts, is_numerator) in [(denominator, false), (denominator && numerator, true)] {
                if counts {
                    out.push(Contribution {
                        metric,
                        numerator: is_numerator,
                        basis: *basis,
                        date,
                    });
                }
            }
        }
    };
    let bases = [
        (DateBasis::Petitioned, f.petitioned_on),
        (DateBasis::Registered, f.registered_on),
        (DateBasis::Exchanged, f.exchanged_on),
    ];
    use Metric as M;
    add(
        M::TimelyAcceptance,
        f.accepted || f.acceptance_overdue,
        f.accepted && f.accepted_in_time,
        &bases,
    );
    let due = [(DateBasis::Due, f.answer_due)];
    add(
        M::OnTimeConclusion,
        f.answer_due.is_some() && (f.answered || f.answer_overdue),
        f.answered && f.answered_on_time,
        if definitions.on_time_by_due_date {
            &due
        } else {
            &bases
        },
    );
    add(
        M::EvaluationParticipation,
        f.evaluated || f.evaluation_missed,
        f.evaluated,
        &bases,
    );
    add(M::Satisfaction, f.evaluated, f.satisfied, &bases);
    add(M::RepeatRate, true, f.repeat, &bases);
    add(M::OnlineShare, true, f.online, &bases);
    add(
        M::FirstTimeOnePass,
        f.first_time && f.answered,
        !f.repeated_later,
        &bases,
    );
    add(
        M::BypassRate,
        f.visit || !definitions.bypass_over_visits,
        f.visit && f.bypass,
        &bases,
    );
    add(M::MissedScreening, f.escalated, !f.screened, &bases);
    out
}

impl Metric {
    /// The stable name stored with counts.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::TimelyAcceptance => "timely_acceptance",
            Metric::OnTimeConclusion => "on_time_conclusion",
            Metric::EvaluationParticipation => "evaluation_participation",
            Metric::Satisfaction => "satisfaction",
            Metric::RepeatRate => "repeat_rate",
            Metric::OnlineShare => "online_share",
            Metric::FirstTimeOnePass => "first_time_one_pass",
            Metric::BypassRate => "bypass_rate",
            Metric::MissedScreening => "missed_screening",
            Metric::ResolutionRate => "resolution_rate",
            Metric::ClosureRate => "closure_rate",
        }
    }

    pub fn parse(name: &str) -> Option<Metric> {
        ALL_METRICS.into_iter().find(|m| m.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::d;

    #[test]
    fn a_figure_with_nothing_counted_reads_no_data_never_zero() {
        assert_eq!(figure_text(Some(17.0 / 20.0), 17, 20), "85.0% (17/20)");
        assert_eq!(figure_text(None, 0, 0), "无数据");
        assert_eq!(rate_text(Some(0.0)), "0.0%");
        assert_eq!(rate_text(None), "无数据");
    }

    #[test]
    fn an_answered_first_time_visit_counts_where_the_formulas_say() {
        let facts = ItemFacts {
            visit: true,
            first_time: true,
            registered_on: Some(d("2026-02-05")),
            accepted: true,
            accepted_in_time: true,
            answer_due: Some(d("2026-04-07")),
            answered: true,
            answered_on_time: false,
            ..Default::default()
        };
        let counted: Vec<(Metric, bool, DateBasis)> =
            contributions(&facts, &Definitions::default())
                .iter()
                .map(|c| (c.metric, c.numerator, c.basis))
                .collect();
        use DateBasis::{Due, Registered};
        use Metric as M;
        assert_eq!(
            counted,
            [
                (M::TimelyAcceptance, false, Registered),
                (M::TimelyAcceptance, true, Registered),
                (M::OnTimeConclusion, false, Due),
                (M::RepeatRate, false, Registered),
                (M::OnlineShare, false, Registered),
                (M::FirstTimeOnePass, false, Registered),
                (M::FirstTimeOnePass, true, Registered),
                (M::BypassRate, false, Registered),
            ]
        );
    }

    #[test]
    fn the_default_readings_are_configuration() {
        let facts = ItemFacts {
            registered_on: Some(d("2026-02-05")),
            answer_due: Some(d("2026-04-07")),
            answered: true,
            ..Default::default()
        };
        let other = Definitions {
            on_time_by_due_date: false,
            bypass_over_visits: false,
        };
        let on_time: Vec<DateBasis> = contributions(&facts, &other)
            .iter()
            .filter(|c| c.metric == Metric::OnTimeConclusion)
            .map(|c| c.basis)
            .collect();
        assert_eq!(
            on_time,
            [DateBasis::Registered],
            "dated like the other metrics"
        );
        let bypass = contributions(&facts, &other)
            .iter()
            .filter(|c| c.metric == Metric::BypassRate)
            .count();
        assert_eq!(
            bypass, 1,
            "a letter counts in the bypass denominator over all items"
        );
    }

    #[test]
    fn no_denominator_is_no_data_not_zero() {
        assert_eq!(Ratio::new(0, 0).value(), None);
        assert_eq!(Ratio::new(0, 4).value(), Some(0.0));
        assert_eq!(Ratio::new(3, 4).value(), Some(0.75));
    }

    #[test]
    fn the_index_weighs_scores_and_skips_metrics_without_data() {
        let weights: IndexWeights = [
            (Metric::TimelyAcceptance, 2.0),
            (Metric::RepeatRate, 1.0),
            (Metric::Satisfaction, 1.0),
        ]
        .into();
        let components = [
            (Metric::TimelyAcceptance, Ratio::new(9, 10)), // score 0.9
            (Metric::RepeatRate, Ratio::new(1, 5)),        // score 0.8
            (Metric::Satisfaction, Ratio::new(0, 0)),      // no data: left out
        ];
        let index = petition_index(&components, &weights).unwrap();
        assert!((index - 100.0 * (2.0 * 0.9 + 0.8) / 3.0).abs() < 1e-9);
        assert_eq!(
            petition_index(&[(Metric::Satisfaction, Ratio::new(0, 0))], &weights),
            None
        );
    }
}
