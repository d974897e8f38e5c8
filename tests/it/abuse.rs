//! The C API under abuse, as an outside caller written from the header would try it:
//! compiles `tests/c/abuse_test.c`, runs it against the in-process collector, and
//! checks on the collector's side that no event tracked OK was lost or taken by the
//! wrong tracker, and that the library printed nothing on the program's stderr.

use crate::support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

#[cfg(unix)]
use std::os::unix::fs::symlink as symlink_file;
#[cfg(windows)]
use std::os::windows::fs::symlink_file;

use hamustro::Tracker;
use sha2::{Digest as _, Sha256};
use support::c_program::{compile_c_test, program_path, run};
use support::collector::Collector;
use support::{config, temp_db, SECRET};

const LIMIT: Duration = Duration::from_secs(180);

fn compiled(work: &Path) -> std::path::PathBuf {
    let program = program_path(work, "abuse_test");
    compile_c_test("abuse_test.c", &program, &["-pthread"]);
    program
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn the_abuse_program_loses_nothing_and_prints_nothing() {
    let collector = Collector::start(SECRET);
    let work = tempfile::tempdir().unwrap();
    let program = compiled(work.path());
    let data = work.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let mut command = Command::new(&program);
    command
        .arg("suite")
        .arg(collector.url())
        .arg(SECRET)
        .arg(&data);
    let (status, stdout, stderr) = run(command, LIMIT);
    let output = format!("--- stdout ---\n{stdout}--- stderr ---\n{stderr}");
    assert!(status.success(), "the abuse program failed:\n{output}");
    assert!(stdout.contains(" passed, 0 failed"), "{output}");
    assert!(
        stderr.is_empty(),
        "something printed on the app's stderr:\n{output}"
    );

    let events = collector.events();
    let of_device = |device: &str| -> Vec<(String, u32)> {
        let hashed = sha256_hex(device);
        events
            .iter()
            .filter(|e| e.collection_header.device_id == hashed)
            .map(|e| (e.event.clone(), e.nr))
            .collect()
    };
    // One database reached by four names: ten events, one numbering, none dropped.
    let aliased = of_device("abuse-device");
    let expected: Vec<(String, u32)> = (1..=10)
        .map(|nr| {
            let name = if nr <= 5 {
                "Alias.First"
            } else {
                "Alias.Second"
            };
            (name.to_string(), nr)
        })
        .collect();
    assert_eq!(aliased, expected);
    // The parent's six events, numbered without a gap; nothing the child tried on the
    // inherited handle; the child's own tracker delivered its event. (Windows has no
    // fork: the program leaves that part out there.)
    let fork_ran = cfg!(unix);
    let parent: Vec<(String, u32)> = (1..=6)
        .filter(|_| fork_ran)
        .map(|nr| ("Fork.Parent".to_string(), nr))
        .collect();
    let child: Vec<(String, u32)> = (1..=1)
        .filter(|_| fork_ran)
        .map(|nr| ("Fork.ChildOwn".to_string(), nr))
        .collect();
    assert_eq!(of_device("abuse-fork"), parent);
    assert_eq!(of_device("abuse-child"), child);
    assert_eq!(
        of_device("abuse-url"),
        [("Url.UpperCaseScheme".to_string(), 1)]
    );
    let poison: Vec<String> = of_device("abuse-poison")
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(poison, ["Poison.StillTracked", "Poison.AfterRestart"]);
}

#[test]
fn another_process_cannot_open_a_held_database_by_any_name() {
    let work = tempfile::tempdir().unwrap();
    let program = compiled(work.path());
    let (dir, db) = temp_db();
    let url = "http://127.0.0.1:9";
    // The client id of the C program's trackers: a database is one app's.
    let holder = Tracker::new(support::with(config(url, &db), |c| {
        c.client_id = "abuse-test".into();
    }))
    .unwrap();
    let symlinked = dir.path().join("symlinked.db");
    let made = symlink_file(&db, &symlinked).and_then(|()| std::fs::metadata(&symlinked));
    // Windows needs a privilege or developer mode for a symlink (and Wine only
    // pretends to make one); everywhere else it must work.
    assert!(made.is_ok() || cfg!(windows), "{made:?}");
    let hard_linked = dir.path().join("hard-linked.db");
    std::fs::hard_link(&db, &hard_linked).unwrap();
    let mut aliases = vec![&db, &hard_linked];
    if made.is_ok() {
        aliases.push(&symlinked);
    } else {
        println!("note: no symbolic links here; the symlink alias is left out");
    }
    for alias in aliases {
        let mut command = Command::new(&program);
        command.arg("open").arg(url).arg(SECRET).arg(alias);
        let (status, stdout, stderr) = run(command, LIMIT);
        assert!(status.success(), "{stdout}{stderr}");
        assert_eq!(
            stdout.trim(),
            "HAMUSTRO_STATUS_STORAGE",
            "{} was opened by a second process while held",
            alias.display()
        );
    }
    drop(holder);
    let mut command = Command::new(&program);
    command.arg("open").arg(url).arg(SECRET).arg(&hard_linked);
    let (_, stdout, _) = run(command, LIMIT);
    assert_eq!(stdout.trim(), "HAMUSTRO_STATUS_OK", "released on close");
}
