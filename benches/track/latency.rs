//! Latency percentiles and the units the figures are given in.

use std::time::Duration;

/// Latency percentiles of a set of per-call durations.
#[derive(Clone, Copy)]
pub struct Latency {
    pub count: usize,
    pub p50_ns: u64,
    pub p99_ns: u64,
    pub p999_ns: u64,
    pub max_ns: u64,
    pub mean_ns: f64,
}

impl Latency {
    pub fn of(mut samples_ns: Vec<u64>) -> Latency {
        samples_ns.sort_unstable();
        let sum: u64 = samples_ns.iter().sum();
        Latency {
            count: samples_ns.len(),
            p50_ns: percentile(&samples_ns, 50.0),
            p99_ns: percentile(&samples_ns, 99.0),
            p999_ns: percentile(&samples_ns, 99.9),
            max_ns: samples_ns.last().copied().unwrap_or(0),
            mean_ns: sum as f64 / samples_ns.len().max(1) as f64,
        }
    }
}

/// Nearest-rank percentile of an ascending slice.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

pub fn us(ns: u64) -> f64 {
    round2(ns as f64 / 1000.0)
}

pub fn ms(duration: Duration) -> f64 {
    round2(duration.as_secs_f64() * 1000.0)
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub fn per_second(count: usize, elapsed: Duration) -> f64 {
    (count as f64 / elapsed.as_secs_f64()).round()
}
