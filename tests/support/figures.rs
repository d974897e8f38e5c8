//! Measured reliability figures, appended to `target/reliability-figures.txt` so that
//! documentation can cite what a run actually showed.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

pub const FILE_NAME: &str = "reliability-figures.txt";

/// Prints `line` (shown with `--nocapture`) and appends it, stamped with the time, to the figures file.
pub fn report(line: &str) {
    eprintln!("{line}");
    let at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let path = target_dir().join(FILE_NAME);
    let written = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| writeln!(file, "unix_time={at} {line}"));
    if let Err(error) = written {
        eprintln!("cannot append to {}: {error}", path.display());
    }
}

/// Cargo's target directory: the one holding this test binary and cargo's
/// `CACHEDIR.TAG`, wherever `CARGO_TARGET_DIR` put it.
fn target_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.ancestors()
                .find(|dir| dir.join("CACHEDIR.TAG").is_file())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}
