//! The library's Rust allocations: the system allocator, with a quiet abort when the
//! system has no memory to give.
//!
//! When an allocation fails, Rust's handler prints "memory allocation of N bytes
//! failed" on stderr and aborts; a library must never print ("Output" in docs/c-api.md),
//! and a stable program cannot replace that handler (`set_alloc_error_hook` is
//! unstable). The global allocator runs before it: on a null it aborts at once,
//! silently, unless the allocation was asked for inside `fallible` (a `try_reserve`
//! the caller turns into `HAMUSTRO_STATUS_OUT_OF_RESOURCES`), where the null is
//! returned. The abort is `std::process::abort`: `SIGABRT` (Unix), a fast-fail
//! (Windows), no output.
//!
//! It applies to the allocations of the binary hamustro is built into: the cdylib's
//! and staticlib's own Rust code (the app's C, C++, Swift or Python allocations are
//! the app's), or a whole Rust program that uses the crate. A Rust program with a
//! global allocator of its own turns the default feature `quiet-alloc-failure` off.
//! The cost is a null check after each allocation and, on a null only, one
//! thread-local read.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

pub struct QuietAbortOnFailure;

#[cfg(feature = "quiet-alloc-failure")]
#[global_allocator]
static ALLOCATOR: QuietAbortOnFailure = QuietAbortOnFailure;

thread_local! {
    /// How many `fallible` scopes this thread is in. Const and without a destructor:
    /// reading it never allocates.
    static FALLIBLE: Cell<u32> = const { Cell::new(0) };
}

/// Runs `f` with a failed allocation returned to it as a null (for `try_reserve`)
/// instead of aborting. Only `try_reserve`-like calls belong inside: any other
/// allocation that fails in here reaches Rust's handler, which prints.
pub fn fallible<T>(f: impl FnOnce() -> T) -> T {
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            let _ = FALLIBLE.try_with(|depth| depth.set(depth.get().saturating_sub(1)));
        }
    }
    let _ = FALLIBLE.try_with(|depth| depth.set(depth.get() + 1));
    let _leave = Leave;
    f()
}

fn checked(pointer: *mut u8) -> *mut u8 {
    if pointer.is_null() && FALLIBLE.try_with(Cell::get).unwrap_or(0) == 0 {
        std::process::abort();
    }
    pointer
}

// SAFETY: every call is forwarded to the system allocator with the caller's
// arguments, whose contract is the same; only a null result is looked at.
unsafe impl GlobalAlloc for QuietAbortOnFailure {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded (see above).
        checked(unsafe { System.alloc(layout) })
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded (see above).
        checked(unsafe { System.alloc_zeroed(layout) })
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded (see above).
        checked(unsafe { System.realloc(pointer, layout, new_size) })
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: forwarded (see above).
        unsafe { System.dealloc(pointer, layout) }
    }
}
