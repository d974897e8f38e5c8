//! Out of memory, the library reports or aborts without a word: it never prints ("Output" in
//! docs/c-api.md). A forked child tracks, then limits its address space
//! (`RLIMIT_AS`) to a little above what it uses and flushes; whatever happens (a
//! status, or an abort where an allocation cannot be survived), nothing appears on
//! its stdout or stderr. Before the fix, Rust's "memory allocation of N bytes failed"
//! did. It also measures how much a tracker needs to start and to flush (the Limits of
//! docs/c-api.md), printed with `--nocapture`.
#![cfg(unix)] // fork and RLIMIT_AS are Unix

#[allow(dead_code, unused_imports)] // this binary uses a part of the shared helpers
mod support;

use std::io::Read as _;
use std::os::fd::AsRawFd as _;
use std::path::Path;

use hamustro::{ErrorKind, Tracker};
use support::collector::Collector;
use support::{config, track_n, SECRET, WAIT};

/// Events queued before the flush: two requests' worth.
const QUEUED: usize = 2000;

/// The address space this process uses now, from `/proc/self/status`.
fn address_space() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmSize:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib * 1024
}

fn limit_address_space(bytes: u64) {
    let limit = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: libc::RLIM_INFINITY,
    };
    assert_eq!(
        // SAFETY: a valid rlimit for this process.
        unsafe { libc::setrlimit(libc::RLIMIT_AS, &raw const limit) },
        0
    );
}

/// What Rust's runtime writes itself when it cannot set a new thread up at all (its
/// alternate signal stack, its thread-local destructors) and aborts: at 0 KiB to spare
/// it happens before any library code runs on that thread, where no hook or allocator
/// of the library's reaches ("Output" in docs/c-api.md names this limit). Every other line
/// is the library's, and fails the test.
fn printed_by_the_library(printed: &str, outcome: &Outcome) -> String {
    const RUNTIME: [&str; 5] = [
        "failed to allocate an alternative stack",
        "failed to register TLS destructor",
        "fatal runtime error",
        "panicked at library/std/src/sys/",
        "non-unwinding panic",
    ];
    let runtime = |line: &str| {
        RUNTIME.iter().any(|m| line.contains(m))
            || line.starts_with("note: run with `RUST_BACKTRACE")
    };
    printed
        .lines()
        .filter(|line| !(*outcome == Outcome::Signal(libc::SIGABRT) && runtime(line)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// What became of a child.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Delivered,
    /// The library's status, for a call that failed.
    Failed(&'static str),
    /// Killed by this signal (SIGABRT: a quiet abort).
    Signal(i32),
}

/// Runs `body` in a forked child whose stdout and stderr go to `output`; returns its
/// outcome and what it printed.
fn in_child(output: &Path, body: impl FnOnce() -> i32) -> (Outcome, String) {
    let file = std::fs::File::create(output).unwrap();
    // SAFETY: the child runs `body` and ends with _exit.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: redirects this process's own descriptors.
        unsafe {
            libc::dup2(file.as_raw_fd(), 1);
            libc::dup2(file.as_raw_fd(), 2);
        }
        let code = body();
        // SAFETY: ends the child without the parent's atexit handlers.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &raw mut status, 0) }, pid);
    let mut printed = String::new();
    std::fs::File::open(output)
        .unwrap()
        .read_to_string(&mut printed)
        .unwrap();
    let outcome = if libc::WIFSIGNALED(status) {
        Outcome::Signal(libc::WTERMSIG(status))
    } else {
        match libc::WEXITSTATUS(status) {
            0 => Outcome::Delivered,
            1 => Outcome::Failed("OUT_OF_RESOURCES"),
            2 => Outcome::Failed("STORAGE"),
            3 => Outcome::Failed("NETWORK"),
            5 => Outcome::Failed("TIMEOUT"),
            6 => Outcome::Failed("INTERNAL"),
            _ => Outcome::Failed("other"),
        }
    };
    (outcome, printed)
}

fn code(result: hamustro::Result<()>) -> i32 {
    match result.map_err(|e| e.kind()) {
        Ok(()) => 0,
        Err(ErrorKind::OutOfResources) => 1,
        Err(ErrorKind::Storage) => 2,
        Err(ErrorKind::Network) => 3,
        Err(ErrorKind::Timeout) => 5,
        Err(ErrorKind::Internal) => 6,
        Err(_) => 4,
    }
}

#[test]
fn out_of_memory_the_library_never_prints() {
    // ASan and TSan reserve terabytes of shadow address space: under RLIMIT_AS they
    // cannot run at all, so scripts/sanitize.sh's builds skip this one.
    if let Some(sanitizer) = std::env::var_os("HAMUSTRO_SANITIZER") {
        eprintln!(
            "note: built with the {} sanitizer, which cannot run under RLIMIT_AS; skipped",
            sanitizer.display()
        );
        return;
    }
    let collector = Collector::start(SECRET);
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("output");
    let mut flushed_with = None;
    let mut started_with = None;
    for headroom_kib in [0, 64, 128, 256, 384, 512, 768, 1024, 2048, 4096, 8192] {
        let db = dir.path().join(format!("flush-{headroom_kib}.db"));
        let url = collector.url();
        let (outcome, printed) = in_child(&output, || {
            let tracker = Tracker::new(config(&url, &db)).unwrap();
            track_n(&tracker, "Queued", QUEUED);
            limit_address_space(address_space() + headroom_kib * 1024);
            code(tracker.flush(WAIT))
        });
        println!("flush with {headroom_kib} KiB to spare: {outcome:?}");
        assert_eq!(
            printed_by_the_library(&printed, &outcome),
            "",
            "printed with {headroom_kib} KiB to spare ({outcome:?})"
        );
        assert!(
            matches!(
                outcome,
                Outcome::Delivered | Outcome::Failed(_) | Outcome::Signal(libc::SIGABRT)
            ),
            "{outcome:?}"
        );
        if outcome == Outcome::Delivered && flushed_with.is_none() {
            flushed_with = Some(headroom_kib);
        }

        let db = dir.path().join(format!("start-{headroom_kib}.db"));
        let (outcome, printed) = in_child(&output, || {
            limit_address_space(address_space() + headroom_kib * 1024);
            let tracker = match Tracker::new(config(&url, &db)) {
                Ok(tracker) => tracker,
                Err(error) => return code(Err(error)),
            };
            track_n(&tracker, "Started", 100);
            code(tracker.flush(WAIT))
        });
        println!("start with {headroom_kib} KiB to spare: {outcome:?}");
        assert_eq!(
            printed_by_the_library(&printed, &outcome),
            "",
            "printed with {headroom_kib} KiB to spare ({outcome:?})"
        );
        if outcome == Outcome::Delivered && started_with.is_none() {
            started_with = Some(headroom_kib);
        }
    }
    println!(
        "a tracker started, tracked and flushed with {started_with:?} KiB of address space to \
         spare; a flush of {QUEUED} queued events needed {flushed_with:?} KiB"
    );
    assert!(flushed_with.is_some() && started_with.is_some());
}
