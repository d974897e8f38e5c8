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

#[path = "../tests/support/collector.rs"]
mod collector;

use std::fs::OpenOptions;
use std::net::TcpListener;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use collector::{Collector, Reply};
use hamustro::{Tracker, TrackerConfig};
use rusqlite::{params, Connection, TransactionBehavior};
use serde_json::{json, Value};

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
/// How long one run may wait for delivery, from its first track_event: past it, the
/// rate is computed from what had arrived, so a slow collector cannot stretch the run.
const DELIVERY_BUDGET: Duration = Duration::from_secs(45);

/// The targets, printed beside the figures for reference.
mod target {
    pub const P50_US: f64 = 5.0;
    pub const P99_US: f64 = 50.0;
    pub const P999_US: f64 = 500.0;
    pub const TRACKED_PER_S: f64 = 200_000.0;
    pub const DELIVERED_PER_S: f64 = 50_000.0;
    pub const FLUSH_10K_MS: f64 = 1000.0;
    pub const STARTUP_MS: f64 = 50.0;
    pub const RSS_MB: f64 = 16.0;
    pub const CDYLIB_MB: f64 = 3.0;
}

fn main() {
    if std::env::args().any(|arg| arg == "--rss-child") {
        rss_child();
        return;
    }
    let cpus = thread::available_parallelism().map_or(0, |n| n.get());
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

// ---------------------------------------------------------------------------------------
// Percentiles
// ---------------------------------------------------------------------------------------

/// Latency percentiles of a set of per-call durations.
#[derive(Clone, Copy)]
struct Latency {
    count: usize,
    p50_ns: u64,
    p99_ns: u64,
    p999_ns: u64,
    max_ns: u64,
    mean_ns: f64,
}

impl Latency {
    fn of(mut samples_ns: Vec<u64>) -> Latency {
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

    fn json(&self) -> Value {
        json!({
            "count": self.count,
            "p50_us": us(self.p50_ns),
            "p99_us": us(self.p99_ns),
            "p999_us": us(self.p999_ns),
            "max_us": us(self.max_ns),
            "mean_us": round2(self.mean_ns / 1000.0),
        })
    }
}

/// Nearest-rank percentile of an ascending slice.
fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

fn us(ns: u64) -> f64 {
    round2(ns as f64 / 1000.0)
}

fn ms(duration: Duration) -> f64 {
    round2(duration.as_secs_f64() * 1000.0)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn per_second(count: usize, elapsed: Duration) -> f64 {
    (count as f64 / elapsed.as_secs_f64()).round()
}

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

fn config(url: &str, db: &Path) -> TrackerConfig {
    TrackerConfig {
        collector_url: url.to_string(),
        shared_secret_key: SECRET.to_string(),
        device_id: "bench-device".to_string(),
        client_id: "bench".to_string(),
        system_version: "14.1".to_string(),
        product_version: "2.0.0".to_string(),
        database_path: Some(db.to_path_buf()),
        ..TrackerConfig::default()
    }
}

/// A tracker whose deliveries all fail at once (connection refused), with room for a
/// large backlog: events stay queued.
fn offline_config(db: &Path) -> TrackerConfig {
    TrackerConfig {
        max_queued_events: 10 * STARTUP_BACKLOG as u64,
        ..config(&refused_url(), db)
    }
}

/// A URL where nothing listens.
fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("create a temporary directory")
}

/// Tracks `n` events on this thread, returning each call's duration in ns.
fn track_timed(tracker: &Tracker, n: usize) -> Vec<u64> {
    track_timed_counting_preemptions(tracker, n).0
}

/// `track_timed`, and how often the kernel took the CPU away from this thread
/// meanwhile (its involuntary context switches): each one can put a tick of waiting
/// into one call's latency, which is what the tail percentiles show.
fn track_timed_counting_preemptions(tracker: &Tracker, n: usize) -> (Vec<u64>, u64) {
    let before = thread_preemptions();
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        tracker.track_event(EVENT, &PARAMS).expect("track_event");
        samples.push(start.elapsed().as_nanos() as u64);
    }
    (samples, thread_preemptions().saturating_sub(before))
}

/// The calling thread's involuntary context switches so far (Linux; 0 elsewhere).
fn thread_preemptions() -> u64 {
    std::fs::read_to_string("/proc/thread-self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("nonvoluntary_ctxt_switches:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------
// The floor: one bare SQLite WAL transaction per row
// ---------------------------------------------------------------------------------------

/// What a durable local write costs at the least: `BEGIN IMMEDIATE; INSERT; COMMIT` of a
/// ~150-byte blob, WAL with synchronous=NORMAL, as the queue is configured.
fn sqlite_floor() -> Latency {
    let dir = temp_dir();
    let mut conn = Connection::open(dir.path().join("floor.sqlite3")).expect("open");
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))
        .expect("journal_mode=WAL");
    conn.pragma_update(None, "synchronous", "NORMAL")
        .expect("synchronous=NORMAL");
    conn.execute_batch(
        "CREATE TABLE events (
             id INTEGER PRIMARY KEY AUTOINCREMENT,
             profile_id INTEGER NOT NULL,
             payload BLOB NOT NULL
         );",
    )
    .expect("create table");
    let blob = vec![0x5a_u8; FLOOR_BLOB_BYTES];
    let mut samples = Vec::with_capacity(FLOOR_TXNS);
    for _ in 0..FLOOR_TXNS {
        let start = Instant::now();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .expect("begin");
        tx.prepare_cached("INSERT INTO events(profile_id, payload) VALUES (?1, ?2)")
            .and_then(|mut insert| insert.execute(params![1, blob]))
            .expect("insert");
        tx.commit().expect("commit");
        samples.push(start.elapsed().as_nanos() as u64);
    }
    Latency::of(samples)
}

/// The other floor: one `pwrite` of a comparable record at the end of a file, what an
/// append-only journal costs at the least (no fsync: the page cache survives a kill).
/// With several threads they share the file behind one mutex, as the journal does, so
/// the figure shows what the scheduler alone does to the tail on this machine.
fn file_write_floor(threads: usize) -> Latency {
    let dir = temp_dir();
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(dir.path().join("floor.journal"))
        .expect("open");
    let journal = std::sync::Mutex::new((file, 0u64));
    let record = vec![0x5a_u8; FLOOR_BLOB_BYTES];
    let per_thread = FLOOR_TXNS / threads;
    let samples: Vec<u64> = thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut samples = Vec::with_capacity(per_thread);
                    for _ in 0..per_thread {
                        let start = Instant::now();
                        let mut guard = journal.lock().unwrap();
                        let (file, offset) = &mut *guard;
                        file.write_all_at(&record, *offset).expect("write");
                        *offset += record.len() as u64;
                        drop(guard);
                        samples.push(start.elapsed().as_nanos() as u64);
                    }
                    samples
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    Latency::of(samples)
}

// ---------------------------------------------------------------------------------------
// Tracking while delivery runs
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum CollectorMode {
    /// Checks signature, body and session like the genuine collector, and records
    /// every event (the in-process test collector as the tests use it).
    Validating,
    /// Reads each request and answers 200 without decoding or recording it: what the
    /// library can deliver when the collector costs next to nothing.
    AnswerOnly200,
}

struct TrackRun {
    threads: usize,
    mode: CollectorMode,
    /// Involuntary context switches of the tracking threads while they tracked.
    preemptions: u64,
    /// Calls that took longer than a millisecond.
    calls_over_1ms: usize,
    latency: Latency,
    tracked_per_s: f64,
    tracking_time: Duration,
    /// From the first track_event until the collector had every event (or until
    /// `DELIVERY_BUDGET` ran out).
    delivery_time: Duration,
    delivered: usize,
    delivered_per_s: f64,
    delivered_all: bool,
    requests: usize,
    /// Time the collector spent between having read a request and having recorded it.
    collector_busy: Duration,
}

/// Tracks `TRACKED` events split over `threads` threads against the loopback collector
/// with the default queue_size (20), so delivery runs all along; then flushes the
/// remainder (fewer than queue_size events would otherwise wait for the next trigger)
/// and waits until the collector has them all.
fn track_with_delivery(threads: usize, mode: CollectorMode) -> TrackRun {
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

// ---------------------------------------------------------------------------------------
// Flush of a backlog
// ---------------------------------------------------------------------------------------

struct FlushRun {
    time: Duration,
    ok: bool,
    error: Option<String>,
    requests: usize,
}

/// Queues `FLUSH_BACKLOG` events while the collector answers 503 (so they all stay
/// queued), lets it accept again and times `flush` until the last one is delivered.
fn flush_backlog() -> FlushRun {
    let collector = Collector::start(SECRET);
    collector.set_default_reply(Reply::Status(503));
    let dir = temp_dir();
    let tracker = Tracker::new(config(&collector.url(), &dir.path().join("q.sqlite3")))
        .expect("open the tracker");
    track_timed(&tracker, FLUSH_BACKLOG);
    assert_eq!(
        tracker.queued(),
        FLUSH_BACKLOG as u64,
        "the backlog is queued"
    );
    let failed_requests = collector.requests().len();

    let start = Instant::now();
    collector.set_default_reply(Reply::Validate);
    let flushed = tracker.flush(DELIVERY_BUDGET);
    let time = start.elapsed();
    let ok = flushed.is_ok() && collector.wait_for_events(FLUSH_BACKLOG, Duration::ZERO);
    drop(tracker);
    FlushRun {
        time,
        ok,
        error: flushed.err().map(|e| e.to_string()),
        requests: collector.requests().len() - failed_requests,
    }
}

// ---------------------------------------------------------------------------------------
// Start-up with a backlog
// ---------------------------------------------------------------------------------------

struct StartupRun {
    times_ms: Vec<f64>,
    median_ms: f64,
    /// The cost of building the backlog: track_event while delivery fails at once.
    offline: Latency,
    offline_per_s: f64,
    /// Average stored size of one event, for comparison with the floor's row.
    stored_event_bytes: f64,
}

/// Queues `STARTUP_BACKLOG` events against a refused URL, closes the tracker, and times
/// `Tracker::new` on that database `STARTUP_REPS` times.
fn startup_with_backlog() -> StartupRun {
    let dir = temp_dir();
    let db = dir.path().join("q.sqlite3");
    let config = offline_config(&db);

    let tracker = Tracker::new(config.clone()).expect("open the tracker");
    let start = Instant::now();
    let offline = track_timed(&tracker, STARTUP_BACKLOG);
    let offline_per_s = per_second(STARTUP_BACKLOG, start.elapsed());
    drop(tracker);
    let stored_event_bytes = average_payload_bytes(&db);

    let mut times_ms = Vec::with_capacity(STARTUP_REPS);
    for _ in 0..STARTUP_REPS {
        let start = Instant::now();
        let tracker = Tracker::new(config.clone()).expect("reopen the tracker");
        times_ms.push(ms(start.elapsed()));
        assert_eq!(
            tracker.queued(),
            STARTUP_BACKLOG as u64,
            "the backlog survives"
        );
    }
    StartupRun {
        median_ms: median(&times_ms),
        times_ms,
        offline: Latency::of(offline),
        offline_per_s,
        stored_event_bytes,
    }
}

/// Reads the closed queue directly; NaN when its layout is not what this expects
/// (the store's internals are free to change).
fn average_payload_bytes(db: &Path) -> f64 {
    Connection::open(db)
        .and_then(|conn| {
            conn.query_row("SELECT avg(length(payload)) FROM events", [], |row| {
                row.get::<_, f64>(0)
            })
        })
        .map_or(f64::NAN, round2)
}

// ---------------------------------------------------------------------------------------
// Peak memory, in a child process
// ---------------------------------------------------------------------------------------

/// The child's side: baseline, track 100,000 offline, reopen, report /proc figures as
/// one JSON line (kB).
fn rss_child() {
    let baseline = proc_status();
    let dir = temp_dir();
    let config = offline_config(&dir.path().join("q.sqlite3"));
    let tracker = Tracker::new(config.clone()).expect("open the tracker");
    for _ in 0..STARTUP_BACKLOG {
        tracker.track_event(EVENT, &PARAMS).expect("track_event");
    }
    let after_tracking = proc_status();
    drop(tracker);
    let tracker = Tracker::new(config).expect("reopen the tracker");
    let queued = tracker.queued();
    let after_reopen = proc_status();
    drop(tracker);
    println!(
        "{}",
        json!({
            "baseline_rss_kb": baseline.rss_kb,
            "after_tracking_rss_kb": after_tracking.rss_kb,
            "after_reopen_rss_kb": after_reopen.rss_kb,
            "peak_kb": after_reopen.hwm_kb,
            "queued": queued,
        })
    );
}

struct ProcStatus {
    rss_kb: u64,
    hwm_kb: u64,
}

fn proc_status() -> ProcStatus {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    ProcStatus {
        rss_kb: field("VmRSS:"),
        hwm_kb: field("VmHWM:"),
    }
}

/// The parent's side: runs the child and parses its last line.
fn peak_memory() -> Result<Value, String> {
    let exe = std::env::current_exe().map_err(|e| format!("no current_exe: {e}"))?;
    let output = Command::new(exe)
        .arg("--rss-child")
        .output()
        .map_err(|e| format!("cannot run the child: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "child failed ({}): {}",
            output.status,
            stderr.lines().last().unwrap_or("")
        ));
    }
    let line = stdout.lines().last().unwrap_or("");
    serde_json::from_str(line).map_err(|e| format!("cannot parse {line:?}: {e}"))
}

// ---------------------------------------------------------------------------------------
// The cdylib
// ---------------------------------------------------------------------------------------

struct CdylibInfo {
    path: PathBuf,
    bytes: Option<u64>,
    /// Some(true) when the ELF file has no symbol table and no debug sections.
    stripped: Option<bool>,
    rebuilt: bool,
    note: Option<String>,
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                manifest_dir().join(dir)
            }
        })
        .unwrap_or_else(|| manifest_dir().join("target"))
}

/// Reports `target/release/libhamustro.so`, first building it with `cargo build
/// --release --lib` when it is missing or older than the sources.
fn cdylib() -> CdylibInfo {
    let path = target_dir().join("release").join("libhamustro.so");
    let built_at = modified(&path);
    let sources_at = newest_source();
    let mut rebuilt = false;
    let mut note = None;
    if built_at.is_none() || built_at < sources_at {
        progress("  missing or older than the sources: cargo build --release --lib");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--release", "--lib", "--quiet"])
            .current_dir(manifest_dir())
            .status();
        match status {
            Ok(status) if status.success() => rebuilt = true,
            Ok(status) => note = Some(format!("cargo build --release --lib failed: {status}")),
            Err(e) => note = Some(format!("cannot run cargo: {e}")),
        }
    }
    let bytes = std::fs::metadata(&path).ok().map(|m| m.len());
    let stripped = std::fs::read(&path)
        .ok()
        .and_then(|elf| elf_is_stripped(&elf));
    CdylibInfo {
        path,
        bytes,
        stripped,
        rebuilt,
        note,
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time among the inputs of the library.
fn newest_source() -> Option<SystemTime> {
    fn walk(path: &Path, newest: &mut Option<SystemTime>) {
        if path.is_dir() {
            for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
                walk(&entry.path(), newest);
            }
        } else {
            *newest = (*newest).max(modified(path));
        }
    }
    let mut newest = None;
    for input in ["src", "proto", "build.rs", "Cargo.toml", "Cargo.lock"] {
        walk(&manifest_dir().join(input), &mut newest);
    }
    newest
}

/// Whether a 64-bit little-endian ELF file has neither a symbol table (`SHT_SYMTAB`)
/// nor `.debug*` sections; `None` when it is not such a file.
fn elf_is_stripped(elf: &[u8]) -> Option<bool> {
    const SHT_SYMTAB: u32 = 2;
    if elf.get(..6)? != b"\x7fELF\x02\x01" {
        return None;
    }
    let u16_at = |at: usize| Some(u16::from_le_bytes(elf.get(at..at + 2)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_le_bytes(elf.get(at..at + 4)?.try_into().ok()?));
    let u64_at = |at: usize| Some(u64::from_le_bytes(elf.get(at..at + 8)?.try_into().ok()?));
    let section_table = u64_at(0x28)? as usize;
    let entry_size = u16_at(0x3a)? as usize;
    let count = u16_at(0x3c)? as usize;
    let names_index = u16_at(0x3e)? as usize;
    let section = |i: usize| section_table + i * entry_size;
    let names_at = u64_at(section(names_index) + 0x18)? as usize;
    let mut stripped = true;
    for i in 0..count {
        let name_at = names_at + u32_at(section(i))? as usize;
        let name = elf.get(name_at..)?.split(|&b| b == 0).next()?;
        if u32_at(section(i) + 4)? == SHT_SYMTAB || name.starts_with(b".debug") {
            stripped = false;
        }
    }
    Some(stripped)
}

// ---------------------------------------------------------------------------------------
// Through the Python wrapper
// ---------------------------------------------------------------------------------------

const PYTHON_SCRIPT: &str = r#"
import json, sys, time
import hamustro

url, db, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = hamustro.Tracker(url, "bench-secret", "bench-device", "bench", "14.1", "2.0.0",
                     database_path=db)
clock = time.perf_counter_ns
samples = []
for _ in range(n):
    start = clock()
    t.track_event("E", {"a": "1", "b": "2", "c": "3"})
    samples.append(clock() - start)
t.close()
samples.sort()
def us(ns):
    return round(ns / 1000, 2)
def pct(p):  # nearest rank, p in tenths of a percent
    return us(samples[max(1, min(len(samples), -(-len(samples) * p // 1000))) - 1])
print(json.dumps({"count": n, "p50_us": pct(500), "p99_us": pct(990),
                  "p999_us": pct(999), "max_us": us(samples[-1]),
                  "library": str(hamustro._ffi.library_path)}))
"#;

/// Times `track_event` through `bindings/python` (ctypes) against the loopback
/// collector; `Err(reason)` when it cannot run.
fn python_track(library: &Path) -> Result<Value, String> {
    let package = manifest_dir().join("bindings/python");
    if !package.join("hamustro/__init__.py").is_file() {
        return Err("bindings/python/hamustro is not there".into());
    }
    if !library.is_file() {
        return Err(format!("{} is missing", library.display()));
    }
    let collector = Collector::start(SECRET);
    let dir = temp_dir();
    let output = Command::new("python3")
        .arg("-c")
        .arg(PYTHON_SCRIPT)
        .arg(collector.url())
        .arg(dir.path().join("q.sqlite3"))
        .arg(PYTHON_CALLS.to_string())
        .env("PYTHONPATH", &package)
        .env("HAMUSTRO_LIBRARY", library)
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason = stderr.lines().last().unwrap_or("no message");
        return Err(format!("python3 exited with {}: {reason}", output.status));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or("");
    serde_json::from_str(line).map_err(|e| format!("cannot parse {line:?}: {e}"))
}

// ---------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------

struct Report {
    cpus: usize,
    /// The 1-minute load average before and after the measurements: other work on the
    /// machine shows here, and in the tails.
    load: [f64; 2],
    floor: Latency,
    write_floor: Latency,
    write_floor_threads: Latency,
    single: TrackRun,
    multi: TrackRun,
    ceiling: TrackRun,
    multi_ceiling: TrackRun,
    flush: FlushRun,
    startup: StartupRun,
    rss: Result<Value, String>,
    cdylib: CdylibInfo,
    python: Result<Value, String>,
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "MISSED"
    }
}

fn number(value: &Value, name: &str) -> f64 {
    value.get(name).and_then(Value::as_f64).unwrap_or(f64::NAN)
}

/// Which latency targets `l` misses, e.g. "ok" or "MISSED p99.9".
fn latency_verdict(l: &Latency) -> String {
    let missed: Vec<&str> = [
        (us(l.p50_ns) > target::P50_US, "p50"),
        (us(l.p99_ns) > target::P99_US, "p99"),
        (us(l.p999_ns) > target::P999_US, "p99.9"),
    ]
    .into_iter()
    .filter_map(|(missed, name)| missed.then_some(name))
    .collect();
    if missed.is_empty() {
        "ok".into()
    } else {
        format!("MISSED {}", missed.join(", "))
    }
}

impl TrackRun {
    fn label(&self) -> String {
        let threads = match self.threads {
            1 => "1 thread".to_string(),
            n => format!("{n} threads x {}", TRACKED / n),
        };
        match self.mode {
            CollectorMode::Validating => format!("{threads}, validating collector"),
            CollectorMode::AnswerOnly200 => format!("{threads}, 200-only collector"),
        }
    }

    /// Runs against the answer-only collector are references, without a verdict.
    fn target(&self, minimum: f64) -> String {
        match self.mode {
            CollectorMode::Validating => format!(">= {minimum:.0}"),
            CollectorMode::AnswerOnly200 => "(reference)".into(),
        }
    }

    fn verdict(&self, ok: bool) -> Option<bool> {
        (self.mode == CollectorMode::Validating).then_some(ok)
    }

    fn json(&self) -> Value {
        json!({
            "threads": self.threads,
            "collector": match self.mode {
                CollectorMode::Validating => "validating",
                CollectorMode::AnswerOnly200 => "answers 200 without validating",
            },
            "latency": self.latency.json(),
            "tracked_per_s": self.tracked_per_s,
            "preemptions": self.preemptions,
            "calls_over_1ms": self.calls_over_1ms,
            "tracking_s": round2(self.tracking_time.as_secs_f64()),
            "delivered": self.delivered,
            "delivered_all": self.delivered_all,
            "delivered_per_s": self.delivered_per_s,
            "delivery_s": round2(self.delivery_time.as_secs_f64()),
            "requests": self.requests,
            "collector_busy_s": round2(self.collector_busy.as_secs_f64()),
        })
    }
}

const NAME_WIDTH: usize = 58;

impl Report {
    /// The runs with delivery: the measured ones, then the references.
    fn runs(&self) -> [&TrackRun; 4] {
        [
            &self.single,
            &self.multi,
            &self.ceiling,
            &self.multi_ceiling,
        ]
    }

    fn print_table(&self) {
        let stored = self.startup.stored_event_bytes;
        println!();
        println!(
            "hamustro bench: {} CPUs (load average {:.2} before, {:.2} after), release profile; \
             event \"{EVENT}\" with 3 parameters ({stored:.0} B stored per event)",
            self.cpus, self.load[0], self.load[1]
        );
        println!(
            "validating collector: the in-process test collector (tests/support/collector.rs), \
             checking and recording every event"
        );
        println!(
            "200-only collector: the same server answering 200 without validating or recording \
             (reference: what the library alone can do)"
        );
        self.print_latencies();
        self.print_throughput();
        self.print_footprint();
        println!();
    }

    fn print_latencies(&self) {
        let sqlite = self.floor.p50_ns.max(1) as f64;
        println!();
        println!(
            "track_event latency on the caller's thread (us) {:>w$} {:>9} {:>9} {:>10} {:>13}",
            "p50",
            "p99",
            "p99.9",
            "max",
            "p50 / SQLite",
            w = NAME_WIDTH - 47 + 9
        );
        let row = |name: &str, p50: f64, p99: f64, p999: f64, max: f64| {
            println!(
                "  {name:<NAME_WIDTH$} {p50:>9.2} {p99:>9.2} {p999:>9.2} {max:>10.2} {:>12.2}x",
                p50 * 1e3 / sqlite
            );
        };
        let latency = |name: &str, l: &Latency| {
            let f = |ns: u64| ns as f64 / 1e3;
            row(name, f(l.p50_ns), f(l.p99_ns), f(l.p999_ns), f(l.max_ns));
        };
        latency(
            &format!("floor: bare SQLite WAL txn, 1 insert of {FLOOR_BLOB_BYTES} B"),
            &self.floor,
        );
        latency(
            &format!("floor: bare pwrite of {FLOOR_BLOB_BYTES} B to a file"),
            &self.write_floor,
        );
        latency(
            &format!("floor: same, {THREADS} threads behind one mutex"),
            &self.write_floor_threads,
        );
        for run in self.runs() {
            latency(&format!("track, {}", run.label()), &run.latency);
        }
        latency(
            "track, 1 thread, offline (delivery refused, backing off)",
            &self.startup.offline,
        );
        match &self.python {
            Ok(py) => row(
                &format!("track via the Python ctypes wrapper, {PYTHON_CALLS} calls"),
                number(py, "p50_us"),
                number(py, "p99_us"),
                number(py, "p999_us"),
                number(py, "max_us"),
            ),
            Err(reason) => println!("  python: skipped ({reason})"),
        }
        println!(
            "  {:<NAME_WIDTH$} {:>9.2} {:>9.2} {:>9.2}",
            "target",
            target::P50_US,
            target::P99_US,
            target::P999_US
        );
        println!(
            "  verdict: 1 thread {}; {THREADS} threads {}",
            latency_verdict(&self.single.latency),
            latency_verdict(&self.multi.latency)
        );
        println!(
            "  why the tails: tracking threads preempted by the kernel (involuntary context \
             switches) / calls over 1 ms:"
        );
        for run in self.runs() {
            println!(
                "    {:<NAME_WIDTH$} {:>9} / {}",
                run.label(),
                run.preemptions,
                run.calls_over_1ms
            );
        }
    }

    fn print_throughput(&self) {
        println!();
        println!(
            "throughput {:>w$} {:>10}",
            "measured",
            "target",
            w = NAME_WIDTH - 8 + 16
        );
        for run in self.runs() {
            line(
                &format!("events tracked/s, {}", run.label()),
                format!("{:.0}", run.tracked_per_s),
                run.target(target::TRACKED_PER_S),
                run.verdict(run.tracked_per_s >= target::TRACKED_PER_S),
            );
        }
        line(
            "events tracked/s, 1 thread, offline",
            format!("{:.0}", self.startup.offline_per_s),
            "(reference)".into(),
            None,
        );
        for run in self.runs() {
            line(
                &format!("events delivered/s, {}", run.label()),
                format!("{:.0}", run.delivered_per_s),
                run.target(target::DELIVERED_PER_S),
                run.verdict(run.delivered_all && run.delivered_per_s >= target::DELIVERED_PER_S),
            );
            note(&format!(
                "{} of {} delivered {:.2} s after the first track (tracking took {:.2} s){}; \
                 {} requests; collector busy {:.2} s",
                run.delivered,
                TRACKED / run.threads * run.threads,
                run.delivery_time.as_secs_f64(),
                run.tracking_time.as_secs_f64(),
                if run.delivered_all {
                    ""
                } else {
                    " - NOT ALL, the budget ran out"
                },
                run.requests,
                run.collector_busy.as_secs_f64(),
            ));
        }
    }

    fn print_footprint(&self) {
        println!();
        println!("flush, start-up, footprint");
        let flush = &self.flush;
        line(
            &format!("flush of {FLUSH_BACKLOG} queued events (ms)"),
            format!("{:.2}", ms(flush.time)),
            format!("<= {:.0}", target::FLUSH_10K_MS),
            Some(flush.ok && ms(flush.time) <= target::FLUSH_10K_MS),
        );
        note(&format!(
            "{} requests, validating collector{}",
            flush.requests,
            match &flush.error {
                Some(error) => format!("; flush failed: {error}"),
                None if !flush.ok => "; NOT ALL DELIVERED".into(),
                None => String::new(),
            }
        ));
        let startup = &self.startup;
        line(
            &format!("start-up with {STARTUP_BACKLOG} unsent, median of {STARTUP_REPS} (ms)"),
            format!("{:.2}", startup.median_ms),
            format!("<= {:.0}", target::STARTUP_MS),
            Some(startup.median_ms <= target::STARTUP_MS),
        );
        note(&format!(
            "Tracker::new each time: {:?} ms",
            startup.times_ms
        ));
        match &self.rss {
            Ok(rss) => {
                let mb = |name| number(rss, name) / 1024.0;
                line(
                    &format!("peak RSS (VmHWM), {STARTUP_BACKLOG} queued then reopened (MB)"),
                    format!("{:.2}", mb("peak_kb")),
                    format!("<= {:.0}", target::RSS_MB),
                    Some(mb("peak_kb") <= target::RSS_MB),
                );
                note(&format!(
                    "child process RSS: {:.2} MB at start, {:.2} after tracking, \
                     {:.2} after reopening with {} queued",
                    mb("baseline_rss_kb"),
                    mb("after_tracking_rss_kb"),
                    mb("after_reopen_rss_kb"),
                    rss.get("queued").unwrap_or(&Value::Null)
                ));
            }
            Err(reason) => println!("  peak RSS: skipped ({reason})"),
        }
        let cdylib = &self.cdylib;
        let extra = cdylib
            .note
            .as_deref()
            .map(|n| format!("; {n}"))
            .unwrap_or_default();
        match cdylib.bytes {
            Some(bytes) => {
                let mb = bytes as f64 / (1024.0 * 1024.0);
                line(
                    "cdylib, target/release/libhamustro.so (MB)",
                    format!("{mb:.2}"),
                    format!("<= {:.0}", target::CDYLIB_MB),
                    Some(mb <= target::CDYLIB_MB),
                );
                note(&format!(
                    "{bytes} bytes, {}, {}{extra}",
                    match cdylib.stripped {
                        Some(true) => "stripped (no .symtab, no .debug*)",
                        Some(false) => "NOT stripped",
                        None => "not an ELF64 file?",
                    },
                    if cdylib.rebuilt {
                        "rebuilt for this run"
                    } else {
                        "already up to date"
                    },
                ));
            }
            None => println!("  cdylib: missing at {}{extra}", cdylib.path.display()),
        }
    }

    fn json(&self) -> Value {
        json!({
            "cpus": self.cpus,
            "load_average": self.load,
            "event_stored_bytes": self.startup.stored_event_bytes,
            "floor_sqlite_wal": self.floor.json(),
            "floor_pwrite": self.write_floor.json(),
            "floor_pwrite_threads": self.write_floor_threads.json(),
            "track_1_thread": self.single.json(),
            "track_4_threads": self.multi.json(),
            "track_1_thread_collector_answers_200": self.ceiling.json(),
            "track_4_threads_collector_answers_200": self.multi_ceiling.json(),
            "track_offline": {
                "latency": self.startup.offline.json(),
                "tracked_per_s": self.startup.offline_per_s,
            },
            "flush_10k": {
                "ms": ms(self.flush.time),
                "ok": self.flush.ok,
                "requests": self.flush.requests,
                "error": self.flush.error,
            },
            "startup_100k": {
                "median_ms": self.startup.median_ms,
                "runs_ms": self.startup.times_ms,
            },
            "rss": match &self.rss {
                Ok(value) => value.clone(),
                Err(reason) => json!({ "skipped": reason }),
            },
            "cdylib": {
                "path": self.cdylib.path,
                "bytes": self.cdylib.bytes,
                "stripped": self.cdylib.stripped,
                "rebuilt": self.cdylib.rebuilt,
                "note": self.cdylib.note,
            },
            "python": match &self.python {
                Ok(value) => value.clone(),
                Err(reason) => json!({ "skipped": reason }),
            },
            "targets": {
                "p50_us": target::P50_US,
                "p99_us": target::P99_US,
                "p999_us": target::P999_US,
                "tracked_per_s": target::TRACKED_PER_S,
                "delivered_per_s": target::DELIVERED_PER_S,
                "flush_10k_ms": target::FLUSH_10K_MS,
                "startup_ms": target::STARTUP_MS,
                "rss_mb": target::RSS_MB,
                "cdylib_mb": target::CDYLIB_MB,
            },
        })
    }
}

/// One figure beside its target; `ok` is `None` for a reference figure.
fn line(name: &str, value: String, target: String, ok: Option<bool>) {
    let verdict = ok.map(verdict).unwrap_or("");
    println!("  {name:<NAME_WIDTH$} {value:>16} {target:>12}  {verdict}");
}

/// Detail under the figure above it.
fn note(text: &str) {
    println!("  {:<8}{text}", "");
}
