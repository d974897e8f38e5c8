//! The setup scripts' own guarantees (issue: a fresh machine's test command deadlocked on
//! a lock its own script held, then failed on a newer backported clippy):
//! - a lock is never taken twice by one run: `hamustro_lock` (scripts/lock.sh) returns
//!   at once for a file this process, or the script waiting for it, already holds;
//! - every wait for a lock is bounded and names the holder;
//! - every lock of the scripts goes through it;
//! - every tool setup installs is pinned;
//! - the Windows clippy pass rejects what the host's lints reject and tolerates lints
//!   the host does not know yet.
#![cfg(unix)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs a bash script that has sourced scripts/lock.sh, with no lock inherited.
fn bash_with_lock(script: &str) -> Output {
    let lock = repo().join("scripts/lock.sh");
    Command::new("bash")
        .arg("-c")
        .arg(format!("set -u; source '{}'\n{script}", lock.display()))
        .env_remove("HAMUSTRO_LOCKS_HELD")
        .output()
        .expect("bash runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_lock_held_by_this_run_or_the_script_that_started_it_is_taken_again_at_once() {
    let dir = tempfile_dir("reentrant");
    let file = dir.join("toolchain.lock");
    // Each take waits at most 1 s: a lock taken twice would fail, not hang.
    let output = bash_with_lock(&format!(
        r#"
        hamustro_lock '{f}' 1 || exit 11
        hamustro_lock '{f}' 1 || exit 12
        [ -z "$hamustro_lock_fd" ] || exit 13
        bash -c "source '{lock}'; hamustro_lock '{f}' 1" || exit 14
        ( hamustro_lock '{f}' 1 ) || exit 15
        echo done
        "#,
        f = file.display(),
        lock = repo().join("scripts/lock.sh").display(),
    ));
    assert!(
        output.status.success(),
        "status {:?}, stderr: {}",
        output.status.code(),
        text(&output.stderr)
    );
    assert_eq!(text(&output.stdout).trim(), "done");
}

#[test]
fn a_wait_for_another_holder_gives_up_after_its_bound_naming_the_holder() {
    let dir = tempfile_dir("bounded");
    let file = dir.join("cache.lock");
    let lock = repo().join("scripts/lock.sh");
    // The holder takes the lock, says so, and keeps it until its stdin closes.
    let mut holder = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source '{}'; hamustro_lock '{}' 5 && echo held; read -r _",
            lock.display(),
            file.display()
        ))
        .env_remove("HAMUSTRO_LOCKS_HELD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("bash runs");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stdout.as_mut().expect("piped")),
        &mut line,
    )
    .expect("the holder speaks");
    assert_eq!(line.trim(), "held");

    let output = bash_with_lock(&format!("hamustro_lock '{}' 1", file.display()));
    let stderr = text(&output.stderr);
    holder
        .stdin
        .take()
        .expect("piped")
        .write_all(b"\n")
        .expect("the holder reads");
    assert!(holder.wait().expect("the holder exits").success());

    assert!(!output.status.success(), "a held lock was taken: {stderr}");
    assert!(
        stderr.contains(&format!("pid {}", holder.id())),
        "the holder's pid is not named: {stderr}"
    );
    assert!(
        stderr.contains("hamustro_lock"),
        "the holder's command line is not named: {stderr}"
    );
    assert!(stderr.contains("gave up after 1 s"), "{stderr}");
}

/// The shell scripts of the repository.
fn scripts() -> Vec<PathBuf> {
    let mut found = Vec::new();
    for dir in [
        "scripts",
        "bindings/c",
        "bindings/python",
        "bindings/swift",
        "bindings/csharp",
        "bindings/godot",
        ".ci",
    ] {
        for entry in std::fs::read_dir(repo().join(dir)).expect("readable") {
            let path = entry.expect("an entry").path();
            let shell = path.extension().is_some_and(|ext| ext == "sh");
            if shell || path.file_name().is_some_and(|name| name == "run") {
                found.push(path);
            }
        }
    }
    assert!(found.len() > 10, "found only {found:?}");
    found
}

fn relative(path: &Path) -> String {
    path.strip_prefix(repo())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn every_lock_of_the_scripts_goes_through_hamustro_lock() {
    let mut offenders = Vec::new();
    for path in scripts() {
        let name = relative(&path);
        if name == "scripts/lock.sh" {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("readable");
        for (number, line) in source.lines().enumerate() {
            let code = line.split('#').next().unwrap_or("");
            // The one exception: the last user of a chroot upgrades its own shared hold
            // without waiting (-n) to unmount.
            if code.contains("flock ") && !code.contains("flock -n -x \"$fd\"") {
                offenders.push(format!("{name}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "locks taken outside scripts/lock.sh (re-entrant, bounded): {offenders:#?}"
    );
}

#[test]
fn every_tool_the_setup_installs_is_pinned() {
    let mut offenders = Vec::new();
    for path in scripts() {
        let name = relative(&path);
        let source = std::fs::read_to_string(&path).expect("readable");
        for command in logical_lines(&source) {
            let code = command.split('#').next().unwrap_or("");
            if code.contains("cargo install")
                && !code.trim_start().starts_with("echo ")
                && !code.contains("\"$name@$version\"")
            {
                offenders.push(format!("{name}: {}", command.trim()));
            }
        }
    }
    let tools = std::fs::read_to_string(repo().join("scripts/python-tools.txt")).expect("read");
    for line in tools.lines().map(str::trim) {
        if !line.is_empty() && !line.starts_with('#') && !line.contains("==") {
            offenders.push(format!("scripts/python-tools.txt: {line}"));
        }
    }
    let toolchains = std::fs::read_to_string(repo().join("scripts/toolchains.sh")).expect("read");
    for tool in ["cargo-deny", "cargo-fuzz"] {
        let pinned = toolchains.lines().any(|line| {
            line.trim()
                .strip_prefix(&format!("[{tool}]="))
                .is_some_and(|version| version.split('.').count() == 3)
        });
        if !pinned {
            offenders.push(format!("scripts/toolchains.sh: {tool} has no version"));
        }
    }
    assert!(offenders.is_empty(), "unpinned: {offenders:#?}");
}

/// A script's commands, each with its continuation lines (ending in `\`) joined.
fn logical_lines(source: &str) -> Vec<String> {
    let mut commands = vec![String::new()];
    for line in source.lines() {
        let last = commands.last_mut().expect("never empty");
        match line.strip_suffix('\\') {
            Some(continued) => last.push_str(continued),
            None => {
                last.push_str(line);
                commands.push(String::new());
            }
        }
    }
    commands
}

/// Runs scripts/windows-clippy.py on JSON messages as cargo prints them.
fn judge_clippy(messages: &[(&str, Option<&str>, &str)]) -> Output {
    let mut child = Command::new("python3")
        .arg(repo().join("scripts/windows-clippy.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut input = String::from("{\"reason\":\"compiler-artifact\"}\n");
    for (level, code, rendered) in messages {
        let code = code.map_or("null".to_owned(), |code| format!("{{\"code\":\"{code}\"}}"));
        input.push_str(&format!(
            "{{\"reason\":\"compiler-message\",\"message\":{{\"level\":\"{level}\",\
             \"code\":{code},\"message\":\"m\",\"rendered\":\"{rendered}\"}}}}\n"
        ));
    }
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(input.as_bytes())
        .expect("written");
    child.wait_with_output().expect("it exits")
}

#[test]
fn the_windows_clippy_pass_fails_on_the_hosts_lints_and_tolerates_newer_ones() {
    if Command::new("clippy-driver").arg("-V").output().is_err() {
        // `make test` checks that clippy is there (scripts/setup.sh --check).
        eprintln!("skipped: no clippy-driver on PATH");
        return;
    }
    let known = judge_clippy(&[("warning", Some("clippy::needless_return"), "w")]);
    assert_eq!(known.status.code(), Some(1), "{}", text(&known.stdout));

    let rustc_lint = judge_clippy(&[("warning", Some("unused_variables"), "w")]);
    assert_eq!(
        rustc_lint.status.code(),
        Some(1),
        "{}",
        text(&rustc_lint.stdout)
    );

    let error = judge_clippy(&[("error", Some("E0308"), "e")]);
    assert_eq!(error.status.code(), Some(1), "{}", text(&error.stdout));

    let newer = judge_clippy(&[
        ("warning", Some("clippy::a_lint_from_a_later_clippy"), "w"),
        ("warning", None, "warning: 1 warning emitted"),
    ]);
    let report = text(&newer.stdout);
    assert_eq!(newer.status.code(), Some(0), "{report}");
    assert!(report.contains("tolerated"), "{report}");
    assert!(report.contains("a_lint_from_a_later_clippy"), "{report}");
}

/// A fresh directory for one test, under the target directory.
fn tempfile_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("setup-scripts-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}
