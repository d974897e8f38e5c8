//! What differs between operating systems, behind one small safe interface: how the
//! library's private files and directories are created, how a file is told apart
//! from a FIFO or a device without blocking on it, and how one file (not one path)
//! is locked and identified. The core never uses `std::os::*` itself.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as imp;

use std::fs::File;
use std::io;
use std::path::Path;

/// A file's identity on this machine, the same through every name it has (symlinks,
/// hard links, `..`, bind mounts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileIdentity {
    device: u64,
    inode: u64,
}

/// Opens `path` for reading and writing, creating it readable by the owner only when
/// `create` is set. Refuses, without blocking, anything that is not a regular file
/// (a FIFO, a device, a directory, a socket).
pub fn open_regular_file(path: &Path, create: bool) -> io::Result<File> {
    // A FIFO would block the open itself: look before opening, open without
    // blocking, and check again what was opened (the name may have changed between).
    match std::fs::metadata(path) {
        Ok(metadata) if !metadata.is_file() => return Err(not_regular(path, &metadata)),
        Ok(_) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound && create => {}
        Err(error) => return Err(error),
    }
    let file = imp::open_nonblocking(path, create)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(not_regular(path, &metadata));
    }
    Ok(file)
}

fn not_regular(path: &Path, metadata: &std::fs::Metadata) -> io::Error {
    let kind = if metadata.is_dir() {
        "a directory"
    } else {
        imp::special_file_kind(metadata)
    };
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{} is {kind}, not a regular file", path.display()),
    )
}

/// The identity of an open file.
pub fn identity(file: &File) -> io::Result<FileIdentity> {
    let (device, inode) = imp::identity(&file.metadata()?);
    Ok(FileIdentity { device, inode })
}

/// The identity of the file a path names now (following symlinks), without opening
/// it; `None` when nothing is there.
pub fn identity_of_path(path: &Path) -> io::Result<Option<FileIdentity>> {
    match std::fs::metadata(path) {
        Ok(metadata) => {
            let (device, inode) = imp::identity(&metadata);
            Ok(Some(FileIdentity { device, inode }))
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// How taking a file's exclusive lock went.
pub enum LockOutcome {
    Locked,
    /// Another open of the file (in this process or another) holds it.
    Busy,
}

/// Takes an advisory exclusive lock on the open file itself, without waiting. It is
/// released when the file is closed. It never conflicts with SQLite's own locks on
/// the same file.
pub fn try_lock_exclusive(file: &File) -> io::Result<LockOutcome> {
    imp::try_lock_exclusive(file)
}

/// Creates `path` and its missing parents, readable by the owner only where the
/// platform has modes.
pub fn create_private_dir(path: &Path) -> io::Result<()> {
    imp::create_private_dir(path)
}

/// Opens (creating if needed) a file of the library's own, readable by the owner only
/// where the platform has modes, for reading and writing.
pub fn open_private_file(path: &Path) -> io::Result<File> {
    imp::open_private_file(path)
}

/// How many forks separate this process from the one that first asked: a value
/// taken when a tracker is created differs from the current one in a forked child,
/// where the tracker's threads do not exist and its files belong to the parent.
/// The first call starts watching for forks; always 0 where there is no fork.
pub fn fork_generation() -> u64 {
    imp::fork_generation()
}

/// Writes all of `bytes` at `offset` without moving a shared file position, so
/// concurrent positioned writes never interfere (one `pwrite` on Unix).
pub fn write_all_at(file: &File, bytes: &[u8], offset: u64) -> io::Result<()> {
    imp::write_all_at(file, bytes, offset)
}
