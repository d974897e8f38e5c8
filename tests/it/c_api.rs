//! The C API as C and C++ programs use it: compiles `tests/c/api_test.c` and
//! `bindings/c/tests/test_hpp.cpp` against the cdylib cargo built, runs each against an
//! in-process test collector, and checks on the collector's side that what they tracked
//! arrived with the right names, parameters and users, in accepted (validly signed)
//! requests.
//!
//! The programs check the API's answers themselves (`N passed, M failed`); the
//! expectations here must stay in step with the events they track.

use crate::support;

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use sha2::{Digest as _, Sha256};
use support::c_program::{
    can_compile_with, compile, compile_api_test, program_path, repo_root, run,
};
use support::collector::{Collector, ReceivedEvent};

/// Long enough for a slow machine, short enough that a hanging program fails the test.
const PROGRAM_TIMEOUT: Duration = Duration::from_secs(180);

#[test]
// One run of one C program, then a check per call it made: split, each part would
// need its own program run.
#[allow(clippy::too_many_lines)]
fn c_program_exercises_every_function_and_its_events_arrive_intact() {
    let secret = "c-api-test-secret";
    let collector = Collector::start(secret);
    let work = tempfile::tempdir().unwrap();
    let program = program_path(work.path(), "api_test");
    compile_api_test(&program, &[]);

    let output = run_program(
        &program,
        &collector,
        secret,
        &work.path().join("queue.sqlite3"),
    );
    assert_summary_has_no_failures(&output);

    // Eight events from two trackers on one database, one after the other: one session,
    // numbered on across the restart. None that was tracked while disabled, discarded,
    // or sent where it could not be delivered.
    let all = collector.events();
    let main_device = sha256_hex("c-api-test-device");
    let (events, others): (Vec<_>, Vec<_>) = all
        .iter()
        .cloned()
        .partition(|e| e.collection_header.device_id == main_device);
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        names,
        [
            "Level.Started",
            "Item.Purchased",
            "Level.Completed",
            "Pet.Named",
            "Player.LoggedOut",
            "Game.Resumed",
            "Game.Autosaved",
            "Game.Saved",
        ],
        "{output}"
    );
    assert!(events.iter().all(|e| e.session == events[0].session));
    let numbers: Vec<u32> = events.iter().map(|e| e.nr).collect();
    assert_eq!(numbers[..5], [1, 2, 3, 4, 5], "{numbers:?}");
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");

    assert_eq!(
        params(&events[0]),
        [("level", "1-1"), ("difficulty", "hard")]
    );
    assert_eq!(
        params(&events[1]),
        [
            ("item", "sword_of_dawn"),
            ("currency", "gems"),
            ("price", "120")
        ]
    );
    // A repeated parameter keeps its first position and its last value.
    assert_eq!(params(&events[2]), [("level", "1-1"), ("score", "48210")]);
    // Global parameters join in (their order against the event's own is unspecified),
    // one removed with NULL leaves, the event's own value wins, they survive the
    // restart, and clearing them ends them.
    assert_eq!(
        sorted_params(&events[3]),
        [
            ("mode", "story"),
            ("season", "summer"),
            ("名前", "ハムスター 🐹")
        ]
    );
    assert_eq!(sorted_params(&events[4]), [("season", "summer")]);
    assert_eq!(
        sorted_params(&events[5]),
        [("level", "1-2"), ("season", "winter")]
    );
    assert_eq!(sorted_params(&events[6]), [("season", "summer")]);
    assert_eq!(params(&events[7]), [("slot", "1")]);

    // The user as it was when each event was tracked; the last one survived the restart.
    let users: Vec<_> = events.iter().map(user).collect();
    let studio = (Some("studio-42"), Some("player-1337"));
    let player_7 = (None, Some("player-7"));
    assert_eq!(
        users,
        [
            studio,
            studio,
            studio,
            studio,
            (None, None),
            player_7,
            player_7,
            player_7
        ]
    );

    // The salted tracker sent sha256hex(user_id + salt), never the raw id.
    assert_eq!(others.len(), 1, "{others:?}");
    assert_eq!(others[0].event, "Salted.Event");
    let salted = sha256_hex("player-9pepper");
    assert_eq!(others[0].user_id.as_deref(), Some(salted.as_str()));

    assert!(all.iter().all(|e| e.ip.as_deref() == Some("192.0.2.7")));
    assert!(all.iter().all(|e| e.country.as_deref() == Some("HU")));

    let header = &events[0].collection_header;
    assert_eq!(header.device_id, sha256_hex("c-api-test-device"));
    assert_eq!(header.client_id, "c-api-test");
    assert_eq!(header.system_version, "6.1");
    assert_eq!(header.product_version, "0.1.0-test");
    assert_eq!(header.env, 10, "HAMUSTRO_ENVIRONMENT_TESTING");
    assert_eq!(header.device_make.as_deref(), Some("Framework"));
    assert_eq!(header.device_model.as_deref(), Some("Laptop 13"));
    assert_eq!(header.product_git_hash.as_deref(), Some("3f2a9c1"));

    // Extra headers went with the first tracker's request; they are not persisted, so
    // the tracker after the restart sent none.
    let collections = collector.collections();
    let game_build = |c: &support::collector::ReceivedCollection| {
        c.headers
            .iter()
            .find(|(name, _)| name == "x-game-build")
            .map(|(_, value)| value.clone())
    };
    let first = collections
        .iter()
        .find(|c| {
            c.collection
                .payloads
                .iter()
                .any(|p| p.event == "Level.Started")
        })
        .unwrap();
    assert_eq!(game_build(first).as_deref(), Some("2024.06.1"));
    let last = collections
        .iter()
        .find(|c| {
            c.collection
                .payloads
                .iter()
                .any(|p| p.event == "Game.Resumed")
        })
        .unwrap();
    assert_eq!(game_build(last), None);

    assert_signed_or_rejected_for_the_wrong_secret(&collector, 1);
}

#[test]
fn cpp_wrapper_test_passes_and_its_events_arrive_intact() {
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "g++".to_owned());
    if !can_compile_with(&cxx) {
        println!("note: {cxx} is not installed; skipping the C++ wrapper test");
        return;
    }
    let secret = "cpp-api-test-secret";
    let collector = Collector::start(secret);
    let work = tempfile::tempdir().unwrap();
    let program = program_path(work.path(), "test_hpp");
    let bindings = repo_root().join("bindings/c");
    compile(
        &cxx,
        &[
            OsStr::new("-std=c++17"),
            OsStr::new("-Wall"),
            OsStr::new("-Wextra"),
            OsStr::new("-Werror"),
            OsStr::new("-I"),
            bindings.as_os_str(),
        ],
        &bindings.join("tests/test_hpp.cpp"),
        &program,
    );

    let output = run_program(
        &program,
        &collector,
        secret,
        &work.path().join("queue.sqlite3"),
    );
    assert_summary_has_no_failures(&output);

    let events = collector.events();
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).take(5).collect();
    // string_views that were not NUL-terminated arrived cut where the view ends.
    assert_eq!(
        names,
        [
            "Match.Started",
            "Match.Ended",
            "Menu.Opened",
            "Tracker.Moved",
            "Tracker.Moved"
        ],
        "{output}"
    );
    assert_eq!(params(&events[0]), [("mode", "ranked"), ("map", "dust2")]);
    assert_eq!(params(&events[1]), [("kills", "12"), ("result", "win")]);
    assert!(params(&events[2]).is_empty());
    assert_eq!(params(&events[3]), [("how", "constructor")]);
    assert_eq!(params(&events[4]), [("how", "assignment")]);
    assert_eq!(user(&events[0]), (Some("cpp-tenant"), Some("cpp-user")));
    assert_eq!(user(&events[1]), (Some("cpp-tenant"), Some("cpp-user")));
    assert_eq!(user(&events[2]), (None, Some("cpp-user-2")));

    // Four threads tracked five pings each on one tracker: all arrived, none twice, all
    // with the global parameter set before them.
    let mut pings: Vec<(String, String)> = events[5..]
        .iter()
        .map(|e| {
            assert_eq!(e.event, "Thread.Ping");
            assert_eq!(e.param("binding"), Some("cpp"));
            (
                e.param("thread").unwrap().to_owned(),
                e.param("i").unwrap().to_owned(),
            )
        })
        .collect();
    pings.sort();
    let expected: Vec<(String, String)> = (0..4)
        .flat_map(|t| (0..5).map(move |i| (t.to_string(), i.to_string())))
        .collect();
    assert_eq!(pings, expected);

    // One session, numbered without gaps, sent as JSON as configured.
    assert_eq!(
        events.iter().map(|e| e.nr).collect::<Vec<_>>(),
        (1..=25).collect::<Vec<u32>>()
    );
    assert!(events.iter().all(|e| e.session == events[0].session));
    assert!(events
        .iter()
        .all(|e| e.ip.as_deref() == Some("198.51.100.4")));
    assert!(events.iter().all(|e| e.country.as_deref() == Some("DE")));
    let collections = collector.collections();
    assert!(collections
        .iter()
        .all(|c| c.content_type == "application/json"));
    assert!(collections.iter().all(|c| c
        .headers
        .iter()
        .any(|(name, value)| name == "x-cpp-binding" && value == "hamustro.hpp")));
    let header = &events[0].collection_header;
    assert_eq!(header.device_id, sha256_hex("cpp-test-device"));
    assert_eq!(header.client_id, "cpp-test");
    assert_eq!(header.product_language.as_deref(), Some("de"));

    assert_signed_or_rejected_for_the_wrong_secret(&collector, 0);
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Runs `program URL SECRET DB` and returns its stdout and stderr; fails the test if
/// it exits non-zero or hangs.
fn run_program(program: &Path, collector: &Collector, secret: &str, db: &Path) -> String {
    let mut command = Command::new(program);
    command.arg(collector.url()).arg(secret).arg(db);
    let (status, stdout, stderr) = run(command, PROGRAM_TIMEOUT);
    let output = format!("--- stdout ---\n{stdout}--- stderr ---\n{stderr}");
    assert!(
        status.success(),
        "{} failed ({status}):\n{output}",
        program.display()
    );
    output
}

/// The program printed its `N passed, 0 failed` line, alone on a line.
fn assert_summary_has_no_failures(output: &str) {
    let summary = output.lines().find_map(|line| {
        let (passed, failed) = line.split_once(" passed, ")?;
        let failed = failed.strip_suffix(" failed")?;
        Some((passed.parse::<u32>().ok()?, failed.parse::<u32>().ok()?))
    });
    match summary {
        Some((passed, 0)) => assert!(passed > 0, "no checks ran:\n{output}"),
        _ => panic!("no `N passed, 0 failed` line:\n{output}"),
    }
}

/// Every request the collector accepted passed its signature check (it answers 405
/// to a bad one and records no events); the only rejections are the `expected`
/// requests signed with a wrong secret on purpose (more if the library retried one).
fn assert_signed_or_rejected_for_the_wrong_secret(collector: &Collector, expected: usize) {
    let requests = collector.requests();
    assert!(requests.iter().any(|r| r.status == 200));
    let rejected: Vec<_> = requests.iter().filter(|r| r.status != 200).collect();
    for request in &rejected {
        assert_eq!(request.status, 405, "{request:?}");
        let reason = request.error.as_deref().unwrap_or_default();
        assert!(
            reason.starts_with("X-Hamustro-Signature header is invalid"),
            "{request:?}"
        );
    }
    assert!(
        rejected.len() >= expected && (expected > 0 || rejected.is_empty()),
        "expected {expected} rejected request(s), got {rejected:?}"
    );
}

/// The parameters by name, for events whose order is not specified.
fn sorted_params(event: &ReceivedEvent) -> Vec<(&str, &str)> {
    let mut params = params(event);
    params.sort_unstable();
    params
}

fn params(event: &ReceivedEvent) -> Vec<(&str, &str)> {
    event
        .params
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect()
}

fn user(event: &ReceivedEvent) -> (Option<&str>, Option<&str>) {
    (event.tenant_id.as_deref(), event.user_id.as_deref())
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The shared library names its ABI (build.rs): programs record
/// `libhamustro.so.<major>` (`0.<minor>` before 1.0), so an incompatible version is
/// never loaded in its place.
#[test]
#[cfg(target_os = "linux")]
fn the_shared_library_carries_its_soname() {
    let (major, minor) = (
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
    );
    let abi = if major == "0" {
        format!("0.{minor}")
    } else {
        major.to_string()
    };
    let library = support::c_program::cdylib_dir().join("libhamustro.so");
    let dynamic = Command::new("readelf")
        .arg("-d")
        .arg(&library)
        .output()
        .expect("readelf runs");
    let dynamic = String::from_utf8_lossy(&dynamic.stdout);
    assert!(
        dynamic.contains(&format!("Library soname: [libhamustro.so.{abi}]")),
        "{dynamic}"
    );
}
