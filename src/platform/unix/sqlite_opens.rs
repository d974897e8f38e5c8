//! Every file SQLite opens goes through the checks of `platform::open_companion`, at
//! the moment it opens it: SQLite's Unix VFS lets a program replace the `open(2)` it
//! calls (`xSetSystemCall`), and this module's `guarded_open` does.
//!
//! Why at the open and not only before it: SQLite creates its files when it needs
//! them, not when the tracker starts: the WAL and its index on every open, a rollback
//! journal for the database's first transactions, a hot journal read on opening a
//! database. A check made beforehand leaves the moment between the check and SQLite's
//! open, in which a name can be replaced; a check of what the open itself returned
//! (`fstat` of the descriptor, which nothing can swap) leaves none.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, CStr};
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;
use std::sync::Once;

use super::super::{refusal, Found};
use super::companion_facts_of_file;

thread_local! {
    /// The last open refused on this thread: the path and why.
    static REFUSED: RefCell<Option<String>> = const { RefCell::new(None) };
}

pub(in crate::platform) fn take_refused_sqlite_open() -> Option<String> {
    REFUSED.with(|refused| refused.borrow_mut().take())
}

/// SQLite's own companions of a database: the rules for a file of the library's own
/// (one name, this user's) apply to them; the database itself may have other names
/// (it is held by its lock and recognised by its mark).
fn is_companion(name: &[u8]) -> bool {
    [&b"-wal"[..], b"-shm", b"-journal"]
        .iter()
        .any(|suffix| name.ends_with(suffix))
}

pub(in crate::platform) fn guard_sqlite_opens() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        type Open = unsafe extern "C" fn(*const c_char, c_int, c_int) -> c_int;
        let open: Open = guarded_open;
        // SAFETY: sqlite3_vfs_find returns the registered default VFS (initialising
        // SQLite first) or NULL. Version 3 VFSes have xSetSystemCall, which stores the
        // pointer in the Unix VFS's system-call table; SQLite calls it as
        // `int (*)(const char *, int, int)`, the signature of `guarded_open`, through
        // the generic pointer type it declares for the table.
        unsafe {
            let vfs = rusqlite::ffi::sqlite3_vfs_find(std::ptr::null());
            if vfs.is_null() || (*vfs).iVersion < 3 {
                return;
            }
            if let Some(set) = (*vfs).xSetSystemCall {
                let pointer: unsafe extern "C" fn() = std::mem::transmute::<Open, _>(open);
                set(vfs, c"open".as_ptr(), Some(pointer));
            }
        }
    });
}

fn set_errno(value: c_int) {
    // SAFETY: the location of this thread's errno, valid for the thread's life.
    unsafe {
        #[cfg(target_vendor = "apple")]
        {
            *libc::__error() = value;
        }
        #[cfg(not(target_vendor = "apple"))]
        {
            *libc::__errno_location() = value;
        }
    }
}

fn errno() -> c_int {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// `open(2)` as SQLite asked for it, but never following a link (`O_NOFOLLOW`),
/// never blocking (`O_NONBLOCK`, cleared again on what is kept), creating only
/// exclusively (`O_EXCL`), and keeping only a regular file (with one name, this
/// user's, for a companion). Directories and devices are let through only for a
/// read-only open that creates nothing and is not of a companion's name: SQLite
/// opens the database's directory to sync it and `/dev/urandom` to seed itself.
unsafe extern "C" fn guarded_open(path: *const c_char, flags: c_int, mode: c_int) -> c_int {
    let raw_open = |flags: c_int| {
        // SAFETY: `path` is SQLite's NUL-terminated name for the duration of the call.
        unsafe { libc::open(path, flags, mode as libc::c_uint) }
    };
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if flags & libc::O_TMPFILE == libc::O_TMPFILE {
        // A new file without a name, in a directory: nothing to follow or check.
        return raw_open(flags);
    }
    // SAFETY: as above.
    let name = unsafe { CStr::from_ptr(path) };
    let companion = is_companion(name.to_bytes());
    let base = (flags & !(libc::O_CREAT | libc::O_EXCL)) | libc::O_NOFOLLOW | libc::O_NONBLOCK;
    let mut fd = -1;
    for _ in 0..8 {
        if flags & libc::O_EXCL == 0 {
            fd = raw_open(base);
            if fd >= 0 || errno() != libc::ENOENT || flags & libc::O_CREAT == 0 {
                break;
            }
        }
        fd = raw_open(base | libc::O_CREAT | libc::O_EXCL);
        if fd >= 0 || errno() != libc::EEXIST || flags & libc::O_EXCL != 0 {
            break;
        }
    }
    let shown = || {
        Path::new(std::ffi::OsStr::from_bytes(name.to_bytes()))
            .display()
            .to_string()
    };
    if fd < 0 {
        if errno() == libc::ELOOP {
            REFUSED.with(|refused| {
                *refused.borrow_mut() = Some(format!(
                    "{} is a symbolic link (hamustro never follows a link beside its database)",
                    shown()
                ));
            });
        }
        return fd;
    }
    // SAFETY: `fd` was just opened here and is owned by this frame until returned.
    let file = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    let why = match companion_facts_of_file(&file) {
        Err(_) => Some("cannot be examined".to_string()),
        Ok(facts) => match facts.found {
            Found::Directory | Found::Special(_)
                if !companion
                    && flags & libc::O_ACCMODE == libc::O_RDONLY
                    && flags & libc::O_CREAT == 0 =>
            {
                None
            }
            Found::Regular if !companion => None,
            _ => refusal(&facts),
        },
    };
    if let Some(why) = why {
        REFUSED.with(|refused| *refused.borrow_mut() = Some(format!("{} {why}", shown())));
        drop(file);
        set_errno(libc::EACCES);
        return -1;
    }
    let fd = std::os::fd::IntoRawFd::into_raw_fd(file);
    if flags & libc::O_NONBLOCK == 0 {
        // SAFETY: `fd` is open; F_GETFL/F_SETFL change only its status flags.
        unsafe {
            let status = libc::fcntl(fd, libc::F_GETFL);
            if status >= 0 {
                libc::fcntl(fd, libc::F_SETFL, status & !libc::O_NONBLOCK);
            }
        }
    }
    fd
}
