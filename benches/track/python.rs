//! `track_event` through the Python wrapper (`bindings/python`, ctypes), timed by a
//! small Python program against the loopback collector.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::cdylib::manifest_dir;
use crate::collector::Collector;
use crate::fixtures::temp_dir;
use crate::{PYTHON_CALLS, SECRET};

pub const PYTHON_SCRIPT: &str = r#"
import json, sys, time
import hamustro

url, db, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = hamustro.Tracker(url, "bench-secret", "bench-device", "bench", "14.1", "2.0.0",
                     database_path=db)
clock = time.perf_counter_ns
samples = []
for _ in range(n):
    start = clock()
    t.track_event("E", {"a": "1", "b": "2", "c": "3"})
    samples.append(clock() - start)
t.close()
samples.sort()
def us(ns):
    return round(ns / 1000, 2)
def pct(p):  # nearest rank, p in tenths of a percent
    return us(samples[max(1, min(len(samples), -(-len(samples) * p // 1000))) - 1])
print(json.dumps({"count": n, "p50_us": pct(500), "p99_us": pct(990),
                  "p999_us": pct(999), "max_us": us(samples[-1]),
                  "library": str(hamustro._ffi.library_path)}))
"#;

/// Times `track_event` through `bindings/python` (ctypes) against the loopback
/// collector; `Err(reason)` when it cannot run.
pub fn python_track(library: &Path) -> Result<Value, String> {
    let package = manifest_dir().join("bindings/python");
    if !package.join("hamustro/__init__.py").is_file() {
        return Err("bindings/python/hamustro is not there".into());
    }
    if !library.is_file() {
        return Err(format!("{} is missing", library.display()));
    }
    let collector = Collector::start(SECRET);
    let dir = temp_dir();
    let output = Command::new("python3")
        .arg("-c")
        .arg(PYTHON_SCRIPT)
        .arg(collector.url())
        .arg(dir.path().join("q.sqlite3"))
        .arg(PYTHON_CALLS.to_string())
        .env("PYTHONPATH", &package)
        .env("HAMUSTRO_LIBRARY", library)
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason = stderr.lines().last().unwrap_or("no message");
        return Err(format!("python3 exited with {}: {reason}", output.status));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or("");
    serde_json::from_str(line).map_err(|e| format!("cannot parse {line:?}: {e}"))
}
