//! `cargo bench --bench track`: what tracking costs the app, and how fast delivery,
//! flushing and start-up are, on this machine, in one run.
//!
//! Prints a table (each figure beside its target) and, as the very last line, the same
//! figures as one JSON object for scripts. Every figure is one sample of one run: read
//! them as "about", and compare the track latencies with the bare SQLite floor measured
//! in the same run rather than across machines.
//!
//! Peak memory is process-wide, so it is measured in a child process: this binary
//! re-executed with `--rss-child`.
//!
//! Measuring and reporting are apart: `floors`, `delivery`, `backlog`, `memory`,
//! `game`, `cdylib` (with `elf`) and `python` measure and return plain figures; `report` prints
//! the table beside `targets`, and `json` the closing JSON line.

use hamustro_collector as collector;

mod backlog;
mod cdylib;
mod delivery;
mod elf;
mod fixtures;
mod floors;
mod game;
mod json;
mod latency;
mod memory;
mod python;
mod report;
mod targets;

use std::num::NonZero;
use std::thread;
use std::time::{Duration, Instant};

use backlog::{flush_backlog, startup_with_backlog};
use cdylib::cdylib;
use delivery::{track_with_delivery, CollectorMode};
use floors::{file_write_floor, sqlite_floor};
use game::realistic_game;
use memory::{peak_memory, rss_child};
use python::python_track;
use report::Report;

const SECRET: &str = "bench-secret";
/// The event every measurement tracks, the same one the Python measurement tracks.
const EVENT: &str = "E";
const PARAMS: [(&str, &str); 3] = [("a", "1"), ("b", "2"), ("c", "3")];

const TRACKED: usize = 100_000;
const THREADS: usize = 4;
const FLOOR_TXNS: usize = 100_000;
const FLOOR_BLOB_BYTES: usize = 150;
const FLUSH_BACKLOG: usize = 10_000;
const STARTUP_BACKLOG: usize = 100_000;
const STARTUP_REPS: usize = 7;
const PYTHON_CALLS: usize = 20_000;
/// How long one run may wait for delivery, from its first `track_event`: past it, the
/// rate is computed from what had arrived, so a slow collector cannot stretch the run.
const DELIVERY_BUDGET: Duration = Duration::from_secs(45);

fn main() {
    if std::env::args().any(|arg| arg == "--rss-child") {
        rss_child();
        return;
    }
    let cpus = thread::available_parallelism().map_or(0, NonZero::get);
    let load_before = load_average();

    // First, so that a rebuild of the library does not compete with the measurements.
    let cdylib = phase("cdylib: target/release/libhamustro.so", cdylib);
    let floor = phase("floor: bare SQLite WAL transactions", sqlite_floor);
    let write_floor = phase("floor: bare pwrite of a record", || file_write_floor(1));
    let write_floor_threads = phase("floor: bare pwrite, threads sharing a mutex", || {
        file_write_floor(THREADS)
    });
    let single = phase("track: 1 thread, validating collector", || {
        track_with_delivery(1, CollectorMode::Validating)
    });
    let multi = phase("track: 4 threads, validating collector", || {
        track_with_delivery(THREADS, CollectorMode::Validating)
    });
    // References: the same runs against a collector that costs next to nothing.
    let ceiling = phase("track: 1 thread, 200-only collector", || {
        track_with_delivery(1, CollectorMode::AnswerOnly200)
    });
    let multi_ceiling = phase("track: 4 threads, 200-only collector", || {
        track_with_delivery(THREADS, CollectorMode::AnswerOnly200)
    });
    let game = phase(
        "realistic game: 4 threads x 1,000 events/s for 10 s, every core busy",
        realistic_game,
    );
    let flush = phase("flush: 10,000 queued events", flush_backlog);
    let startup = phase("start-up: 100,000 unsent events", startup_with_backlog);
    let rss = phase("memory: child process with 100,000 queued", peak_memory);
    let python = phase("python: track_event through ctypes", || {
        python_track(&cdylib.path)
    });

    let report = Report {
        cpus,
        load: [load_before, load_average()],
        floor,
        write_floor,
        write_floor_threads,
        single,
        multi,
        ceiling,
        multi_ceiling,
        game,
        flush,
        startup,
        rss,
        cdylib,
        python,
    };
    report.print_table();
    println!("{}", report.json());
}

/// The 1-minute load average (NaN where /proc/loadavg is missing).
fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

fn progress(what: &str) {
    eprintln!("[bench] {what}");
}

/// Runs one measurement, telling stderr what runs and how long it took.
fn phase<T>(name: &str, run: impl FnOnce() -> T) -> T {
    progress(name);
    let start = Instant::now();
    let result = run();
    progress(&format!("  done in {:.1} s", start.elapsed().as_secs_f64()));
    result
}
