//! The metrics of domain.md (Metrics) as ratios, and the petition index (信访指数) composed of
//! them. Counting the items is the supervision service's job; what a ratio means, when there is
//! no data, and how the index weighs the metrics is decided here.

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
    ResolutionRate,          // 化解率 (of a list)
    ClosureRate,             // 办结率 (of a list)
}

/// The item metrics, counted over petitions (the list metrics are counted over a list).
pub const ITEM_METRICS: [Metric; 8] = [
    Metric::TimelyAcceptance,
    Metric::OnTimeConclusion,
    Metric::EvaluationParticipation,
    Metric::Satisfaction,
    Metric::RepeatRate,
    Metric::OnlineShare,
    Metric::FirstTimeOnePass,
    Metric::BypassRate,
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
            Metric::ResolutionRate => "化解率",
            Metric::ClosureRate => "办结率",
        }
    }

    /// Whether a higher value is better work (a high repeat or bypass rate is not).
    pub fn higher_is_better(self) -> bool {
        !matches!(self, Metric::RepeatRate | Metric::BypassRate)
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

#[cfg(test)]
mod tests {
    use super::*;

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
