//! The Unix side of `platform`: modes, non-blocking opens, device and inode, flock.

use std::fs::{DirBuilder, File, Metadata, OpenOptions};
use std::io;
use std::net::Ipv4Addr;
use std::os::unix::fs::OpenOptionsExt as _;
use std::os::unix::fs::{DirBuilderExt as _, FileTypeExt as _, MetadataExt as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

mod sqlite_opens;

pub(super) use sqlite_opens::{guard_sqlite_opens, take_refused_sqlite_open};

use super::{Facts, FileIdentity, Found, LockOutcome};

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

pub(super) fn identity_of_file(file: &File) -> io::Result<(u64, u64)> {
    let metadata = file.metadata()?;
    Ok((metadata.dev(), metadata.ino()))
}

/// stat(2), following symlinks: no descriptor is opened (closing one would drop
/// SQLite's fcntl locks on the file).
pub(super) fn identity_of_path(path: &Path) -> io::Result<(u64, u64)> {
    let metadata = std::fs::metadata(path)?;
    Ok((metadata.dev(), metadata.ino()))
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

pub(super) fn unlock(file: &File) {
    // Unlocking an unlocked file is no error, and a failure leaves what close does.
    let _ = file.unlock();
}

pub(super) fn create_private_dir(path: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(path)
}

pub(super) fn write_all_at(file: &File, bytes: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, offset)
}

pub(super) fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buffer, offset)
}

pub(super) fn file_size(file: &File) -> io::Result<u64> {
    use std::os::fd::AsRawFd as _;
    // SAFETY: the descriptor is open for the borrow of `file`; lseek touches only its
    // file position.
    let end = unsafe { libc::lseek(file.as_raw_fd(), 0, libc::SEEK_END) };
    u64::try_from(end).map_err(|_| io::Error::last_os_error())
}

#[cfg(not(target_vendor = "apple"))]
pub(super) fn preallocate(file: &File, len: u64) -> io::Result<()> {
    use std::os::fd::AsRawFd as _;
    let len = libc::off_t::try_from(len)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "file too large"))?;
    loop {
        // SAFETY: the descriptor is open for the borrow of `file`; posix_fallocate
        // returns an error number instead of setting errno.
        match unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len) } {
            0 => return Ok(()),
            libc::EINTR => {}
            error => return Err(io::Error::from_raw_os_error(error)),
        }
    }
}

/// `F_PREALLOCATE` reserves blocks from the file's physical end; `ftruncate` then
/// makes them its bytes. Contiguous first, any blocks when that fails.
#[cfg(target_vendor = "apple")]
pub(super) fn preallocate(file: &File, len: u64) -> io::Result<()> {
    use std::os::fd::AsRawFd as _;
    let length = libc::off_t::try_from(len)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "file too large"))?;
    for flags in [
        libc::F_ALLOCATECONTIG | libc::F_ALLOCATEALL,
        libc::F_ALLOCATEALL,
    ] {
        let mut store = libc::fstore_t {
            fst_flags: flags,
            fst_posmode: libc::F_PEOFPOSMODE,
            fst_offset: 0,
            fst_length: length,
            fst_bytesalloc: 0,
        };
        // SAFETY: the descriptor is open for the borrow of `file`; F_PREALLOCATE reads
        // and updates the fstore_t, which lives on this frame for the call.
        if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_PREALLOCATE, &raw mut store) } != -1 {
            return file.set_len(len);
        }
    }
    Err(io::Error::last_os_error())
}

fn facts(metadata: &Metadata) -> Facts {
    let kind = metadata.file_type();
    let found = if kind.is_symlink() {
        Found::Link
    } else if kind.is_dir() {
        Found::Directory
    } else if kind.is_file() {
        Found::Regular
    } else {
        Found::Special(special_file_kind(metadata))
    };
    // SAFETY: geteuid has no preconditions and cannot fail.
    let user = unsafe { libc::geteuid() };
    Facts {
        found,
        links: metadata.nlink(),
        ours: metadata.uid() == user,
        identity: FileIdentity {
            device: metadata.dev(),
            inode: metadata.ino(),
        },
    }
}

/// lstat(2): the name itself, a link not followed, nothing opened.
pub(super) fn companion_facts_of_path(path: &Path) -> io::Result<Option<Facts>> {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) => Ok(Some(facts(&metadata))),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

pub(super) fn companion_facts_of_file(file: &File) -> io::Result<Facts> {
    Ok(facts(&file.metadata()?))
}

/// How a file beside the database is opened: read and write, `O_NOFOLLOW |
/// O_NONBLOCK` (a link or a FIFO fails or returns at once), owner-only when created.
pub(super) fn companion_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options
        .read(true)
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY);
    options
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

pub(super) fn on_fork(
    prepare: extern "C" fn(),
    parent: extern "C" fn(),
    child: extern "C" fn(),
) -> io::Result<()> {
    // SAFETY: pthread_atfork copies the three pointers, plain functions that live as
    // long as the process; it has no other precondition.
    match unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) } {
        0 => Ok(()),
        error => Err(io::Error::from_raw_os_error(error)),
    }
}

/// getifaddrs(3): the first interface that is up, running and not loopback, in the
/// order the kernel lists them.
pub(super) fn primary_ipv4() -> Option<Ipv4Addr> {
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs writes a list head we own until freeifaddrs; on failure it
    // returns -1 and we read nothing.
    if unsafe { libc::getifaddrs(&raw mut list) } != 0 {
        return None;
    }
    let mut found = None;
    let mut cursor = list;
    while !cursor.is_null() {
        // SAFETY: cursor is a node of the list returned above, not yet freed.
        let entry = unsafe { &*cursor };
        cursor = entry.ifa_next;
        let flags = entry.ifa_flags as libc::c_int;
        let usable = flags & libc::IFF_UP != 0
            && flags & libc::IFF_RUNNING != 0
            && flags & libc::IFF_LOOPBACK == 0;
        if !usable || entry.ifa_addr.is_null() {
            continue;
        }
        // SAFETY: ifa_addr is non-null and points to a sockaddr whose family we check
        // before reading it as the larger sockaddr_in.
        let family = i32::from(unsafe { (*entry.ifa_addr).sa_family });
        if family != libc::AF_INET {
            continue;
        }
        // SAFETY: an AF_INET address is a whole sockaddr_in; read as a copy, so its
        // alignment does not matter.
        let address = unsafe { entry.ifa_addr.cast::<libc::sockaddr_in>().read_unaligned() };
        found = Some(Ipv4Addr::from(u32::from_be(address.sin_addr.s_addr)));
        break;
    }
    // SAFETY: list came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(list) };
    found
}

/// `localtime_r(3)`'s `tm_gmtoff`.
pub(super) fn utc_offset_seconds(epoch_seconds: i64) -> Option<i64> {
    let time = epoch_seconds as libc::time_t;
    // SAFETY: tm is plain data that localtime_r fills; both pointers are valid for the
    // call and localtime_r (unlike localtime) uses no shared buffer.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: as above: `time` and `tm` are live locals.
    let result = unsafe { libc::localtime_r(&raw const time, &raw mut tm) };
    if result.is_null() {
        None
    } else {
        Some(tm.tm_gmtoff as i64)
    }
}

/// Unix devices are files like any other: what they are shows in their metadata.
pub(super) fn names_a_device(_path: &Path) -> bool {
    false
}

pub(super) fn canonical_path(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The product version on Apple platforms (`kern.osproductversion`: the Darwin kernel's
/// release, which `uname` gives, is not what users know); the kernel release elsewhere.
pub(super) fn os_version() -> Option<String> {
    #[cfg(target_vendor = "apple")]
    if let Some(version) = sysctl_text(c"kern.osproductversion") {
        return Some(version);
    }
    // SAFETY: utsname is plain data (arrays of c_char) that uname fills.
    let mut name: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `name` is a valid, writable utsname.
    if unsafe { libc::uname(&raw mut name) } != 0 {
        return None;
    }
    // SAFETY: uname NUL-terminates each field within its array.
    let release = unsafe { std::ffi::CStr::from_ptr(name.release.as_ptr()) };
    Some(release.to_string_lossy().into_owned())
}

#[cfg(target_vendor = "apple")]
fn sysctl_text(name: &std::ffi::CStr) -> Option<String> {
    let mut buffer = [0u8; 128];
    let mut len = buffer.len();
    // SAFETY: the buffer holds `len` bytes; sysctlbyname writes at most that and sets
    // `len` to what it wrote; no new value is given.
    let status = unsafe {
        libc::sysctlbyname(
            name.as_ptr(),
            buffer.as_mut_ptr().cast(),
            &mut len,
            std::ptr::null_mut(),
            0,
        )
    };
    if status != 0 {
        return None;
    }
    let text = std::ffi::CStr::from_bytes_until_nul(&buffer[..len.min(buffer.len())]).ok()?;
    Some(text.to_string_lossy().into_owned())
}

/// The POSIX locale for messages: `LC_ALL`, `LC_MESSAGES`, then `LANG`.
pub(super) fn locale_name() -> String {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.is_empty())
        .unwrap_or_default()
}

/// `~/Library/Application Support` on Apple platforms; elsewhere `$XDG_DATA_HOME`
/// (when absolute) or `~/.local/share`.
pub(super) fn data_dir() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if cfg!(target_vendor = "apple") {
        return home.map(|h| h.join("Library").join("Application Support"));
    }
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| home.map(|h| h.join(".local").join("share")))
}
