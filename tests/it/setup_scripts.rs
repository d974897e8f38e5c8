//! The setup scripts' own guarantees (issue: a fresh machine's test command deadlocked on
//! a lock its own script held, then failed on a newer backported clippy):
//! - a lock is never taken twice by one run: `hamustro_lock` (scripts/lock.sh) returns
//!   at once for a file this process, or the script waiting for it, already holds;
//! - every wait for a lock is bounded and names the holder;
//! - every lock of the scripts goes through it;
//! - every tool setup installs is pinned (cargo, Python and npm alike).
//!
//! The Windows clippy pass, which rejects what the host's lints reject and tolerates
//! lints the host does not know yet, is judged by xtask (`xtask/src/clippy_lints.rs`),
//! and tested there.
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
    offenders.extend(unpinned_npm(&scripts()));
    assert!(offenders.is_empty(), "unpinned: {offenders:#?}");
}

/// The npm side of the pins: the scripts install only with `npm ci` (the lock file's
/// versions and hashes, nothing resolved anew) and never run `npx`, which fetches
/// whatever is newest; tests/browser/package.json names exact versions, and its
/// package-lock.json holds each at that version with an integrity hash.
fn unpinned_npm(scripts: &[PathBuf]) -> Vec<String> {
    let mut offenders = Vec::new();
    for path in scripts {
        let source = std::fs::read_to_string(path).expect("readable");
        for command in logical_lines(&source) {
            let code = command.split('#').next().unwrap_or("");
            let words: Vec<&str> = code.split_whitespace().collect();
            let installs = words.windows(2).any(|pair| {
                pair[0] == "npm"
                    && matches!(
                        pair[1],
                        "install" | "i" | "add" | "update" | "upgrade" | "exec" | "x"
                    )
            });
            if installs || words.contains(&"npx") {
                offenders.push(format!("{}: {}", relative(path), command.trim()));
            }
        }
    }
    let read = |name: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(repo().join("tests/browser").join(name))
            .unwrap_or_else(|error| panic!("tests/browser/{name}: {error}"));
        serde_json::from_str(&text).expect("JSON")
    };
    let (manifest, lock) = (read("package.json"), read("package-lock.json"));
    let dependencies = manifest["dependencies"].as_object().expect("dependencies");
    assert!(
        !dependencies.is_empty(),
        "tests/browser/package.json names nothing"
    );
    for (name, version) in dependencies {
        let version = version.as_str().unwrap_or("");
        let exact = version.split('.').count() == 3
            && version.chars().all(|c| c.is_ascii_digit() || c == '.');
        let locked = &lock["packages"][format!("node_modules/{name}")];
        if !exact {
            offenders.push(format!("tests/browser/package.json: {name} {version}"));
        }
        if locked["version"] != version || !locked["integrity"].is_string() {
            offenders.push(format!(
                "tests/browser/package-lock.json: {name} is not locked at {version} with its integrity"
            ));
        }
    }
    if lock["packages"][""]["dependencies"] != manifest["dependencies"] {
        offenders.push(
            "tests/browser/package-lock.json is not package.json's (npm ci refuses it)".into(),
        );
    }
    offenders
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

/// A fresh directory for one test, under the target directory.
fn tempfile_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("setup-scripts-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}
