//! The library's log messages, carried to Godot's main thread. The library calls its
//! log sink on whichever thread logs (often its delivery thread), and a Godot object
//! must not be touched there: the sink only appends to a bounded queue, and the node
//! takes the queue's contents in `_process` and emits them as signals.
//!
//! The sink is process-wide (as the library's), so the queue is too: one `Hamustro`
//! node (the autoload) emits the messages; a second node would take turns with it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use hamustro::log::{self, Level};

/// The most messages kept between two frames; beyond it the oldest are dropped and
/// counted, so a frozen main thread cannot make the queue grow without bound.
const CAPACITY: usize = 256;

struct Queue {
    messages: VecDeque<(Level, String)>,
    dropped: u64,
}

static QUEUE: Mutex<Queue> = Mutex::new(Queue {
    messages: VecDeque::new(),
    dropped: 0,
});

fn queue() -> std::sync::MutexGuard<'static, Queue> {
    QUEUE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Installs the queue as the library's log sink for messages up to `level` (1 error
/// … 4 debug); 0 (or anything else) turns logging off and empties the queue.
pub fn set_level(level: i64) {
    let level = u32::try_from(level).ok().and_then(Level::from_u32);
    match level {
        Some(level) => log::set_logger(Some((level, Arc::new(push)))),
        None => {
            log::set_logger(None);
            let mut queue = queue();
            queue.messages.clear();
            queue.dropped = 0;
        }
    }
}

/// The sink: runs on any thread, takes only the queue's lock, never calls Godot.
fn push(level: Level, message: &str) {
    let mut queue = queue();
    if queue.messages.len() == CAPACITY {
        queue.messages.pop_front();
        queue.dropped += 1;
    }
    queue.messages.push_back((level, message.to_string()));
}

/// Every queued message, oldest first, and how many were dropped since the last call
/// (reported by the caller as one warning).
pub fn take() -> (Vec<(Level, String)>, u64) {
    let mut queue = queue();
    let dropped = std::mem::take(&mut queue.dropped);
    (queue.messages.drain(..).collect(), dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_drops_the_oldest_and_counts_them() {
        for n in 0..CAPACITY + 3 {
            push(Level::Info, &format!("message {n}"));
        }
        let (messages, dropped) = take();
        assert_eq!(dropped, 3);
        assert_eq!(messages.len(), CAPACITY);
        assert_eq!(messages[0].1, "message 3");
        assert_eq!(take(), (Vec::new(), 0));
    }
}
