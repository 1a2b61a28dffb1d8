//! The load itself: `concurrency` callers in a closed loop (each sends its next call when the last
//! one answered), or paced to a fixed rate; a warm-up whose calls are not counted; a progress bar
//! on the terminal.

use super::report::Report;
use indicatif::{ProgressBar, ProgressStyle};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

#[derive(clap::Args, Clone)]
pub struct Plan {
    /// Callers at once.
    #[arg(long, short = 'c', default_value_t = 8)]
    pub concurrency: usize,
    /// Calls to measure (after the warm-up); without it, --duration.
    #[arg(long, short = 'n')]
    pub count: Option<u64>,
    /// Seconds to measure when no --count is given.
    #[arg(long, default_value_t = 20)]
    pub duration: u64,
    /// Seconds of calls first, not counted (pools filled, plans cached).
    #[arg(long, default_value_t = 3)]
    pub warmup: u64,
    /// Calls per second across all callers (paced, open loop); unpaced when omitted.
    #[arg(long)]
    pub rate: Option<f64>,
}

/// Runs `call(n)` (n: the call's number, unique in this run) as `plan` says. `call` answers the
/// gRPC status code's name when the call failed.
pub async fn drive<C, F>(plan: &Plan, call: C) -> Report
where
    C: Fn(u64) -> F + Send + Sync + 'static,
    F: Future<Output = Result<(), String>> + Send,
{
    let call = Arc::new(call);
    let started = Instant::now();
    let measured_from = started + Duration::from_secs(plan.warmup);
    let end = plan
        .count
        .is_none()
        .then(|| measured_from + Duration::from_secs(plan.duration));
    let next = Arc::new(AtomicU64::new(0));
    let counted = Arc::new(AtomicU64::new(0));
    let progress = progress_bar(plan);

    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..plan.concurrency.max(1) {
        let (call, next, counted) = (call.clone(), next.clone(), counted.clone());
        let (count, rate) = (plan.count, plan.rate);
        workers.spawn(async move {
            let mut report = Report::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if let Some(rate) = rate {
                    tokio::time::sleep_until(started + Duration::from_secs_f64(n as f64 / rate))
                        .await;
                }
                let sent = Instant::now();
                if end.is_some_and(|end| sent >= end) {
                    break;
                }
                let warming = sent < measured_from;
                if !warming && count.is_some_and(|c| counted.fetch_add(1, Ordering::Relaxed) >= c) {
                    break;
                }
                let outcome = call(n).await;
                if warming {
                    continue;
                }
                match outcome {
                    Ok(()) => report.record(sent.elapsed()),
                    Err(code) => report.error(code),
                }
            }
            report
        });
    }
    let ticker = {
        let progress = progress.clone();
        let counted = counted.clone();
        let by_count = plan.count.is_some();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let now = Instant::now();
                if by_count {
                    progress.set_position(counted.load(Ordering::Relaxed));
                } else {
                    progress.set_position(now.saturating_duration_since(measured_from).as_secs());
                }
                if now < measured_from {
                    progress.set_message("warming up");
                } else {
                    progress.set_message("measuring");
                }
            }
        })
    };
    let mut report = Report::new();
    while let Some(worker) = workers.join_next().await {
        report.merge(worker.expect("a load worker"));
    }
    ticker.abort();
    progress.finish_and_clear();
    report.elapsed = Instant::now().saturating_duration_since(measured_from);
    report
}

fn progress_bar(plan: &Plan) -> ProgressBar {
    let (length, unit) = match plan.count {
        Some(count) => (count, "calls"),
        None => (plan.duration, "s"),
    };
    let bar = ProgressBar::new(length);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{msg:>11}} [{{bar:40}}] {{pos}}/{{len}} {unit} {{elapsed}}"
        ))
        .expect("a progress template")
        .progress_chars("=> "),
    );
    bar
}
