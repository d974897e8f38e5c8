//! A directory on a tiny tmpfs, for tests of a full disk.

use std::process::{Command, Stdio};

/// Runs `body` with a directory on a tiny tmpfs of `size`, if this machine lets us
/// mount one (root in a sandbox usually can); otherwise says so and skips.
pub fn with_tiny_filesystem(size: &str, body: impl FnOnce(&std::path::Path)) {
    let dir = tempfile::tempdir().unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir.path())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    }
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(dir.path())));
    let _ = Command::new("umount").arg(dir.path()).status();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}
