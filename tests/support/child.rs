//! Runs this test binary again as a child process that plays the app, so a test can
//! SIGKILL it at any moment.
//!
//! The child is one `#[test]` function that returns at once unless `CHILD_ENV` is set;
//! with it set, that function is the child's main. It reports progress as lines on
//! stdout (`@@<word> <value>`), flushed one by one, which the parent reads as they come:
//! an `ack` line means the call before it returned OK. Lines cut short by a kill are
//! ignored, and so is the test harness's own output.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Carries the child's job; its presence is what makes the child test act.
pub const CHILD_ENV: &str = "HAMUSTRO_TEST_CHILD_JOB";
const MARK: &str = "@@";

/// The job this process was started for, when it is a child.
pub fn job() -> Option<String> {
    std::env::var(CHILD_ENV).ok()
}

/// In the child: tells the parent `word value` on one flushed line.
pub fn say(word: &str, value: impl std::fmt::Display) {
    let mut out = std::io::stdout().lock();
    // One write per line, so a kill can cut a line short but never mix two.
    let line = format!("{MARK}{word} {value}\n");
    out.write_all(line.as_bytes())
        .and_then(|()| out.flush())
        .expect("the parent stopped reading");
}

/// A running child process and the lines it has said so far.
pub struct Child {
    process: std::process::Child,
    lines: Receiver<(String, String)>,
    reader: Option<JoinHandle<()>>,
}

impl Child {
    /// Starts this test binary running only `test_name` (its full name in the binary,
    /// `file::function`), with `job` in `CHILD_ENV`.
    pub fn spawn(test_name: &str, job: &str) -> Child {
        Child::spawn_with_env(test_name, job, &[])
    }

    /// `spawn`, with `env` added to the child's environment: for a test of what the
    /// library reads from it (process-wide, so never set in the multi-threaded parent).
    pub fn spawn_with_env(test_name: &str, job: &str, env: &[(&str, &str)]) -> Child {
        let exe = std::env::current_exe().expect("cannot find the test binary");
        let mut process = Command::new(exe)
            .args(["--exact", test_name, "--nocapture", "--test-threads=1"])
            .envs(env.iter().copied())
            .env(CHILD_ENV, job)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("cannot start the child process");
        let stdout = process.stdout.take().expect("piped stdout");
        let (sender, lines) = mpsc::channel();
        let reader = thread::spawn(move || {
            let mut stdout = BufReader::new(stdout);
            let mut line = String::new();
            while matches!(stdout.read_line(&mut line), Ok(n) if n > 0) {
                if let Some(said) = parse(&line) {
                    if sender.send(said).is_err() {
                        return;
                    }
                }
                line.clear();
            }
        });
        Child {
            process,
            lines,
            reader: Some(reader),
        }
    }

    /// The next line the child says, as `(word, value)`; `None` when it said nothing
    /// more within `timeout` or has exited.
    pub fn next(&self, timeout: Duration) -> Option<(String, String)> {
        self.lines.recv_timeout(timeout).ok()
    }

    /// Whether the child has not exited yet.
    pub fn is_running(&mut self) -> bool {
        matches!(self.process.try_wait(), Ok(None))
    }

    /// SIGKILLs the child (`TerminateProcess` on Windows) and returns everything it said that was not yet read.
    pub fn kill(mut self) -> Vec<(String, String)> {
        let _ = self.process.kill();
        let _ = self.process.wait();
        self.rest()
    }

    /// Waits, at most `timeout`, for the child to exit by itself; its exit status and
    /// everything it said that was not yet read. Kills it and panics on timeout.
    pub fn finish(mut self, timeout: Duration) -> (ExitStatus, Vec<(String, String)>) {
        let deadline = Instant::now() + timeout;
        let mut said = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => said.push(line),
                // The reader ends when the child's stdout closes: it has exited.
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    let _ = self.process.kill();
                    panic!("the child process did not finish within {timeout:?}");
                }
            }
        }
        let status = self.process.wait().expect("cannot reap the child process");
        said.extend(self.rest());
        (status, said)
    }

    fn rest(&mut self) -> Vec<(String, String)> {
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        self.lines.try_iter().collect()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        // A failing parent must not leave a child running.
        if self.reader.is_some() {
            let _ = self.process.kill();
            let _ = self.process.wait();
        }
    }
}

/// `(word, value)` from a complete `@@word value` line; anything else is not ours.
fn parse(line: &str) -> Option<(String, String)> {
    let line = line.strip_suffix('\n')?;
    let (_, said) = line.split_once(MARK)?;
    let (word, value) = said.split_once(' ')?;
    Some((word.to_owned(), value.to_owned()))
}
