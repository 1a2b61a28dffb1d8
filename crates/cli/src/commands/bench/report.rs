//! What a load run saw: latencies in an HDR histogram (microseconds, 3 significant digits), errors
//! by gRPC status code, and the rate over the measured time (the warm-up is left out).

use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

pub struct Report {
    pub latencies: Histogram<u64>,
    pub errors: BTreeMap<String, u64>,
    pub elapsed: Duration,
}

impl Report {
    pub fn new() -> Self {
        Self {
            // One microsecond to one hour.
            latencies: Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("histogram bounds"),
            errors: BTreeMap::new(),
            elapsed: Duration::ZERO,
        }
    }

    pub fn record(&mut self, latency: Duration) {
        self.latencies.saturating_record(latency.as_micros() as u64);
    }

    pub fn error(&mut self, code: String) {
        *self.errors.entry(code).or_default() += 1;
    }

    pub fn merge(&mut self, other: Report) {
        self.latencies
            .add(&other.latencies)
            .expect("histograms of one shape");
        for (code, n) in other.errors {
            *self.errors.entry(code).or_default() += n;
        }
    }

    pub fn calls(&self) -> u64 {
        self.latencies.len() + self.errors.values().sum::<u64>()
    }

    /// Successful calls per second over the measured time.
    pub fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    fn millis(&self, quantile: f64) -> f64 {
        self.latencies.value_at_quantile(quantile) as f64 / 1000.0
    }
}

impl Report {
    /// `latency ms: p50 …  p90 …  p99 …  max …`, or nothing when nothing succeeded.
    pub fn quantiles(&self) -> String {
        if self.latencies.is_empty() {
            return String::new();
        }
        format!(
            "latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
            self.millis(0.50),
            self.millis(0.90),
            self.millis(0.99),
            self.latencies.max() as f64 / 1000.0
        )
    }

    /// One line per status code that failed, with its count.
    pub fn error_lines(&self) -> String {
        self.errors
            .iter()
            .map(|(code, n)| format!("errors {code}: {n}\n"))
            .collect()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} calls in {:.1} s: {} ok, {:.0}/s",
            self.calls(),
            self.elapsed.as_secs_f64(),
            self.latencies.len(),
            self.rate()
        )?;
        writeln!(f, "{}", self.quantiles())?;
        write!(f, "{}", self.error_lines())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_errors_and_rate_add_up_across_workers() {
        let mut one = Report::new();
        let mut two = Report::new();
        for ms in 1..=99 {
            one.record(Duration::from_millis(ms));
        }
        two.record(Duration::from_millis(100));
        two.error("Unavailable".into());
        two.error("Unavailable".into());
        one.merge(two);
        one.elapsed = Duration::from_secs(2);
        assert_eq!(one.calls(), 102);
        assert_eq!(one.rate(), 50.0);
        let text = one.to_string();
        assert!(text.contains("p50 50.0"), "{text}");
        assert!(text.contains("max 100.0"), "{text}");
        assert!(text.contains("errors Unavailable: 2"), "{text}");
    }
}
