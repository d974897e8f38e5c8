//! A forked child's own tracker works whenever the fork happens: while other threads
//! of the parent create and free trackers, track, deliver and change the log sink,
//! each holding a process-wide lock (the registries, the log sink, the held files,
//! SQLite's static mutexes) at some moment. Every child creates a tracker on its own
//! database, tracks and flushes within a bound; a child that hangs is killed and
//! fails the test (before the fix, 1 to 5 of 20 children hung on the registry).
//!
//! `HAMUSTRO_LONG_TESTS=1` forks 1000 times instead of 200; `HAMUSTRO_TEST_SEED`
//! repeats a run's moments.
#![cfg(unix)] // Windows has no fork

#[allow(dead_code, unused_imports)] // this binary uses a part of the shared helpers
mod support;

use std::collections::BTreeSet;
use std::ffi::{c_char, c_void, CString};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use hamustro::ffi::*;
use support::collector::Collector;
use support::xorshift::XorShift;
use support::{c_config, SECRET};

/// How long a child may take to create its tracker, track and deliver: a child that
/// is stuck never finishes, so the bound only needs to be far above a slow child's
/// time. Under a sanitizer (`HAMUSTRO_SANITIZER`, set by scripts/sanitize.sh) every
/// step runs several times slower, beside the release builds of the other lane of
/// the test command on a 2-core machine, hence the longer bound there.
fn child_bound() -> Duration {
    if std::env::var_os("HAMUSTRO_SANITIZER").is_some() {
        Duration::from_secs(150)
    } else {
        Duration::from_secs(45)
    }
}

/// What a child keeps of its bound for reporting why it failed, after its last flush.
const CHILD_REPORT_MARGIN: Duration = Duration::from_secs(15);
const CHILD_EVENTS: usize = 3;

fn forks() -> usize {
    if std::env::var_os("HAMUSTRO_LONG_TESTS").is_some() {
        1000
    } else {
        200
    }
}

fn new_tracker(url: &str, db: &Path) -> Result<HamustroTracker, HamustroStatus> {
    let config = c_config(url, db);
    let mut tracker = HamustroTracker::default();
    // SAFETY: a valid out-pointer.
    let status = unsafe { hamustro_tracker_new(config, &raw mut tracker) };
    hamustro_config_free(config);
    match status {
        HamustroStatus::Ok => Ok(tracker),
        status => Err(status),
    }
}

fn track(tracker: HamustroTracker, name: &str) -> HamustroStatus {
    let name = CString::new(name).unwrap();
    // SAFETY: a NUL-terminated name and no parameters.
    unsafe {
        hamustro_tracker_track_event(
            tracker,
            name.as_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            0,
        )
    }
}

/// The child's `k`th event, named for the child so that the parent can tell which
/// arrived.
fn child_event(child: usize, k: usize) -> String {
    format!("Child {child}.{k}")
}

/// The child `index`: its own tracker, tracked and delivered; the exit status says
/// which step failed (0 for none; 30 and more: the flush, with its status).
fn child(index: usize, url: &str, db: &Path) -> i32 {
    let deadline = Instant::now() + child_bound().saturating_sub(CHILD_REPORT_MARGIN);
    let Ok(tracker) = new_tracker(url, db) else {
        return 1;
    };
    for k in 0..CHILD_EVENTS {
        if track(tracker, &child_event(index, k)) != HamustroStatus::Ok {
            return 2;
        }
    }
    // A delivery may fail or be slow like any other (the parent's collector is busy
    // serving its own threads; on a machine loaded tenfold a connection was refused,
    // or a flush outlasted 10 s): tried again until the child's deadline. What is
    // tested is that nothing hangs: a child whose worker is stuck times out every
    // try and fails the test, with its worker's state and threads.
    let mut status = hamustro_tracker_flush(tracker, 10_000);
    while matches!(status, HamustroStatus::Network | HamustroStatus::Timeout)
        && Instant::now() < deadline
    {
        let left = deadline.saturating_duration_since(Instant::now());
        let wait = left
            .min(Duration::from_secs(10))
            .max(Duration::from_secs(1));
        status = hamustro_tracker_flush(tracker, u32::try_from(wait.as_millis()).unwrap());
    }
    if status != HamustroStatus::Ok {
        // What the worker did meanwhile, for the parent's message: a worker that never
        // tried shows 0 failures and nothing in flight; a slow collector shows failures.
        let mut why = delivery_state(tracker);
        // SAFETY: getpid has no preconditions.
        let pid = unsafe { libc::getpid() };
        why.push_str(&format!("\nthreads: {}", where_it_waits(pid)));
        if let Ok(gdb) = std::process::Command::new("gdb")
            .args([
                "-p",
                &pid.to_string(),
                "-batch",
                "-nx",
                "-ex",
                "thread apply all bt",
            ])
            .output()
        {
            why.push_str(&String::from_utf8_lossy(&gdb.stdout));
        }
        let _ = std::fs::write(db.with_extension("why"), why);
        // 30 + the status, to say which.
        return 30 + status as i32;
    }
    if hamustro_tracker_free(tracker) != HamustroStatus::Ok {
        return 4;
    }
    0
}

/// The tracker's delivery statistics and last delivery error, as one line.
fn delivery_state(tracker: HamustroTracker) -> String {
    let mut stats = HamustroStats {
        size: u32::try_from(size_of::<HamustroStats>()).expect("a small struct"),
        ..HamustroStats::default()
    };
    // SAFETY: a valid out-pointer whose size field says how big it is.
    let status = unsafe { hamustro_tracker_get_stats(tracker, &raw mut stats) };
    let mut message = [0 as c_char; 512];
    let mut length = 0usize;
    // SAFETY: the buffer and its length, and a valid out-pointer.
    unsafe {
        hamustro_tracker_last_delivery_error(
            tracker,
            message.as_mut_ptr(),
            message.len(),
            &raw mut length,
        )
    };
    // SAFETY: the library wrote a NUL-terminated string into the buffer (empty if none).
    let message = unsafe { std::ffi::CStr::from_ptr(message.as_ptr()) }.to_string_lossy();
    format!(
        "stats {status:?}: queued {}, in flight {}, delivered {}, consecutive failures {}, \
         next retry in {} ms; last delivery error: {message:?}",
        stats.queued,
        stats.in_flight,
        stats.delivered,
        stats.consecutive_failures,
        stats.next_retry_ms
    )
}

unsafe extern "C" fn ignore(_level: u32, _message: *const c_char, _user_data: *mut c_void) {}

/// The parent's busy threads, each taking some process-wide lock again and again.
fn busy_threads(url: &str, dir: &Path, stop: &Arc<AtomicBool>) -> Vec<thread::JoinHandle<()>> {
    let mut threads = Vec::new();
    for i in 0..2 {
        let (url, db, stop) = (
            url.to_string(),
            dir.join(format!("parent-{i}.db")),
            Arc::clone(stop),
        );
        // Tracking and delivering: SQLite's allocations, the registry's read lock.
        threads.push(thread::spawn(move || {
            let tracker = new_tracker(&url, &db).unwrap();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                assert_eq!(track(tracker, "Parent"), HamustroStatus::Ok);
                n += 1;
                if n.is_multiple_of(50) {
                    let _ = hamustro_tracker_flush(tracker, 10_000);
                }
            }
            assert_eq!(hamustro_tracker_free(tracker), HamustroStatus::Ok);
        }));
    }
    // Trackers made and freed: the registries' write locks, the held files, SQLite's
    // open and close.
    let (churn_url, churn_db, churn_stop) =
        (url.to_string(), dir.join("churn.db"), Arc::clone(stop));
    threads.push(thread::spawn(move || {
        while !churn_stop.load(Ordering::Relaxed) {
            // A child alive at the moment keeps the inherited descriptor, and with it
            // the file's lock, open: STORAGE ("in use") until it exits.
            match new_tracker(&churn_url, &churn_db) {
                Ok(tracker) => assert_eq!(hamustro_tracker_free(tracker), HamustroStatus::Ok),
                Err(status) => assert_eq!(status, HamustroStatus::Storage),
            }
        }
    }));
    // The log sink replaced: its write lock.
    let log_stop = Arc::clone(stop);
    threads.push(thread::spawn(move || {
        while !log_stop.load(Ordering::Relaxed) {
            // SAFETY: a function that lives as long as the process.
            unsafe { hamustro_set_log_callback(Some(ignore), std::ptr::null_mut(), 4) };
            // SAFETY: NULL turns logging off.
            unsafe { hamustro_set_log_callback(None, std::ptr::null_mut(), 4) };
        }
    }));
    threads
}

/// Waits for `pid` at most `bound`; kills it after. Its exit status, or where its
/// threads waited when it had to be killed.
fn wait_bounded(pid: libc::pid_t, bound: Duration) -> Result<i32, String> {
    let deadline = Instant::now() + bound;
    let mut status = 0;
    loop {
        // SAFETY: waits for our own child without blocking.
        let done = unsafe { libc::waitpid(pid, &raw mut status, libc::WNOHANG) };
        if done == pid {
            return Ok(if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                128 + libc::WTERMSIG(status)
            });
        }
        if Instant::now() > deadline {
            let waits = where_it_waits(pid);
            // SAFETY: our own child, not yet reaped.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &raw mut status, 0);
            }
            return Err(waits);
        }
        thread::sleep(Duration::from_millis(2));
    }
}

/// What each thread of a stuck child waits in, from /proc, before it is killed: the
/// system call and its first argument (202 is futex) and the kernel's wait channel.
fn where_it_waits(pid: libc::pid_t) -> String {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return "no /proc entry".into();
    };
    let read = |path: &std::path::Path, name: &str| {
        std::fs::read_to_string(path.join(name))
            .map_or_else(|_| "?".into(), |s| s.trim().to_string())
    };
    tasks
        .flatten()
        .map(|task| {
            let path = task.path();
            let syscall = read(&path, "syscall");
            let syscall = syscall.split(' ').take(2).collect::<Vec<_>>().join(" ");
            format!(
                "{} {:?}: syscall {syscall}, wchan {}",
                task.file_name().to_string_lossy(),
                read(&path, "comm"),
                read(&path, "wchan"),
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[test]
fn a_child_forked_at_any_moment_tracks_and_delivers_with_its_own_tracker() {
    let collector = Collector::start(SECRET);
    let url = collector.url();
    let dir = tempfile::tempdir().unwrap();
    let seed = XorShift::seed_from_env();
    let mut random = XorShift::new(seed);
    let stop = Arc::new(AtomicBool::new(false));
    let threads = busy_threads(&url, dir.path(), &stop);
    thread::sleep(Duration::from_millis(50));

    let forks = forks();
    let bound = child_bound();
    let (mut hung, mut failed) = (Vec::new(), Vec::new());
    for i in 0..forks {
        thread::sleep(Duration::from_micros(random.next_u64() % 3000));
        let db = dir.path().join(format!("child-{i}.db"));
        // SAFETY: the child runs only the library's C API and async-signal-safe exit.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let code = std::panic::catch_unwind(|| child(i, &url, &db)).unwrap_or(5);
            // SAFETY: ends the child without running the parent's atexit handlers.
            unsafe { libc::_exit(code) };
        }
        assert!(pid > 0, "fork failed");
        match wait_bounded(pid, bound) {
            Err(waits) => {
                hung.push((i, waits));
                if hung.len() == 3 {
                    break; // enough to fail: spare the rest of the bounds
                }
            }
            Ok(0) => {}
            Ok(code) => {
                let why = std::fs::read_to_string(db.with_extension("why")).unwrap_or_default();
                eprintln!("child {i} failed ({code}): {why}");
                failed.push((i, code, why.lines().next().unwrap_or_default().to_string()));
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        thread.join().unwrap();
    }
    assert!(
        hung.is_empty() && failed.is_empty(),
        "of {forks} children (seed {seed}), hung past {bound:?}: {hung:?}; \
         failed (child, step, its delivery state): {failed:?}"
    );
    // Each child's events, each at least once: a delivery that timed out after the
    // collector took it is sent again, which at-least-once allows.
    let delivered: BTreeSet<String> = collector
        .events()
        .into_iter()
        .map(|e| e.event)
        .filter(|name| name.starts_with("Child "))
        .collect();
    let expected: BTreeSet<String> = (0..forks)
        .flat_map(|child| (0..CHILD_EVENTS).map(move |k| child_event(child, k)))
        .collect();
    let missing: Vec<&String> = expected.difference(&delivered).collect();
    let unexpected: Vec<&String> = delivered.difference(&expected).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "children's events missing: {missing:?}; not tracked by any child: {unexpected:?}"
    );
}
