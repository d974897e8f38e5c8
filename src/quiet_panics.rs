//! A panic inside the library is a bug reported through the library's own channels (a
//! status, the last error, the log sink), never printed on the app's stderr. Rust's
//! default panic hook prints every panic, caught or not, so the library installs a
//! hook that stays silent for panics on its own code paths and hands every other
//! panic to the hook that was there before.

use std::cell::Cell;
use std::sync::Once;

thread_local! {
    /// How many library frames (C API calls, the delivery thread) this thread is in.
    /// A const-initialised `Cell` of plain data: it needs no destructor, so a first
    /// call from a thread-exit destructor leaves nothing behind.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

static INSTALL: Once = Once::new();

/// Installs the hook once per process.
pub(crate) fn install() {
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if DEPTH.try_with(Cell::get).unwrap_or(0) == 0 {
                previous(info);
            }
        }));
    });
}

/// Marks the current thread as running library code until dropped.
pub(crate) struct InLibrary(());

impl InLibrary {
    pub(crate) fn enter() -> InLibrary {
        install();
        let _ = DEPTH.try_with(|depth| depth.set(depth.get() + 1));
        InLibrary(())
    }
}

impl Drop for InLibrary {
    fn drop(&mut self) {
        let _ = DEPTH.try_with(|depth| depth.set(depth.get().saturating_sub(1)));
    }
}
