//! The figure a game developer reads: a few threads tracking at a steady pace, as a
//! game's systems do, while every core is busy with the game itself and delivery runs.

use std::hint::black_box;
use std::num::NonZero;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use hamustro::Tracker;

use crate::collector::Collector;
use crate::fixtures::{config, temp_dir, thread_preemptions};
use crate::latency::Latency;
use crate::{EVENT, PARAMS, SECRET};

pub const GAME_THREADS: usize = 4;
pub const GAME_RATE_PER_S: u64 = 1000;
pub const GAME_SECONDS: u64 = 10;

pub struct GameRun {
    /// The CPU-busy threads beside the trackers: one a core.
    pub busy_threads: usize,
    pub latency: Latency,
    pub preemptions: u64,
    pub calls_over_1ms: usize,
    pub delivered: usize,
    pub tracked: usize,
}

/// `GAME_THREADS` threads each track `GAME_RATE_PER_S` events a second for
/// `GAME_SECONDS` s (each at its own fixed schedule, sleeping in between) beside a
/// thread spinning on every core, with the default `queue_size`, so delivery to the
/// validating collector runs all along.
pub fn realistic_game() -> GameRun {
    let collector = Collector::start(SECRET);
    let dir = temp_dir();
    let tracker = Tracker::new(config(&collector.url(), &dir.path().join("q.sqlite3")))
        .expect("open the tracker");
    let busy_threads = thread::available_parallelism().map_or(1, NonZero::get);
    let stop = AtomicBool::new(false);
    let per_thread = (GAME_RATE_PER_S * GAME_SECONDS) as usize;
    let period = Duration::from_nanos(1_000_000_000 / GAME_RATE_PER_S);
    let (samples, preemptions) = thread::scope(|scope| {
        for _ in 0..busy_threads {
            scope.spawn(|| {
                let mut x = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    for _ in 0..1000 {
                        x = black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
                    }
                }
            });
        }
        let trackers: Vec<_> = (0..GAME_THREADS)
            .map(|_| {
                scope.spawn(|| {
                    let before = thread_preemptions();
                    let mut samples = Vec::with_capacity(per_thread);
                    let start = Instant::now();
                    for i in 0..per_thread {
                        let due = start + period * i as u32;
                        if let Some(wait) = due.checked_duration_since(Instant::now()) {
                            thread::sleep(wait);
                        }
                        let call = Instant::now();
                        tracker.track_event(EVENT, &PARAMS).expect("track_event");
                        samples.push(call.elapsed().as_nanos() as u64);
                    }
                    (samples, thread_preemptions().saturating_sub(before))
                })
            })
            .collect();
        let mut samples = Vec::with_capacity(per_thread * GAME_THREADS);
        let mut preemptions = 0;
        for tracker in trackers {
            let (mine, preempted) = tracker.join().expect("a tracking thread panicked");
            samples.extend(mine);
            preemptions += preempted;
        }
        stop.store(true, Ordering::Relaxed);
        (samples, preemptions)
    });
    let tracked = samples.len();
    let _ = tracker.flush(Duration::from_secs(30));
    collector.wait_for_events(tracked, Duration::from_secs(30));
    GameRun {
        busy_threads,
        calls_over_1ms: samples.iter().filter(|&&ns| ns > 1_000_000).count(),
        latency: Latency::of(samples),
        preemptions,
        delivered: collector.events().len(),
        tracked,
    }
}
