//! Memory safety of the C API, checked by valgrind: the C test program
//! (`tests/c/api_test.c`, which calls every function, on success and error paths) runs
//! under memcheck against the in-process collector, and must finish with no invalid
//! access, no use of uninitialised memory and no block definitely lost.
//!
//! "Still reachable" blocks (thread-locals and statics of Rust's std) and "possibly
//! lost" ones (the handle registry's table, pointed into rather than at) are not leaks
//! of the API and do not count. Without valgrind the test says so and passes.

use crate::support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::c_program::{compile_c_test, program_path, run};
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
    eprintln!(
        "note: built with the {} sanitizer; skipping the valgrind check",
        sanitizer.display()
    );
    true
}

/// What a clean memcheck run of a C test program left to report.
struct CleanRun {
    stdout: String,
    report: String,
    seconds: f64,
}

/// Compiles `tests/c/<source>` with `-g`, runs it with `args` under memcheck and
/// fails the test on any memory error, definite leak or failed check of the program;
/// `None` when valgrind cannot run here (not installed, or a sanitizer build).
fn run_clean_under_valgrind(
    source: &str,
    extra_flags: &[&str],
    args: impl FnOnce(&std::path::Path) -> Vec<std::ffi::OsString>,
) -> Option<CleanRun> {
    if built_with_a_sanitizer() {
        return None;
    }
    let valgrind = std::env::var("VALGRIND").unwrap_or_else(|_| "valgrind".to_owned());
    if Command::new(&valgrind).arg("--version").output().is_err() {
        eprintln!("note: {valgrind} is not installed; skipping the memory-safety check");
        return None;
    }
    let work = tempfile::tempdir().unwrap();
    let program = program_path(work.path(), source.trim_end_matches(".c"));
    let mut flags = vec!["-g"];
    flags.extend_from_slice(extra_flags);
    compile_c_test(source, &program, &flags);
    let log = work.path().join("valgrind.log");
    let started = Instant::now();
    let mut command = Command::new(&valgrind);
    command
        .arg("--leak-check=full")
        .arg("--errors-for-leak-kinds=definite")
        .arg(format!("--error-exitcode={VALGRIND_ERROR_EXIT}"))
        .arg(format!("--log-file={}", log.display()))
        .arg(&program)
        .args(args(work.path()));
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
    Some(CleanRun {
        stdout,
        report,
        seconds: started.elapsed().as_secs_f64(),
    })
}

#[test]
#[cfg_attr(
    windows,
    ignore = "valgrind checks Linux programs only, and no memory checker runs under Wine here"
)]
fn the_c_api_test_program_runs_clean_under_valgrind() {
    let secret = "valgrind-test-secret";
    let collector = Collector::start(secret);
    let Some(clean) = run_clean_under_valgrind("api_test.c", &[], |work| {
        vec![
            collector.url().into(),
            secret.into(),
            work.join("queue.sqlite3").into(),
        ]
    }) else {
        return;
    };
    assert!(
        !collector.events().is_empty(),
        "the program delivered nothing:\n{}",
        clean.stdout
    );
    figures::report(&format!(
        "valgrind: tests/c/api_test.c ({}) ran clean under memcheck: 0 errors, \
         0 bytes definitely lost ({}; {} events delivered, {:.1} s)",
        summary_line(&clean.stdout).unwrap_or("no summary"),
        leak_summary(&clean.report),
        collector.events().len(),
        clean.seconds
    ));
}

#[test]
#[cfg_attr(
    windows,
    ignore = "valgrind checks Linux programs only, and no memory checker runs under Wine here"
)]
fn the_abuse_program_runs_clean_under_valgrind() {
    let secret = "valgrind-test-secret";
    let collector = Collector::start(secret);
    let Some(clean) = run_clean_under_valgrind("abuse_test.c", &["-pthread"], |work| {
        let data = work.join("data");
        std::fs::create_dir(&data).unwrap();
        // Few rounds of the reopen-after-free race, under memcheck's slowdown; no fork:
        // memcheck counts a child's copy of the parent's threads as leaked.
        let mut args: Vec<std::ffi::OsString> =
            vec!["suite".into(), collector.url().into(), secret.into()];
        args.extend([data.into_os_string(), "5".into(), "no-fork".into()]);
        args
    }) else {
        return;
    };
    figures::report(&format!(
        "valgrind: tests/c/abuse_test.c ({}) ran clean under memcheck: 0 errors, 0 bytes \
         definitely lost, threads whose first call came from a thread-exit destructor \
         included ({:.1} s)",
        summary_line(&clean.stdout).unwrap_or("no summary"),
        clean.seconds
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
