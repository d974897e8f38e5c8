//! The Windows side of `platform`: Win32 calls through `windows-sys`.
//!
//! Files are opened with std's default sharing (read, write and delete), so the
//! journal can be reset and a damaged database renamed while other handles are open.
//! Windows has no file modes: the queue is private to the user because it lives in
//! the user's `%LOCALAPPDATA%`, whose inherited access list admits only the user,
//! the administrators and the system.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::net::Ipv4Addr;
use std::os::windows::fs::{FileExt as _, OpenOptionsExt as _};
use std::os::windows::io::AsRawHandle as _;
use std::path::{Path, PathBuf};

use windows_sys::Wdk::System::SystemServices::RtlGetVersion;
use windows_sys::Win32::Foundation::{
    ERROR_BUFFER_OVERFLOW, ERROR_LOCK_VIOLATION, ERROR_SUCCESS, FILETIME, HANDLE, SYSTEMTIME,
};
use windows_sys::Win32::Globalization::GetUserDefaultLocaleName;
use windows_sys::Win32::NetworkManagement::IpHelper::{
    GetAdaptersAddresses, GAA_FLAG_SKIP_ANYCAST, GAA_FLAG_SKIP_DNS_SERVER,
    GAA_FLAG_SKIP_FRIENDLY_NAME, GAA_FLAG_SKIP_MULTICAST, IF_TYPE_SOFTWARE_LOOPBACK,
    IP_ADAPTER_ADDRESSES_LH,
};
use windows_sys::Win32::NetworkManagement::Ndis::IfOperStatusUp;
use windows_sys::Win32::Networking::WinSock::{AF_INET, SOCKADDR_IN};
use windows_sys::Win32::Storage::FileSystem::{
    GetFileInformationByHandle, GetFileSizeEx, LockFileEx, BY_HANDLE_FILE_INFORMATION,
    FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_REPARSE_POINT, FILE_FLAG_BACKUP_SEMANTICS,
    FILE_FLAG_OPEN_REPARSE_POINT, FILE_SHARE_DELETE, FILE_SHARE_READ, FILE_SHARE_WRITE,
    LOCKFILE_EXCLUSIVE_LOCK, LOCKFILE_FAIL_IMMEDIATELY,
};
use windows_sys::Win32::System::SystemInformation::OSVERSIONINFOW;
use windows_sys::Win32::System::Time::{
    FileTimeToSystemTime, SystemTimeToFileTime, SystemTimeToTzSpecificLocalTime,
};
use windows_sys::Win32::System::IO::OVERLAPPED;

mod sqlite_opens;

pub(super) use sqlite_opens::{guard_sqlite_opens, take_refused_sqlite_open};

use super::{Facts, FileIdentity, Found, LockOutcome};

pub(super) fn open_nonblocking(path: &Path, create: bool) -> io::Result<File> {
    // Opening never blocks on Windows: named pipes are not files in the file system.
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(create)
        .truncate(false)
        .open(path)
}

/// A name in the Win32 device namespace (`\\.\NUL`, `\\?\GLOBALROOT\…`; a `\\?\`
/// path to a drive or a share is an ordinary file name) or whose last component is a
/// reserved DOS device name (`NUL`, `CON`, `COM1.log`, `lpt2 .txt`), which reaches the
/// device whatever the directory.
pub(super) fn names_a_device(path: &Path) -> bool {
    let text = path.to_string_lossy();
    if let Some(rest) = text
        .strip_prefix(r"\\.\")
        .or_else(|| text.strip_prefix("//./"))
    {
        return !rest.is_empty();
    }
    if let Some(rest) = text.strip_prefix(r"\\?\") {
        let drive = rest.as_bytes().get(1) == Some(&b':');
        let share = rest
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case(r"UNC\"));
        if !drive && !share {
            return true;
        }
    }
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    // The device is named by what comes before the first dot, trailing spaces ignored.
    let stem = name.split('.').next().unwrap_or("").trim_end_matches(' ');
    let upper = stem.to_ascii_uppercase();
    let numbered = |prefix: &str| {
        upper
            .strip_prefix(prefix)
            .is_some_and(|n| n.len() == 1 && n.as_bytes()[0].is_ascii_digit())
    };
    matches!(
        upper.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) || numbered("COM")
        || numbered("LPT")
}

pub(super) fn special_file_kind(_metadata: &Metadata) -> &'static str {
    "a device or another special file"
}

fn file_information(file: &File) -> io::Result<BY_HANDLE_FILE_INFORMATION> {
    // SAFETY: the handle is open for the borrow of `file`; the struct is plain data
    // that the call fills.
    let mut info: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: as above: an open handle, and `info` is a live local.
    if unsafe { GetFileInformationByHandle(file.as_raw_handle() as HANDLE, &raw mut info) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(info)
}

/// The volume serial number and the file index: what names one file on a volume.
pub(super) fn identity_of_file(file: &File) -> io::Result<(u64, u64)> {
    let info = file_information(file)?;
    let index = (u64::from(info.nFileIndexHigh) << 32) | u64::from(info.nFileIndexLow);
    Ok((u64::from(info.dwVolumeSerialNumber), index))
}

/// The identity of the file at `path`, through a handle that only reads attributes.
pub(super) fn identity_of_path(path: &Path) -> io::Result<(u64, u64)> {
    let file = OpenOptions::new().read(true).open(path)?;
    identity_of_file(&file)
}

/// Where the lock sits: far beyond any byte SQLite reads, writes or locks (its own
/// locks are near 1 GiB), because a Windows byte-range lock is enforced on every
/// other handle's reads and writes of that range.
const LOCK_OFFSET: u64 = 0x7fff_ffff_0000_0000;

/// `LockFileEx` on one byte at `LOCK_OFFSET`; released when the handle closes.
pub(super) fn try_lock_exclusive(file: &File) -> io::Result<LockOutcome> {
    // SAFETY: OVERLAPPED is plain data; the offset fields are its anonymous union.
    let mut overlapped: OVERLAPPED = unsafe { std::mem::zeroed() };
    overlapped.Anonymous.Anonymous.Offset = LOCK_OFFSET as u32;
    overlapped.Anonymous.Anonymous.OffsetHigh = (LOCK_OFFSET >> 32) as u32;
    // SAFETY: the handle is open for the borrow of `file`; with
    // LOCKFILE_FAIL_IMMEDIATELY the call completes before it returns, so the
    // OVERLAPPED on this stack frame outlives it.
    let locked = unsafe {
        LockFileEx(
            file.as_raw_handle() as HANDLE,
            LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY,
            0,
            1,
            0,
            &raw mut overlapped,
        )
    };
    if locked != 0 {
        return Ok(LockOutcome::Locked);
    }
    let error = io::Error::last_os_error();
    if error.raw_os_error() == Some(ERROR_LOCK_VIOLATION as i32) {
        Ok(LockOutcome::Busy)
    } else {
        Err(error)
    }
}

/// Nothing to do: a child process inherits no handle of ours (std opens them
/// non-inheritable), so closing the handle releases its lock at once.
pub(super) fn unlock(_file: &File) {}

pub(super) fn create_private_dir(path: &Path) -> io::Result<()> {
    std::fs::create_dir_all(path)
}

fn facts(info: &BY_HANDLE_FILE_INFORMATION) -> Facts {
    let found = if info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT != 0 {
        Found::Link
    } else if info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY != 0 {
        Found::Directory
    } else {
        Found::Regular
    };
    let index = (u64::from(info.nFileIndexHigh) << 32) | u64::from(info.nFileIndexLow);
    Facts {
        found,
        links: u64::from(info.nNumberOfLinks),
        // The user's own `%LOCALAPPDATA%` admits only the user, the administrators and
        // the system (see the top of this file); owners are not compared.
        ours: true,
        identity: FileIdentity {
            device: u64::from(info.dwVolumeSerialNumber),
            inode: index,
        },
    }
}

/// The name itself, through a handle that reads attributes only and opens a reparse
/// point (a symbolic link, a junction) rather than what it points to, and a directory
/// as well as a file.
pub(super) fn companion_facts_of_path(path: &Path) -> io::Result<Option<Facts>> {
    let opened = OpenOptions::new()
        .access_mode(0)
        .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS)
        .open(path);
    match opened {
        Ok(file) => Ok(Some(facts(&file_information(&file)?))),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

pub(super) fn companion_facts_of_file(file: &File) -> io::Result<Facts> {
    Ok(facts(&file_information(file)?))
}

/// How a file beside the database is opened: read and write,
/// `FILE_FLAG_OPEN_REPARSE_POINT`, so a link is opened as itself (and then refused).
/// Without `FILE_FLAG_BACKUP_SEMANTICS` a directory does not open at all.
pub(super) fn companion_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options
        .read(true)
        .write(true)
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT);
    options
}

/// `seek_write` until every byte is written. Each call moves the handle's file
/// position, but no other code uses it: the journal's writes are all positioned.
pub(super) fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    match file.seek_read(buffer, offset) {
        // Reading at or past the end is an error on Windows, not 0.
        Err(error) if error.raw_os_error() == Some(38) => Ok(0), // ERROR_HANDLE_EOF
        other => other,
    }
}

pub(super) fn write_all_at(file: &File, mut bytes: &[u8], mut offset: u64) -> io::Result<()> {
    while !bytes.is_empty() {
        match file.seek_write(bytes, offset) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(written) => {
                bytes = &bytes[written..];
                offset += written as u64;
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

pub(super) fn file_size(file: &File) -> io::Result<u64> {
    let mut size = 0i64;
    // SAFETY: the handle is open for the borrow of `file`; the call writes one i64.
    if unsafe { GetFileSizeEx(file.as_raw_handle() as HANDLE, &raw mut size) } == 0 {
        return Err(io::Error::last_os_error());
    }
    u64::try_from(size).map_err(|_| io::Error::other("negative file size"))
}

/// `SetEndOfFile`, then zeros written over the new bytes: NTFS allocates a
/// non-sparse file's clusters at `SetEndOfFile` already, and the writes make sure of
/// it on any file system (and move the valid data length, so that no store through a
/// mapping waits for the system to zero-fill behind it). `SetFileValidData` would
/// skip the zeros but needs a privilege apps do not have, and exposes stale disk data.
pub(super) fn preallocate(file: &File, len: u64) -> io::Result<()> {
    file.set_len(len)?;
    super::write_zeros(file, 0..len)
}

/// Windows has no fork.
pub(super) fn fork_generation() -> u64 {
    0
}

/// Windows has no fork: nothing to prepare for. (The Unix signature, so that the
/// caller is one.)
#[allow(clippy::unnecessary_wraps)]
pub(super) fn on_fork(
    _prepare: extern "C" fn(),
    _parent: extern "C" fn(),
    _child: extern "C" fn(),
) -> io::Result<()> {
    Ok(())
}

/// `GetAdaptersAddresses`: the first adapter that is up and not loopback, with an IPv4
/// unicast address.
pub(super) fn primary_ipv4() -> Option<Ipv4Addr> {
    let flags = GAA_FLAG_SKIP_ANYCAST
        | GAA_FLAG_SKIP_MULTICAST
        | GAA_FLAG_SKIP_DNS_SERVER
        | GAA_FLAG_SKIP_FRIENDLY_NAME;
    // u64 elements: the list's structs need 8-byte alignment.
    let mut buffer: Vec<u64> = vec![0; 2048];
    let mut size = (buffer.len() * 8) as u32;
    for _ in 0..3 {
        // SAFETY: `buffer` has `size` writable bytes, suitably aligned; the call writes
        // the list into it or the size it needs.
        let result = unsafe {
            GetAdaptersAddresses(
                u32::from(AF_INET),
                flags,
                std::ptr::null(),
                buffer.as_mut_ptr().cast(),
                &raw mut size,
            )
        };
        if result == ERROR_BUFFER_OVERFLOW {
            buffer = vec![0; (size as usize).div_ceil(8)];
            continue;
        }
        if result != ERROR_SUCCESS {
            return None;
        }
        let mut adapter = buffer.as_ptr().cast::<IP_ADAPTER_ADDRESSES_LH>();
        while !adapter.is_null() {
            // SAFETY: a node of the list the call wrote into `buffer`, alive here.
            let entry = unsafe { &*adapter };
            adapter = entry.Next;
            if entry.OperStatus != IfOperStatusUp || entry.IfType == IF_TYPE_SOFTWARE_LOOPBACK {
                continue;
            }
            let mut unicast = entry.FirstUnicastAddress;
            while !unicast.is_null() {
                // SAFETY: a node of the adapter's unicast list, inside `buffer`.
                let address = unsafe { &*unicast };
                unicast = address.Next;
                let socket = address.Address.lpSockaddr;
                // SAFETY: non-null and, by its family, a SOCKADDR_IN.
                if socket.is_null() || unsafe { (*socket).sa_family } != AF_INET {
                    continue;
                }
                // SAFETY: a SOCKADDR_IN by its family; read unaligned, since the
                // list only promises SOCKADDR's 2-byte alignment.
                let ipv4 = unsafe { std::ptr::read_unaligned(socket.cast::<SOCKADDR_IN>()) };
                // SAFETY: every view of the IN_ADDR union is the same four bytes.
                let raw = unsafe { ipv4.sin_addr.S_un.S_addr };
                return Some(Ipv4Addr::from(u32::from_be(raw)));
            }
        }
        return None;
    }
    None
}

/// 100 ns intervals between 1601-01-01 (FILETIME's epoch) and 1970-01-01.
const FILETIME_UNIX_EPOCH: i64 = 116_444_736_000_000_000;

fn filetime_ticks(time: FILETIME) -> i64 {
    ((i64::from(time.dwHighDateTime)) << 32) | i64::from(time.dwLowDateTime)
}

/// The local time the user's time zone gives `epoch_seconds` (its DST rules
/// included), minus the UTC time.
pub(super) fn utc_offset_seconds(epoch_seconds: i64) -> Option<i64> {
    let ticks = epoch_seconds
        .checked_mul(10_000_000)?
        .checked_add(FILETIME_UNIX_EPOCH)?;
    let utc_file = FILETIME {
        dwLowDateTime: ticks as u32,
        dwHighDateTime: (ticks >> 32) as u32,
    };
    // SAFETY: plain data structs, each filled by the call it is passed to; NULL time
    // zone information means the current one.
    unsafe {
        let mut utc: SYSTEMTIME = std::mem::zeroed();
        let mut local: SYSTEMTIME = std::mem::zeroed();
        let mut local_file: FILETIME = std::mem::zeroed();
        if FileTimeToSystemTime(&raw const utc_file, &raw mut utc) == 0
            || SystemTimeToTzSpecificLocalTime(std::ptr::null(), &raw const utc, &raw mut local)
                == 0
            || SystemTimeToFileTime(&raw const local, &raw mut local_file) == 0
        {
            return None;
        }
        Some((filetime_ticks(local_file) - ticks) / 10_000_000)
    }
}

/// The file's final name, symlinks and junctions resolved (`canonicalize`), in the
/// ordinary `C:\dir\file` or `\\server\share\file` form rather than the `\\?\`
/// form `canonicalize` gives, which would show in every message; `.` and `..` resolved
/// (`std::path::absolute`) when the file cannot be reached.
pub(super) fn canonical_path(path: &Path) -> PathBuf {
    match std::fs::canonicalize(path) {
        Ok(resolved) => without_verbatim_prefix(resolved),
        Err(_) => std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
    }
}

/// `\\?\C:\x` → `C:\x` and `\\?\UNC\server\share\x` → `\\server\share\x`; any other
/// verbatim path (a device, a volume GUID, a name beyond `MAX_PATH`) stays as it is,
/// since only the verbatim form reaches it.
fn without_verbatim_prefix(path: PathBuf) -> PathBuf {
    let Some(text) = path.to_str() else {
        return path;
    };
    if let Some(rest) = text.strip_prefix(r"\\?\UNC\") {
        return PathBuf::from(format!(r"\\{rest}"));
    }
    match text.strip_prefix(r"\\?\") {
        Some(rest) if rest.as_bytes().get(1) == Some(&b':') && rest.len() <= 260 => {
            PathBuf::from(rest)
        }
        _ => path,
    }
}

/// major.minor.build from `RtlGetVersion`, e.g. "10.0.22631": `GetVersionEx` reports 6.2
/// to any program without a compatibility manifest, and an app's DLL cannot add one.
pub(super) fn os_version() -> Option<String> {
    // SAFETY: OSVERSIONINFOW is plain data; its size field is set before the call.
    let mut info: OSVERSIONINFOW = unsafe { std::mem::zeroed() };
    info.dwOSVersionInfoSize = std::mem::size_of::<OSVERSIONINFOW>() as u32;
    // SAFETY: `info` is a valid OSVERSIONINFOW with its size set.
    if unsafe { RtlGetVersion(&raw mut info) } != 0 {
        return None;
    }
    Some(format!(
        "{}.{}.{}",
        info.dwMajorVersion, info.dwMinorVersion, info.dwBuildNumber
    ))
}

pub(super) fn locale_name() -> String {
    // LOCALE_NAME_MAX_LENGTH is 85.
    let mut name = [0u16; 85];
    // SAFETY: the buffer holds the given number of UTF-16 units.
    let len = unsafe { GetUserDefaultLocaleName(name.as_mut_ptr(), name.len() as i32) };
    if len <= 1 {
        return String::new();
    }
    String::from_utf16_lossy(&name[..len as usize - 1])
}

/// `%LOCALAPPDATA%`: per user, not roaming (a queue of unsent events belongs to this
/// machine).
pub(super) fn data_dir() -> Option<PathBuf> {
    std::env::var_os("LOCALAPPDATA")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_are_recognised_and_ordinary_names_are_not() {
        for device in [
            r"\\.\NUL",
            r"\\.\PhysicalDrive0",
            "//./COM1",
            r"\\?\GLOBALROOT\Device\Null",
            "NUL",
            r"C:\data\con",
            r"C:\data\COM1.log",
            r"D:\lpt2 .txt",
            "CONOUT$",
        ] {
            assert!(names_a_device(Path::new(device)), "{device}");
        }
        for file in [
            r"C:\data\events.db",
            r"\\?\C:\data\events.db",
            r"\\?\UNC\server\share\events.db",
            r"\\server\share\nul.d\events.db",
            r"C:\data\console.db",
            r"C:\data\COM10.db",
            r"C:\data\nully",
        ] {
            assert!(!names_a_device(Path::new(file)), "{file}");
        }
    }

    #[test]
    fn verbatim_paths_get_their_ordinary_form_where_one_exists() {
        let cases = [
            (r"\\?\C:\Users\me\events.db", r"C:\Users\me\events.db"),
            (
                r"\\?\UNC\server\share\events.db",
                r"\\server\share\events.db",
            ),
            (r"\\?\Volume{0b1c}\events.db", r"\\?\Volume{0b1c}\events.db"),
            (r"C:\plain.db", r"C:\plain.db"),
        ];
        for (verbatim, ordinary) in cases {
            assert_eq!(
                without_verbatim_prefix(PathBuf::from(verbatim)),
                PathBuf::from(ordinary)
            );
        }
        let long = format!(r"\\?\C:\{}", "d".repeat(300));
        assert_eq!(
            without_verbatim_prefix(PathBuf::from(&long)),
            PathBuf::from(&long)
        );
    }

    #[test]
    fn the_canonical_path_resolves_dots_and_drops_the_verbatim_prefix() {
        let dir = std::env::temp_dir().join(format!("hamustro-canonical-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let file = dir.join("events.db");
        std::fs::write(&file, b"").unwrap();
        let canonical = canonical_path(&dir.join("sub").join("..").join("events.db"));
        let _ = std::fs::remove_dir_all(&dir);
        let text = canonical.to_str().unwrap().to_owned();
        assert!(!text.starts_with(r"\\?\"), "{text}");
        assert!(!text.contains(".."), "{text}");
        assert!(text.ends_with(r"\events.db"), "{text}");
    }
}
