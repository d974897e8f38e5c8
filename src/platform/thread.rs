//! The library's own thread (the delivery thread), started without std's thread
//! start-up on Unix.
//!
//! std's `thread::spawn` registers every new thread, and unregisters it as it ends,
//! in a process-wide map guarded by a mutex (the stack-overflow handler's
//! `thread_info`). A fork taken while another thread of the parent held that mutex,
//! starting or ending a thread, leaves it locked in the child for good: the child's
//! next `thread::spawn` never runs its closure, and a tracker made there never
//! delivers (the fork test caught it: a child's delivery thread waiting on that mutex
//! in `set_current_info`). The mutex is std's, so no `pthread_atfork` handler of ours
//! can take it; a thread made with `pthread_create` never touches it, whatever the
//! parent was doing at the fork. Windows has no fork and keeps std's threads.

use std::io;

/// A started thread, joined with [`OwnThread::join`] or left to end by itself when
/// dropped.
pub struct OwnThread(imp::Handle);

impl OwnThread {
    /// Starts `run` on a new thread called `name` (at most 15 bytes, the limit of
    /// Linux's thread names). A panic in `run` ends the thread quietly, as it would
    /// end a std thread; the library's own code catches its panics before that.
    pub fn spawn(name: &'static str, run: impl FnOnce() + Send + 'static) -> io::Result<Self> {
        imp::spawn(name, Box::new(run)).map(OwnThread)
    }

    /// Waits for the thread to end.
    pub fn join(self) {
        imp::join(self.0);
    }
}

#[cfg(unix)]
mod imp {
    use std::ffi::{c_void, CString};
    use std::io;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    /// Rust's default stack size for a spawned thread.
    const STACK_BYTES: usize = 2 * 1024 * 1024;

    type Work = Box<dyn FnOnce() + Send>;

    /// The thread's id while it may still be joined; detached when dropped unjoined.
    pub struct Handle(Option<libc::pthread_t>);

    struct Start {
        name: CString,
        work: Work,
    }

    pub fn spawn(name: &'static str, work: Work) -> io::Result<Handle> {
        // Linux refuses a longer name; std cuts it the same way.
        let name = &name.as_bytes()[..name.len().min(15)];
        let name = CString::new(name).map_err(|_| io::Error::other("a NUL in a thread name"))?;
        let start = Box::into_raw(Box::new(Start { name, work }));
        // SAFETY: attr is initialised by pthread_attr_init before any other use and
        // destroyed once; `start` is a valid pointer that the new thread alone takes
        // back (or this function, when the thread was not created).
        unsafe {
            let mut attr: libc::pthread_attr_t = std::mem::zeroed();
            let status = libc::pthread_attr_init(&raw mut attr);
            if status != 0 {
                drop(Box::from_raw(start));
                return Err(io::Error::from_raw_os_error(status));
            }
            libc::pthread_attr_setstacksize(&raw mut attr, STACK_BYTES);
            let mut thread: libc::pthread_t = std::mem::zeroed();
            let status = libc::pthread_create(&raw mut thread, &raw const attr, run, start.cast());
            libc::pthread_attr_destroy(&raw mut attr);
            if status != 0 {
                drop(Box::from_raw(start));
                return Err(io::Error::from_raw_os_error(status));
            }
            Ok(Handle(Some(thread)))
        }
    }

    extern "C" fn run(start: *mut c_void) -> *mut c_void {
        // SAFETY: `spawn` passed a pointer from Box::into_raw, which only this thread
        // takes back, once.
        let start = unsafe { Box::from_raw(start.cast::<Start>()) };
        set_name(&start.name);
        // A panic must not unwind out of an `extern "C"` function (that aborts).
        let _ = catch_unwind(AssertUnwindSafe(start.work));
        std::ptr::null_mut()
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn set_name(name: &CString) {
        // SAFETY: a NUL-terminated name of at most 15 bytes, for the calling thread.
        unsafe { libc::pthread_setname_np(libc::pthread_self(), name.as_ptr()) };
    }

    #[cfg(target_vendor = "apple")]
    fn set_name(name: &CString) {
        // SAFETY: a NUL-terminated name; Apple's call names the calling thread.
        unsafe { libc::pthread_setname_np(name.as_ptr()) };
    }

    #[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
    fn set_name(_name: &CString) {}

    pub fn join(mut handle: Handle) {
        if let Some(thread) = handle.0.take() {
            // SAFETY: a thread this module created, joined once and never detached.
            unsafe { libc::pthread_join(thread, std::ptr::null_mut()) };
        }
    }

    impl Drop for Handle {
        fn drop(&mut self) {
            if let Some(thread) = self.0.take() {
                // SAFETY: a thread this module created, neither joined nor detached:
                // its resources go back to the system when it ends.
                unsafe { libc::pthread_detach(thread) };
            }
        }
    }
}

#[cfg(windows)]
mod imp {
    use std::io;
    use std::thread::JoinHandle;

    pub type Handle = JoinHandle<()>;

    pub fn spawn(name: &'static str, work: Box<dyn FnOnce() + Send>) -> io::Result<Handle> {
        std::thread::Builder::new().name(name.into()).spawn(work)
    }

    pub fn join(handle: Handle) {
        let _ = handle.join();
    }
}

#[cfg(test)]
mod tests {
    use super::OwnThread;
    use std::sync::mpsc;

    #[test]
    fn runs_its_work_and_joins() {
        let (sender, receiver) = mpsc::channel();
        let thread = OwnThread::spawn("hamustro-test", move || {
            sender.send(std::thread::current().id()).unwrap();
        })
        .unwrap();
        thread.join();
        let id = receiver.recv().unwrap();
        assert_ne!(id, std::thread::current().id());
    }

    #[test]
    fn a_panic_ends_the_thread_and_join_returns() {
        let thread = OwnThread::spawn("hamustro-test", || panic!("in the work")).unwrap();
        thread.join();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_thread_has_its_name() {
        let (sender, receiver) = mpsc::channel();
        let thread = OwnThread::spawn("hamustro-named", move || {
            let name = std::fs::read_to_string("/proc/thread-self/comm").unwrap();
            sender.send(name).unwrap();
        })
        .unwrap();
        thread.join();
        assert_eq!(receiver.recv().unwrap().trim(), "hamustro-named");
    }
}
