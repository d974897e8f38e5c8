//! Peak memory with a large queue. It is process-wide, so it is measured in a child
//! process: this binary re-executed with `--rss-child`.

use std::process::Command;

use hamustro::Tracker;
use serde_json::{json, Value};

use crate::fixtures::{offline_config, temp_dir};
use crate::{EVENT, PARAMS, STARTUP_BACKLOG};

/// The child's side: baseline, track 100,000 offline, reopen, report /proc figures as
/// one JSON line (kB).
pub fn rss_child() {
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

pub struct ProcStatus {
    pub rss_kb: u64,
    pub hwm_kb: u64,
}

pub fn proc_status() -> ProcStatus {
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
pub fn peak_memory() -> Result<Value, String> {
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
