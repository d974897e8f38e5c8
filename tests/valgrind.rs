//! Memory safety of the C API, checked by valgrind: the C test program
//! (`tests/c/api_test.c`, which calls every function, on success and error paths) runs
//! under memcheck against the in-process collector, and must finish with no invalid
//! access, no use of uninitialised memory and no block definitely lost.
//!
//! "Still reachable" blocks (thread-locals and statics of Rust's std) and "possibly
//! lost" ones (the handle registry's table, pointed into rather than at) are not leaks
//! of the API and do not count. Without valgrind the test says so and passes.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::c_program::{compile_api_test, compile_c_test, run};
use support::collector::Collector;
use support::figures;

/// Exit status valgrind gives the program when it found an error (or a definite leak).
const VALGRIND_ERROR_EXIT: i32 = 99;
/// Memcheck runs programs tens of times slower.
const LIMIT: Duration = Duration::from_secs(300);

/// scripts/sanitize.sh builds everything with ASan or TSan, whose shadow memory valgrind
/// cannot run; the sanitizer itself checks the C programs there.
fn built_with_a_sanitizer() -> bool {
    let Some(sanitizer) = std::env::var_os("HAMUSTRO_SANITIZER") else {
        return false;
    };
    eprintln!("note: built with {sanitizer:?} sanitizer; skipping the valgrind check");
    true
}

#[test]
fn the_c_api_test_program_runs_clean_under_valgrind() {
    if built_with_a_sanitizer() {
        return;
    }
    let valgrind = std::env::var("VALGRIND").unwrap_or_else(|_| "valgrind".to_owned());
    if Command::new(&valgrind).arg("--version").output().is_err() {
        eprintln!("note: {valgrind} is not installed; skipping the memory-safety check");
        return;
    }
    let secret = "valgrind-test-secret";
    let collector = Collector::start(secret);
    let work = tempfile::tempdir().unwrap();
    let program = work.path().join("api_test");
    compile_api_test(&program, &["-g"]);
    let log = work.path().join("valgrind.log");

    let started = Instant::now();
    let mut command = Command::new(&valgrind);
    command
        .arg("--leak-check=full")
        .arg("--errors-for-leak-kinds=definite")
        .arg(format!("--error-exitcode={VALGRIND_ERROR_EXIT}"))
        .arg(format!("--log-file={}", log.display()))
        .arg(&program)
        .arg(collector.url())
        .arg(secret)
        .arg(work.path().join("queue.sqlite3"));
    let (status, stdout, stderr) = run(command, LIMIT);
    let report = std::fs::read_to_string(&log).unwrap_or_default();
    let output = format!(
        "--- program stdout ---\n{stdout}--- program stderr ---\n{stderr}\
         --- valgrind ---\n{report}"
    );

    assert_ne!(
        status.code(),
        Some(VALGRIND_ERROR_EXIT),
        "valgrind found memory errors:\n{output}"
    );
    assert!(
        status.success(),
        "the C test program failed ({status}):\n{output}"
    );
    assert!(
        report.contains("ERROR SUMMARY: 0 errors"),
        "no clean error summary:\n{output}"
    );
    for bad in [
        "Invalid read",
        "Invalid write",
        "Invalid free",
        "uninitialised",
        "are definitely lost",
    ] {
        assert!(
            !report.contains(bad),
            "valgrind reported {bad:?}:\n{output}"
        );
    }
    assert!(
        !collector.events().is_empty(),
        "the program delivered nothing:\n{output}"
    );
    figures::report(&format!(
        "valgrind: tests/c/api_test.c ({}) ran clean under memcheck: 0 errors, \
         0 bytes definitely lost ({}; {} events delivered, {:.1} s)",
        summary_line(&stdout).unwrap_or("no summary"),
        leak_summary(&report),
        collector.events().len(),
        started.elapsed().as_secs_f64()
    ));
}

#[test]
fn the_abuse_program_runs_clean_under_valgrind() {
    if built_with_a_sanitizer() {
        return;
    }
    let valgrind = std::env::var("VALGRIND").unwrap_or_else(|_| "valgrind".to_owned());
    if Command::new(&valgrind).arg("--version").output().is_err() {
        eprintln!("note: {valgrind} is not installed; skipping the memory-safety check");
        return;
    }
    let secret = "valgrind-test-secret";
    let collector = Collector::start(secret);
    let work = tempfile::tempdir().unwrap();
    let program = work.path().join("abuse_test");
    compile_c_test("abuse_test.c", &program, &["-g", "-pthread"]);
    let data = work.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let log = work.path().join("valgrind.log");
    let started = Instant::now();
    let mut command = Command::new(&valgrind);
    command
        .arg("--leak-check=full")
        .arg("--errors-for-leak-kinds=definite")
        .arg(format!("--error-exitcode={VALGRIND_ERROR_EXIT}"))
        .arg(format!("--log-file={}", log.display()))
        .arg(&program)
        .args(["suite", &collector.url(), secret])
        .arg(&data)
        // Few rounds of the reopen-after-free race, under memcheck's slowdown; no
        // fork: memcheck counts a child's copy of the parent's threads as leaked.
        .args(["5", "no-fork"]);
    let (status, stdout, stderr) = run(command, LIMIT);
    let report = std::fs::read_to_string(&log).unwrap_or_default();
    let output = format!(
        "--- program stdout ---\n{stdout}--- program stderr ---\n{stderr}\
         --- valgrind ---\n{report}"
    );
    assert_ne!(
        status.code(),
        Some(VALGRIND_ERROR_EXIT),
        "valgrind found memory errors:\n{output}"
    );
    assert!(
        status.success(),
        "the abuse program failed ({status}):\n{output}"
    );
    assert!(
        report.contains("ERROR SUMMARY: 0 errors"),
        "no clean error summary:\n{output}"
    );
    assert!(
        !report.contains("are definitely lost") && !report.contains("Invalid "),
        "valgrind reported errors:\n{output}"
    );
    figures::report(&format!(
        "valgrind: tests/c/abuse_test.c ({}) ran clean under memcheck: 0 errors, 0 bytes \
         definitely lost, threads whose first call came from a thread-exit destructor \
         included ({:.1} s)",
        summary_line(&stdout).unwrap_or("no summary"),
        started.elapsed().as_secs_f64()
    ));
}

/// The program's `N passed, M failed` line.
fn summary_line(stdout: &str) -> Option<&str> {
    stdout
        .lines()
        .find(|line| line.contains(" passed, ") && line.ends_with(" failed"))
}

/// Valgrind's "possibly lost" and "still reachable" figures, for the record.
fn leak_summary(report: &str) -> String {
    let figure = |kind: &str| {
        report
            .lines()
            .find_map(|line| line.split_once(&format!("{kind}: ")))
            .map(|(_, amount)| format!("{kind} {}", amount.trim()))
    };
    let figures: Vec<String> = ["possibly lost", "still reachable"]
        .into_iter()
        .filter_map(figure)
        .collect();
    if figures.is_empty() {
        "all heap blocks freed".to_owned()
    } else {
        figures.join(", ")
    }
}
