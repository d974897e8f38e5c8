//! Tracking while delivery runs: latencies on the callers' threads, and how fast the
//! events reach a loopback collector.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use hamustro::Tracker;

use crate::collector::{Collector, Reply};
use crate::fixtures::{config, temp_dir, track_timed_counting_preemptions};
use crate::latency::{per_second, Latency};
use crate::{progress, DELIVERY_BUDGET, SECRET, TRACKED};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum CollectorMode {
    /// Checks signature, body and session like the genuine collector, and records
    /// every event (the in-process test collector as the tests use it).
    Validating,
    /// Reads each request and answers 200 without decoding or recording it: what the
    /// library can deliver when the collector costs next to nothing.
    AnswerOnly200,
}

pub struct TrackRun {
    pub threads: usize,
    pub mode: CollectorMode,
    /// Involuntary context switches of the tracking threads while they tracked.
    pub preemptions: u64,
    /// Calls that took longer than a millisecond.
    pub calls_over_1ms: usize,
    pub latency: Latency,
    pub tracked_per_s: f64,
    pub tracking_time: Duration,
    /// From the first `track_event` until the collector had every event (or until
    /// `DELIVERY_BUDGET` ran out).
    pub delivery_time: Duration,
    pub delivered: usize,
    pub delivered_per_s: f64,
    pub delivered_all: bool,
    pub requests: usize,
    /// Time the collector spent between having read a request and having recorded it.
    pub collector_busy: Duration,
}

/// Tracks `TRACKED` events split over `threads` threads against the loopback collector
/// with the default `queue_size` (20), so delivery runs all along; then flushes the
/// remainder (fewer than `queue_size` events would otherwise wait for the next trigger)
/// and waits until the collector has them all.
pub fn track_with_delivery(threads: usize, mode: CollectorMode) -> TrackRun {
    let collector = Collector::start(SECRET);
    if mode == CollectorMode::AnswerOnly200 {
        collector.set_default_reply(Reply::Status(200));
    }
    let busy_ns = Arc::new(AtomicU64::new(0));
    collector.on_request(Box::new({
        let busy_ns = Arc::clone(&busy_ns);
        move |request| {
            busy_ns.fetch_add(request.at.elapsed().as_nanos() as u64, Ordering::Relaxed);
        }
    }));
    let dir = temp_dir();
    let tracker = Tracker::new(config(&collector.url(), &dir.path().join("q.sqlite3")))
        .expect("open the tracker");
    let per_thread = TRACKED / threads;
    let total = per_thread * threads;
    let ready = Barrier::new(threads + 1);

    let (start, samples, preemptions) = thread::scope(|scope| {
        if threads == 1 {
            let start = Instant::now();
            let (samples, preemptions) = track_timed_counting_preemptions(&tracker, per_thread);
            return (start, samples, preemptions);
        }
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    ready.wait();
                    track_timed_counting_preemptions(&tracker, per_thread)
                })
            })
            .collect();
        ready.wait();
        let start = Instant::now();
        let mut samples = Vec::with_capacity(total);
        let mut preemptions = 0;
        for worker in workers {
            let (mine, preempted) = worker.join().expect("a tracking thread panicked");
            samples.extend(mine);
            preemptions += preempted;
        }
        (start, samples, preemptions)
    });
    let calls_over_1ms = samples.iter().filter(|&&ns| ns > 1_000_000).count();
    let tracking_time = start.elapsed();

    let remaining = || DELIVERY_BUDGET.saturating_sub(start.elapsed());
    let flushed = tracker.flush(remaining());
    let delivered = match mode {
        CollectorMode::Validating if collector.wait_for_events(total, remaining()) => total,
        CollectorMode::Validating => collector.events().len(),
        CollectorMode::AnswerOnly200 => total.saturating_sub(tracker.queued() as usize),
    };
    let delivery_time = start.elapsed();
    if let Err(error) = &flushed {
        progress(&format!("  flush after tracking: {error}"));
    }
    drop(tracker);
    TrackRun {
        threads,
        mode,
        preemptions,
        calls_over_1ms,
        latency: Latency::of(samples),
        tracked_per_s: per_second(total, tracking_time),
        tracking_time,
        delivery_time,
        delivered,
        delivered_per_s: per_second(delivered, delivery_time),
        delivered_all: delivered >= total,
        requests: collector.requests().len(),
        collector_busy: Duration::from_nanos(busy_ns.load(Ordering::Relaxed)),
    }
}
