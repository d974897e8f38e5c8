//! Every file SQLite opens goes through the checks of `platform::open_companion`, at
//! the moment it opens it: SQLite's Windows VFS lets a program replace the
//! `CreateFileW` it calls (`xSetSystemCall`), and this module's `guarded_create_file`
//! does. Why at the open and not only before it: see the Unix side
//! (`platform/unix/sqlite_opens.rs`); SQLite creates its WAL, its index and rollback
//! journals when it needs them, and a check before leaves a moment to swap a name in.
//!
//! Not compiled on the development machine (no Windows target there); the Windows
//! suite under Wine builds and runs it.

use std::cell::RefCell;
use std::sync::Once;

use windows_sys::Win32::Foundation::{
    CloseHandle, GetLastError, SetLastError, ERROR_ACCESS_DENIED, ERROR_FILE_EXISTS,
    ERROR_FILE_NOT_FOUND, HANDLE, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Security::SECURITY_ATTRIBUTES;
use windows_sys::Win32::Storage::FileSystem::{
    CreateFileW, GetFileInformationByHandle, BY_HANDLE_FILE_INFORMATION, CREATE_NEW,
    FILE_FLAG_OPEN_REPARSE_POINT, OPEN_ALWAYS, OPEN_EXISTING,
};

use super::super::refusal;
use super::facts;

thread_local! {
    /// The last open refused on this thread: the path and why.
    static REFUSED: RefCell<Option<String>> = const { RefCell::new(None) };
}

pub(in crate::platform) fn take_refused_sqlite_open() -> Option<String> {
    REFUSED.with(|refused| refused.borrow_mut().take())
}

type CreateFile = unsafe extern "system" fn(
    *const u16,
    u32,
    u32,
    *const SECURITY_ATTRIBUTES,
    u32,
    u32,
    HANDLE,
) -> HANDLE;

pub(in crate::platform) fn guard_sqlite_opens() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let create: CreateFile = guarded_create_file;
        // SAFETY: sqlite3_vfs_find returns the registered default VFS (initialising
        // SQLite first) or NULL. Version 3 VFSes have xSetSystemCall, which stores the
        // pointer in the Windows VFS's system-call table; SQLite calls it with
        // `CreateFileW`'s signature, which `guarded_create_file` has.
        unsafe {
            let vfs = rusqlite::ffi::sqlite3_vfs_find(std::ptr::null());
            if vfs.is_null() || (*vfs).iVersion < 3 {
                return;
            }
            if let Some(set) = (*vfs).xSetSystemCall {
                let pointer: unsafe extern "C" fn() = std::mem::transmute::<CreateFile, _>(create);
                set(vfs, c"CreateFileW".as_ptr(), Some(pointer));
            }
        }
    });
}

/// SQLite's own companions of a database (UTF-16 name): the rules for a file of the
/// library's own apply to them; the database itself may have other names.
fn is_companion(name: &[u16]) -> bool {
    let text = String::from_utf16_lossy(name);
    ["-wal", "-shm", "-journal"]
        .iter()
        .any(|suffix| text.ends_with(suffix))
}

/// `CreateFileW` as SQLite asked for it, but opening a reparse point as itself
/// (`FILE_FLAG_OPEN_REPARSE_POINT`, then refused), creating only with `CREATE_NEW`,
/// and keeping only a regular file (with one name, for a companion).
unsafe extern "system" fn guarded_create_file(
    name: *const u16,
    access: u32,
    share: u32,
    security: *const SECURITY_ATTRIBUTES,
    disposition: u32,
    flags: u32,
    template: HANDLE,
) -> HANDLE {
    // SAFETY: `name` is SQLite's NUL-terminated UTF-16 name for the duration of the
    // call; the other arguments are passed on as SQLite gave them.
    let wide = unsafe {
        let mut len = 0;
        while *name.add(len) != 0 {
            len += 1;
        }
        std::slice::from_raw_parts(name, len)
    };
    let open = |disposition: u32| {
        // SAFETY: as above.
        unsafe {
            CreateFileW(
                name,
                access,
                share,
                security,
                disposition,
                flags | FILE_FLAG_OPEN_REPARSE_POINT,
                template,
            )
        }
    };
    let mut handle = INVALID_HANDLE_VALUE;
    for _ in 0..8 {
        if disposition != OPEN_ALWAYS {
            handle = open(disposition);
            break;
        }
        handle = open(OPEN_EXISTING);
        // SAFETY: reads this thread's last error, set by the call just made.
        if handle != INVALID_HANDLE_VALUE || unsafe { GetLastError() } != ERROR_FILE_NOT_FOUND {
            break;
        }
        handle = open(CREATE_NEW);
        // SAFETY: as above.
        if handle != INVALID_HANDLE_VALUE || unsafe { GetLastError() } != ERROR_FILE_EXISTS {
            break;
        }
    }
    if handle == INVALID_HANDLE_VALUE {
        return handle;
    }
    // SAFETY: the handle was just opened here; the struct is plain data the call fills.
    let mut info: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: as above: an open handle, and `info` is a live local.
    let why = if unsafe { GetFileInformationByHandle(handle, &raw mut info) } == 0 {
        Some("cannot be examined".to_string())
    } else {
        let facts = facts(&info);
        match facts.found {
            super::super::Found::Regular if !is_companion(wide) => None,
            _ => refusal(&facts),
        }
    };
    let Some(why) = why else {
        return handle;
    };
    REFUSED.with(|refused| {
        *refused.borrow_mut() = Some(format!("{} {why}", String::from_utf16_lossy(wide)));
    });
    // SAFETY: the handle was opened here and is closed once; the last error is this
    // thread's, for SQLite to read.
    unsafe {
        CloseHandle(handle);
        SetLastError(ERROR_ACCESS_DENIED);
    }
    INVALID_HANDLE_VALUE
}
