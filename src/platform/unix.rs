//! The Unix side of `platform`: modes, non-blocking opens, device and inode, flock.

use std::fs::{DirBuilder, File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt as _;
use std::os::unix::fs::{DirBuilderExt as _, FileTypeExt as _, MetadataExt as _};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

use super::LockOutcome;

pub(super) fn open_nonblocking(path: &Path, create: bool) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(create)
        .truncate(false)
        .mode(0o600)
        // O_NONBLOCK: opening a FIFO returns at once instead of waiting for a peer;
        // it has no effect on the regular file we expect. O_NOCTTY: a terminal
        // device never becomes the process's controlling terminal.
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

pub(super) fn special_file_kind(metadata: &Metadata) -> &'static str {
    let kind = metadata.file_type();
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

pub(super) fn identity(metadata: &Metadata) -> (u64, u64) {
    (metadata.dev(), metadata.ino())
}

/// flock(2), through std: an advisory lock of the open file description, which
/// Linux and macOS keep apart from the fcntl(2) locks SQLite takes.
pub(super) fn try_lock_exclusive(file: &File) -> io::Result<LockOutcome> {
    match file.try_lock() {
        Ok(()) => Ok(LockOutcome::Locked),
        Err(std::fs::TryLockError::WouldBlock) => Ok(LockOutcome::Busy),
        Err(std::fs::TryLockError::Error(error)) => Err(error),
    }
}

pub(super) fn create_private_dir(path: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(path)
}

pub(super) fn write_all_at(file: &File, bytes: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, offset)
}

pub(super) fn open_private_file(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
}

/// Counts the forks this process is a child of, for `platform::fork_generation`.
static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);
static WATCH_FORKS: Once = Once::new();

extern "C" fn in_forked_child() {
    // Runs in the child right after fork, where only async-signal-safe work is
    // allowed: an atomic add is.
    FORK_GENERATION.fetch_add(1, Ordering::SeqCst);
}

pub(super) fn fork_generation() -> u64 {
    WATCH_FORKS.call_once(|| {
        // SAFETY: registers a handler that only touches an atomic; pthread_atfork
        // copies the pointers and has no other precondition. A failure (ENOMEM)
        // leaves forks undetected, which the generation's documentation allows.
        unsafe { libc::pthread_atfork(None, None, Some(in_forked_child)) };
    });
    FORK_GENERATION.load(Ordering::SeqCst)
}
