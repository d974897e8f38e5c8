//! Catching anything the library prints: while an input runs, stdout and stderr go
//! to a file, which must stay empty. A panic (or any crash report) puts them back
//! first, so libFuzzer's own report is seen; what was caught stays in the file
//! `<scratch dir>.out`, which `scripts/fuzz.sh` shows when a run fails.

use std::io::Write as _;
use std::os::fd::AsRawFd as _;
use std::os::unix::fs::FileExt as _;
use std::path::Path;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::OnceLock;

static FILE: OnceLock<std::fs::File> = OnceLock::new();
static SAVED_OUT: AtomicI32 = AtomicI32::new(-1);
static SAVED_ERR: AtomicI32 = AtomicI32::new(-1);

/// Opens the capture file beside `scratch` and makes panics restore the streams.
pub fn install(scratch: &Path) {
    let mut name = scratch.as_os_str().to_owned();
    name.push(".out");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(&name)
        .expect("cannot create the capture file");
    FILE.set(file).expect("capture installed twice");
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// Empties the capture file and sends stdout and stderr to it.
pub fn begin() {
    let file = FILE.get().expect("capture not installed");
    file.set_len(0).expect("cannot empty the capture file");
    let file = file.as_raw_fd();
    let _ = std::io::stdout().flush();
    // SAFETY: dup/dup2 on the process's own standard descriptors and on a file this
    // module keeps open.
    unsafe {
        SAVED_OUT.store(libc::dup(1), Ordering::SeqCst);
        SAVED_ERR.store(libc::dup(2), Ordering::SeqCst);
        libc::dup2(file, 1);
        libc::dup2(file, 2);
    }
}

/// Puts stdout and stderr back, if they were sent to the file.
pub fn restore() {
    let _ = std::io::stdout().flush();
    for (fd, saved) in [(1, &SAVED_OUT), (2, &SAVED_ERR)] {
        let saved = saved.swap(-1, Ordering::SeqCst);
        if saved >= 0 {
            // SAFETY: `saved` is a descriptor `begin` duplicated and nobody else owns.
            unsafe {
                libc::dup2(saved, fd);
                libc::close(saved);
            }
        }
    }
}

/// Puts the streams back and returns what was printed meanwhile. The file keeps it
/// until the next `begin`.
pub fn end() -> Vec<u8> {
    restore();
    let file = FILE.get().expect("capture not installed");
    let len = file.metadata().map_or(0, |m| m.len()) as usize;
    let mut printed = vec![0; len];
    let read = file.read_at(&mut printed, 0).unwrap_or(0);
    printed.truncate(read);
    printed
}
