//! The floors: what a bare SQLite WAL transaction and a bare `pwrite` cost on this
//! machine, measured in the same run as the tracker, to compare its latencies with.

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt as _;
use std::thread;
use std::time::Instant;

use rusqlite::{params, Connection, TransactionBehavior};

use crate::fixtures::temp_dir;
use crate::latency::Latency;
use crate::{FLOOR_BLOB_BYTES, FLOOR_TXNS};

/// What a durable local write costs at the least: `BEGIN IMMEDIATE; INSERT; COMMIT` of a
/// ~150-byte blob, WAL with synchronous=NORMAL, as the queue is configured.
pub fn sqlite_floor() -> Latency {
    let dir = temp_dir();
    let mut conn = Connection::open(dir.path().join("floor.sqlite3")).expect("open");
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))
        .expect("journal_mode=WAL");
    conn.pragma_update(None, "synchronous", "NORMAL")
        .expect("synchronous=NORMAL");
    conn.execute_batch(
        "CREATE TABLE events (
             id INTEGER PRIMARY KEY AUTOINCREMENT,
             profile_id INTEGER NOT NULL,
             payload BLOB NOT NULL
         );",
    )
    .expect("create table");
    let blob = vec![0x5a_u8; FLOOR_BLOB_BYTES];
    let mut samples = Vec::with_capacity(FLOOR_TXNS);
    for _ in 0..FLOOR_TXNS {
        let start = Instant::now();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .expect("begin");
        tx.prepare_cached("INSERT INTO events(profile_id, payload) VALUES (?1, ?2)")
            .and_then(|mut insert| insert.execute(params![1, blob]))
            .expect("insert");
        tx.commit().expect("commit");
        samples.push(start.elapsed().as_nanos() as u64);
    }
    Latency::of(samples)
}

/// The other floor: one `pwrite` of a comparable record at the end of a file, what an
/// append-only journal costs at the least (no fsync: the page cache survives a kill).
/// With several threads they share the file behind one mutex, as the journal does, so
/// the figure shows what the scheduler alone does to the tail on this machine.
pub fn file_write_floor(threads: usize) -> Latency {
    let dir = temp_dir();
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(dir.path().join("floor.journal"))
        .expect("open");
    let journal = std::sync::Mutex::new((file, 0u64));
    let record = vec![0x5a_u8; FLOOR_BLOB_BYTES];
    let per_thread = FLOOR_TXNS / threads;
    let samples: Vec<u64> = thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut samples = Vec::with_capacity(per_thread);
                    for _ in 0..per_thread {
                        let start = Instant::now();
                        let mut guard = journal.lock().unwrap();
                        let (file, offset) = &mut *guard;
                        file.write_all_at(&record, *offset).expect("write");
                        *offset += record.len() as u64;
                        drop(guard);
                        samples.push(start.elapsed().as_nanos() as u64);
                    }
                    samples
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    Latency::of(samples)
}
