//! What differs between operating systems, behind one small safe interface: how the
//! library's private files and directories are created, how a file is told apart
//! from a FIFO or a device without blocking on it, how one file (not one path) is
//! locked and identified, positioned writes, preallocated files and shared mappings
//! of them, forks, and the device context (primary
//! IPv4 address, UTC offset, locale, data directory). The core never uses
//! `std::os::*`, `libc` or a `cfg(target_os)` itself.

#![allow(unsafe_code)]

mod allocator;
mod mapping;
mod thread;
#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as imp;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as imp;

use std::fs::File;
use std::io;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

pub use allocator::fallible;
pub use mapping::SharedMapping;
pub use thread::OwnThread;

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
    refuse_device_names(path)?;
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

/// Windows reaches devices by name (`NUL`, `COM1`, `\\.\PhysicalDrive0`) and cannot
/// even report such a file's metadata: those names are refused before anything else.
fn refuse_device_names(path: &Path) -> io::Result<()> {
    if imp::names_a_device(path) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is a device, not a regular file", path.display()),
        ));
    }
    Ok(())
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
    let (device, inode) = imp::identity_of_file(file)?;
    Ok(FileIdentity { device, inode })
}

/// The identity of the file a path names now (following symlinks), without taking
/// anything SQLite relies on (on Unix, without opening it); `None` when nothing is
/// there.
pub fn identity_of_path(path: &Path) -> io::Result<Option<FileIdentity>> {
    refuse_device_names(path)?;
    match std::fs::metadata(path) {
        Ok(metadata) if !metadata.is_file() => return Err(not_regular(path, &metadata)),
        Ok(_) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    }
    match imp::identity_of_path(path) {
        Ok((device, inode)) => Ok(Some(FileIdentity { device, inode })),
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

/// Releases the lock `try_lock_exclusive` took, before the file is closed: a process
/// the app starts in another thread shares the open file for a moment (between its
/// fork and its exec), and closing alone would leave the lock held until it lets go.
pub fn unlock(file: &File) {
    imp::unlock(file);
}

/// Creates `path` and its missing parents, readable by the owner only where the
/// platform has modes.
pub fn create_private_dir(path: &Path) -> io::Result<()> {
    imp::create_private_dir(path)
}

/// What a name beside the database was found to be, without following it.
pub(crate) enum Found {
    Regular,
    Directory,
    /// A symbolic link (a junction or another reparse point on Windows).
    Link,
    /// A FIFO, a device, a socket: the words that say which. (Windows finds a device
    /// by its name before looking, so it never makes one.)
    #[cfg_attr(windows, allow(dead_code))]
    Special(&'static str),
}

/// What `companion_facts` reads about a file: enough to tell a file of the library's
/// own (regular, one name, this user's) from anything planted in its place.
pub(crate) struct Facts {
    pub(crate) found: Found,
    pub(crate) links: u64,
    /// Owned by the user this process runs as (always true where files have no
    /// owner the library can compare).
    pub(crate) ours: bool,
    pub(crate) identity: FileIdentity,
}

/// Why a file beside the database is not one the library may use, in words that
/// follow its path; `None` when it is a regular file with one name, this user's.
fn refusal(facts: &Facts) -> Option<String> {
    match facts.found {
        Found::Link => {
            Some("is a symbolic link (hamustro never follows a link beside its database)".into())
        }
        Found::Directory => Some("is a directory, not a regular file".into()),
        Found::Special(kind) => Some(format!("is {kind}, not a regular file")),
        Found::Regular if facts.links != 1 => Some(format!(
            "has {} names (hard links); hamustro uses only a file with one name",
            facts.links
        )),
        Found::Regular if !facts.ours => Some("belongs to another user".into()),
        Found::Regular => None,
    }
}

fn refused(path: &Path, why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{} {why}", path.display()),
    )
}

/// Looks at the file a name beside the database stands for, without following a link
/// and without opening it (on Unix: closing a descriptor would drop SQLite's locks on
/// the file). `Ok(None)` when nothing is there; an error naming the path when what is
/// there is not a regular file with one name, owned by this user.
pub fn check_companion(path: &Path) -> io::Result<Option<FileIdentity>> {
    refuse_device_names(path)?;
    let Some(facts) = imp::companion_facts_of_path(path)? else {
        return Ok(None);
    };
    match refusal(&facts) {
        Some(why) => Err(refused(path, &why)),
        None => Ok(Some(facts.identity)),
    }
}

/// Opens a file beside the database for reading and writing, without following a
/// link and without blocking (`O_NOFOLLOW | O_NONBLOCK`, then `fstat`; on Windows
/// `FILE_FLAG_OPEN_REPARSE_POINT`, then `GetFileInformationByHandle`). When `create`
/// is set and nothing is there, it is created exclusively (`O_EXCL`, `CREATE_NEW`),
/// readable by the owner only, so a name planted between the look and the creation
/// makes the creation fail instead of being followed. What is opened must be a
/// regular file with one name, this user's; anything else is an error naming the
/// path, closed untouched. `Ok(None)`: nothing there and `create` not set.
pub fn open_companion(path: &Path, create: bool) -> io::Result<Option<File>> {
    refuse_device_names(path)?;
    let Some(file) = open_or_create_new(path, create).map_err(|error| {
        // Refused by the open itself (a link under O_NOFOLLOW, a directory): say what
        // is there, from a look that follows nothing.
        match imp::companion_facts_of_path(path)
            .ok()
            .flatten()
            .as_ref()
            .and_then(refusal)
        {
            Some(why) => refused(path, &why),
            None => error,
        }
    })?
    else {
        return Ok(None);
    };
    let facts = imp::companion_facts_of_file(&file)?;
    match refusal(&facts) {
        Some(why) => Err(refused(path, &why)),
        None => Ok(Some(file)),
    }
}

/// Opens what is at `path` with the platform's companion options, never creating it;
/// only when nothing is there (and `create` is set), creates it exclusively, which
/// never follows a link either. A name that appears between the two is looked at
/// again, a few times at most.
fn open_or_create_new(path: &Path, create: bool) -> io::Result<Option<File>> {
    for _ in 0..8 {
        match imp::companion_options().open(path) {
            Ok(file) => return Ok(Some(file)),
            Err(error) if error.kind() == io::ErrorKind::NotFound && create => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(error),
        }
        match imp::companion_options().create_new(true).open(path) {
            Ok(file) => return Ok(Some(file)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(error),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::WouldBlock,
        format!("{} keeps changing under hamustro", path.display()),
    ))
}

/// Makes SQLite open every file through the same checks as `open_companion`, at the
/// moment it opens it: its database, WAL, shared-memory index and rollback journal,
/// whenever SQLite creates or reopens them (a rollback journal for each transaction
/// outside WAL mode, the WAL and its index on every open). A name SQLite would
/// otherwise follow or block on makes its open fail instead, and
/// `take_refused_sqlite_open` says which and why. Installed once, for the SQLite
/// built into this library (its Unix VFS's `open`; Windows' `CreateFileW`).
pub fn guard_sqlite_opens() {
    imp::guard_sqlite_opens();
}

/// What the last open SQLite made on this thread and `guard_sqlite_opens` refused:
/// the path and why. Taken, so it is reported once.
pub fn take_refused_sqlite_open() -> Option<String> {
    imp::take_refused_sqlite_open()
}

/// Keeps SQLite from deleting the WAL and its index by name when the connection
/// closes (`SQLITE_FCNTL_PERSIST_WAL`): should the database have been renamed or its
/// directory moved meanwhile, that name may be another tracker's file by then.
pub fn keep_sqlite_wal_on_close(conn: &rusqlite::Connection) -> io::Result<()> {
    let mut on: std::ffi::c_int = 1;
    // SAFETY: the handle is the open connection's for the borrow of `conn`; "main" is
    // its database; PERSIST_WAL reads and writes the int on this frame during the call.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            rusqlite::ffi::SQLITE_FCNTL_PERSIST_WAL,
            (&raw mut on).cast(),
        )
    };
    if rc == rusqlite::ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "SQLite refused to keep its WAL file (error {rc})"
        )))
    }
}

/// How many forks separate this process from the one that first asked: a value
/// taken when a tracker is created differs from the current one in a forked child,
/// where the tracker's threads do not exist and its files belong to the parent.
/// The first call starts watching for forks; always 0 where there is no fork.
pub fn fork_generation() -> u64 {
    imp::fork_generation()
}

/// Registers `prepare`, which the thread that calls `fork()` runs just before the fork,
/// and `parent` and `child`, which it runs just after, in the parent and in the child
/// (where it is the only thread): `pthread_atfork`. Registered for the life of the
/// process. Does nothing where there is no fork.
pub fn on_fork(
    prepare: extern "C" fn(),
    parent: extern "C" fn(),
    child: extern "C" fn(),
) -> io::Result<()> {
    imp::on_fork(prepare, parent, child)
}

/// Writes all of `bytes` at `offset` without moving a shared file position, so
/// concurrent positioned writes never interfere (one `pwrite` on Unix).
pub fn write_all_at(file: &File, bytes: &[u8], offset: u64) -> io::Result<()> {
    imp::write_all_at(file, bytes, offset)
}

/// Reads from `offset` until `buffer` is full or the file ends; returns how many bytes
/// it read. Positioned, like `write_all_at`.
pub fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut read = 0;
    while read < buffer.len() {
        match imp::read_at(file, &mut buffer[read..], offset + read as u64) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(read)
}

/// Writes zeros over `range` of `file`, a positioned write of at most 64 KiB at a time.
pub fn write_zeros(file: &File, range: std::ops::Range<u64>) -> io::Result<()> {
    let zeros = vec![0u8; 64 * 1024];
    let mut offset = range.start;
    while offset < range.end {
        let chunk = usize::try_from(range.end - offset).map_or(zeros.len(), |n| n.min(zeros.len()));
        write_all_at(file, &zeros[..chunk], offset)?;
        offset += chunk as u64;
    }
    Ok(())
}

/// Makes the empty `file` `len` bytes long, every byte allocated on disk (no sparse
/// hole), so that a later store through a mapping of it can never meet a full disk
/// (which a mapping can only report as SIGBUS): `posix_fallocate` on Linux and other
/// Unix, `F_PREALLOCATE` and then `ftruncate` on Apple platforms, `SetEndOfFile` and
/// zeros written over the new bytes on Windows. A full disk is an error here instead.
pub fn preallocate(file: &File, len: u64) -> io::Result<()> {
    imp::preallocate(file, len)
}

/// The size of an open file, with the cheapest system call there is for it:
/// `lseek(SEEK_END)` on Unix (a third of what `fstat` costs), `GetFileSizeEx` on
/// Windows. On Unix it moves the descriptor's file position: only for files that
/// are read and written at explicit offsets.
pub fn file_size(file: &File) -> io::Result<u64> {
    imp::file_size(file)
}

/// The one spelling of an existing file's path that every other name of it (through
/// symlinks, `.` and `..`) comes down to, so the files named after it (journal, WAL)
/// are the same whichever name the app used. Unchanged when it cannot be resolved.
pub fn canonical_path(path: &Path) -> PathBuf {
    imp::canonical_path(path)
}

/// The device's primary IPv4 address: the first interface that is up, running and not
/// loopback, in the order the system lists them. `None` when there is none.
pub fn primary_ipv4() -> Option<Ipv4Addr> {
    imp::primary_ipv4()
}

/// The local time zone's offset from UTC at `epoch_seconds`, in seconds east of UTC
/// (DST included). `None` if the system cannot convert the time.
pub fn utc_offset_seconds(epoch_seconds: i64) -> Option<i64> {
    imp::utc_offset_seconds(epoch_seconds)
}

/// The user's locale name, e.g. `en_US.UTF-8` (POSIX) or `en-US` (Windows); empty
/// when none is set.
pub fn locale_name() -> String {
    imp::locale_name()
}

/// The operating system's version as its users know it: e.g. "10.0.22631" (Windows:
/// major.minor.build), "14.4.1" (macOS, iOS), "6.1.0-18-amd64" (Linux and other Unix:
/// the kernel release). `None` when the system does not say.
pub fn os_version() -> Option<String> {
    imp::os_version().filter(|version| !version.trim().is_empty())
}

/// The per-user directory where applications keep their data; `None` when the
/// environment names none.
pub fn data_dir() -> Option<PathBuf> {
    imp::data_dir()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_os_version_is_known_and_starts_with_a_number() {
        let version = super::os_version().expect("no OS version");
        assert!(
            version.starts_with(|c: char| c.is_ascii_digit()),
            "{version:?}"
        );
    }

    use super::*;

    #[test]
    fn primary_ipv4_is_never_loopback() {
        if let Some(ip) = primary_ipv4() {
            assert!(!ip.is_loopback());
        }
    }

    #[test]
    fn utc_offset_is_within_a_day() {
        let offset = utc_offset_seconds(1_700_000_000).unwrap();
        assert!(offset.abs() <= 14 * 3600);
    }

    #[test]
    fn a_second_lock_on_one_file_is_refused_until_the_first_is_closed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("locked");
        let first = open_regular_file(&path, true).unwrap();
        assert!(matches!(
            try_lock_exclusive(&first).unwrap(),
            LockOutcome::Locked
        ));
        let second = open_regular_file(&path, false).unwrap();
        assert!(matches!(
            try_lock_exclusive(&second).unwrap(),
            LockOutcome::Busy
        ));
        assert_eq!(identity(&first).unwrap(), identity(&second).unwrap());
        drop(first);
        assert!(matches!(
            try_lock_exclusive(&second).unwrap(),
            LockOutcome::Locked
        ));
    }
}
