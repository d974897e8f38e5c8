//! The library's log, heard by every test of this binary at once.
//!
//! The sink (`hamustro::log::set_logger`) is process-wide, and the tests of one binary
//! run side by side: one sink is installed for good, at `Debug`, and passes each
//! message to every test listening at that moment. A test listens for as long as it
//! holds a `Listener`; what it hears may include other tests' messages, so it picks its
//! own out (by the database path they name, or by words only its run logs).

use std::path::Path;
use std::sync::{Arc, Mutex, Once, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use hamustro::log::{set_logger, Level, Sink};

use super::WAIT;

/// The listeners of the moment, each with the most verbose level it wants.
static LISTENERS: Mutex<Vec<(u64, Level, Sink)>> = Mutex::new(Vec::new());
/// Listeners hold it shared; a test that installs a sink of its own holds it alone.
static TURN: RwLock<()> = RwLock::new(());

/// Hears the library's messages up to `level` while it lives; holds them, or passes
/// them to a function of the test's own.
pub struct Listener {
    id: u64,
    heard: Arc<Mutex<Vec<String>>>,
    _turn: RwLockReadGuard<'static, ()>,
}

/// Starts hearing every message up to `level`.
pub fn listen(level: Level) -> Listener {
    let heard = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&heard);
    listen_with(
        level,
        Arc::new(move |_, message: &str| {
            keep.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(message.to_owned());
        }),
    )
    .holding(heard)
}

/// Starts passing every message up to `level` to `sink`, which runs as the library's
/// own sink would: on the logging thread, without any library lock held.
pub fn listen_with(level: Level, sink: Sink) -> Listener {
    static NEXT: Mutex<u64> = Mutex::new(0);
    let turn = TURN.read().unwrap_or_else(PoisonError::into_inner);
    install();
    let id = {
        let mut next = NEXT.lock().unwrap();
        *next += 1;
        *next
    };
    LISTENERS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push((id, level, sink));
    Listener {
        id,
        heard: Arc::new(Mutex::new(Vec::new())),
        _turn: turn,
    }
}

impl Listener {
    fn holding(mut self, heard: Arc<Mutex<Vec<String>>>) -> Listener {
        self.heard = heard;
        self
    }

    /// Every message heard so far.
    pub fn messages(&self) -> Vec<String> {
        self.heard
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The messages heard so far that name the file at `path`, in whatever form the
    /// library spells it (resolved, and on Windows without the `\\?\` prefix):
    /// recognised by its unique temporary directory and its file name.
    pub fn naming(&self, path: &Path) -> Vec<String> {
        let name = |p: Option<&std::ffi::OsStr>| p.unwrap().to_str().unwrap().to_owned();
        let (dir, file) = (
            name(path.parent().unwrap().file_name()),
            name(path.file_name()),
        );
        let mut messages = self.messages();
        messages.retain(|m| m.contains(&dir) && m.contains(&file));
        messages
    }

    /// How many messages heard naming the file at `path` contain `words`, once there
    /// is at least one (the library logs from its worker, in the background), or 0
    /// after `WAIT`.
    pub fn wait_naming(&self, path: &Path, words: &str) -> usize {
        let deadline = Instant::now() + WAIT;
        loop {
            let count = self
                .naming(path)
                .iter()
                .filter(|m| m.contains(words))
                .count();
            if count > 0 || Instant::now() >= deadline {
                return count;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        LISTENERS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(id, _, _)| *id != self.id);
    }
}

/// For a test of installing a sink itself (the C API's log callback): waits until no
/// other test listens, and keeps them waiting while it lives; puts the shared sink
/// back when dropped.
pub struct OwnSink(Option<RwLockWriteGuard<'static, ()>>);

pub fn own_sink() -> OwnSink {
    OwnSink(Some(TURN.write().unwrap_or_else(PoisonError::into_inner)))
}

impl Drop for OwnSink {
    fn drop(&mut self) {
        set_logger(Some((Level::Debug, Arc::new(pass_on))));
        drop(self.0.take());
    }
}

/// Installs the shared sink, once.
fn install() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| set_logger(Some((Level::Debug, Arc::new(pass_on)))));
}

/// The shared sink: the message to each listener that wants its level. The list is
/// copied first, so a listener's sink may call into the library, which may log.
fn pass_on(level: Level, message: &str) {
    let sinks: Vec<Sink> = LISTENERS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .filter(|(_, max, _)| level <= *max)
        .map(|(_, _, sink)| Arc::clone(sink))
        .collect();
    for sink in sinks {
        sink(level, message);
    }
}
