//! A forked child may create a tracker of its own at any moment (the header promises
//! it; pre-forking servers and Python's `multiprocessing` fork whenever they like).
//! The child has only the thread that called fork(): a lock that another thread of
//! the parent held at that moment stays locked in the child forever, and the child's
//! `hamustro_tracker_new` used to hang on the handle registry's lock.
//!
//! So the thread that forks takes every process-wide lock a child's calls can need
//! just before the fork (`pthread_atfork`'s prepare handler), and releases them just
//! after, in the parent and in the child, where it is the same thread that took them:
//! each lock is then free in the child and no other thread can be inside what it
//! guards. A child-side reset of the globals is not possible here: std's locks cannot
//! be re-initialised in place, and SQLite's static mutexes belong to SQLite.
//!
//! What the child's path takes, and so what is held across a fork:
//! - the registries of configurations and trackers (`registry.rs`), the log sink
//!   (`log.rs`) and the set of held database files (`tracker/files.rs`): every
//!   process-wide lock of the library; none is ever taken while another is held, so
//!   any fixed order is free of deadlock, and the prepare handler takes them first;
//! - SQLite's static mutexes, which opening a database and every allocation of
//!   SQLite's take (MAIN, OPEN, VFS1, LRU, PMEM, PRNG, MEM): a parent thread inside
//!   `sqlite3_malloc` at the fork left MEM locked for good. They are taken after the
//!   library's (SQLite never calls back into the library while holding one), in the
//!   order SQLite itself nests them: PRNG first (seeding the generator takes MAIN
//!   inside PRNG; it is seeded before the handlers are registered, but the order is
//!   kept so that no two paths ever take a pair both ways, which ThreadSanitizer
//!   reported), then MAIN, the only other one held while another is taken, and MEM
//!   last (SQLite holds it around `malloc` alone).
//! - The `Once`s and lazily made globals on the path (the panic hook, the fork
//!   counter, the registries, SQLite's initialisation) are completed before the
//!   handlers are registered, so none can be half made at a fork.
//!
//! - std's own registry of threads (the stack-overflow handler's `thread_info` map),
//!   which every `std::thread` takes as it starts and as it ends, is std's and cannot
//!   be held here: the delivery thread and the HTTP client's name lookups are started
//!   with `pthread_create` instead (`platform::OwnThread`, `net::resolver`), so a
//!   child's tracker starts its threads whatever the parent's threads were doing
//!   (before, 1 child in a few hundred never delivered).
//!
//! Not covered: a configuration handle that another thread was changing at the fork
//! (its own lock: a child makes its own configuration, as the bindings do), glibc's
//! `localtime_r` lock (held for microseconds about once a second per tracking thread;
//! glibc does not reset it), and the Rust API used without any C call (the handlers
//! are registered by the first `hamustro_*` call). malloc is glibc's, which is
//! fork-safe.

use std::any::Any;
use std::cell::RefCell;
use std::ffi::c_int;
use std::sync::Once;

use rusqlite::ffi as sqlite;

use super::registry::{CONFIGS, TRACKERS};
use crate::platform;
use crate::quiet_panics;

/// SQLite's static mutexes that its open and allocation paths take, in the order
/// SQLite nests them (see above).
const SQLITE_MUTEXES: [c_int; 7] = [
    sqlite::SQLITE_MUTEX_STATIC_PRNG,
    sqlite::SQLITE_MUTEX_STATIC_MAIN,
    sqlite::SQLITE_MUTEX_STATIC_OPEN,
    sqlite::SQLITE_MUTEX_STATIC_VFS1,
    sqlite::SQLITE_MUTEX_STATIC_LRU,
    sqlite::SQLITE_MUTEX_STATIC_PMEM,
    sqlite::SQLITE_MUTEX_STATIC_MEM,
];

/// What the forking thread holds between the prepare handler and the parent's or
/// child's: the library's lock guards, and whether it entered SQLite's mutexes.
struct Held {
    guards: Vec<Box<dyn Any>>,
    sqlite: bool,
}

thread_local! {
    static HELD: RefCell<Held> = const { RefCell::new(Held { guards: Vec::new(), sqlite: false }) };
}

static WATCH: Once = Once::new();

/// Registers the fork handlers, once per process; called by every C entry point
/// (after the first call, one atomic load).
pub(super) fn watch() {
    WATCH.call_once(|| {
        quiet_panics::install();
        platform::fork_generation();
        std::sync::LazyLock::force(&CONFIGS);
        std::sync::LazyLock::force(&TRACKERS);
        drop(crate::files::lock_for_fork());
        // Before anything of SQLite's runs on this path: installing the guard writes the
        // VFS's system-call table, which a concurrent SQLite call would read (TSan).
        platform::guard_sqlite_opens();
        // SAFETY: sqlite3_initialize may be called any number of times from any
        // thread; sqlite3_randomness writes one byte into the buffer it is given.
        unsafe {
            sqlite::sqlite3_initialize();
            let mut seed = 0u8;
            sqlite::sqlite3_randomness(1, (&raw mut seed).cast());
        }
        // Without the handlers (ENOMEM) a fork is as before: nothing else to do.
        let _ = platform::on_fork(prepare, release, release);
    });
}

extern "C" fn prepare() {
    let _ = HELD.try_with(|held| {
        let Ok(mut held) = held.try_borrow_mut() else {
            return;
        };
        held.guards.push(Box::new(CONFIGS.lock_for_fork()));
        held.guards.push(Box::new(TRACKERS.lock_for_fork()));
        held.guards.push(Box::new(crate::log::lock_for_fork()));
        held.guards.push(Box::new(crate::files::lock_for_fork()));
        for id in SQLITE_MUTEXES {
            // SAFETY: a static mutex of an initialised SQLite (`watch`) is never
            // freed; this thread holds none of them (it is not inside SQLite, which
            // calls nothing of the library's), so entering cannot deadlock on itself.
            unsafe { sqlite::sqlite3_mutex_enter(sqlite::sqlite3_mutex_alloc(id)) };
        }
        held.sqlite = true;
    });
}

/// The parent's and the child's handler alike: in the child the thread is the one
/// that took the locks, so releasing them is an ordinary unlock.
extern "C" fn release() {
    let _ = HELD.try_with(|held| {
        let Ok(mut held) = held.try_borrow_mut() else {
            return;
        };
        if std::mem::take(&mut held.sqlite) {
            for id in SQLITE_MUTEXES.into_iter().rev() {
                // SAFETY: entered by this thread in `prepare`, in this process or,
                // in the child, in the parent it is a copy of.
                unsafe { sqlite::sqlite3_mutex_leave(sqlite::sqlite3_mutex_alloc(id)) };
            }
        }
        while let Some(guard) = held.guards.pop() {
            drop(guard);
        }
    });
}
