//! The caller's fast durable write: an append-only journal beside the database.
//!
//! `track_event` numbers its record and copies it into a shared mapping of a
//! preallocated file (`segment`): once it returns the bytes are in the kernel's page
//! cache and survive the process being killed, without a system call, let alone the
//! cost (and checkpoint stalls) of a SQLite transaction on the caller's thread. The
//! worker moves records into SQLite in batches and empties the journal; on start,
//! whatever a killed process left in the journal is replayed.
//!
//! Two files alternate: new records go to the active one while the worker persists
//! the other, so appending never waits for SQLite. Each record carries a checksum, so
//! a record torn by a crash mid-copy (never one whose call returned OK) is ignored.
//! Numbering and the copy happen under the journal's lock, one record after another,
//! so a kill can tear only the last record, and no number is skipped: a record whose
//! copy could leave a later one behind it on a kill would leave a gap. The lock holds
//! no system call: the one check an append needs (that the file still covers its
//! mapping) is made before it, by `SizeCheck`.
//!
//! An emptied file is zeros (its allocation kept): replay stops at the zeros after
//! the last record.

mod payload;
mod pending;
mod record;
mod segment;

use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

pub use payload::{PayloadRef, NUMBERING_HEADROOM};
pub use pending::Batches;
use pending::{Frames, Spill};
#[cfg(any(test, feature = "internals"))]
pub use record::decode_records;
pub use record::{Frame, Record};
use segment::{Emptier, Segment};

use crate::error::{Error, ErrorKind, Result};
use crate::files::names::journal_paths;
use crate::platform;

/// The one system call of an append, made before the journal's lock is taken: the
/// size of the file being appended to, which must still cover its mapping (another
/// program may have truncated it). Cloned out of the journal for its callers.
#[derive(Clone)]
pub struct SizeCheck(Arc<SizeCheckFiles>);

struct SizeCheckFiles {
    files: [File; 2],
    /// The file appended to; set by `Journal::take` under the journal's lock.
    active: AtomicUsize,
}

/// What a `SizeCheck` found: which file it looked at, and its size.
#[derive(Clone, Copy)]
pub struct Checked {
    file: usize,
    size: Option<u64>,
}

impl SizeCheck {
    pub fn check(&self) -> Checked {
        let file = self.0.active.load(Ordering::SeqCst);
        Checked {
            file,
            size: platform::file_size(&self.0.files[file]).ok(),
        }
    }
}

/// Records taken from the journal for persisting, and the file to empty afterwards.
pub struct Taken {
    /// The records, stored a batch at a time.
    pub batches: Batches,
    emptier: Emptier,
}

impl Taken {
    /// Empties the journal file these records came from, once they are in the store.
    /// Until this succeeds the file must not be appended to again (stale records
    /// behind new ones would be replayed), so a failure is retried before the next
    /// `take`.
    pub fn release(&self) -> Result<()> {
        self.emptier
            .empty()
            .map_err(|e| Error::storage("cannot empty the journal", e))
    }
}

/// While the store accepts records, this many times `max_pending` may wait: tracking
/// (a copy into memory) outpaces SQLite's inserts several times over, and a burst must
/// not be refused as if the store were refusing records. The bound on memory stays.
const BURST_HEADROOM: usize = 4;

pub struct Journal {
    segments: [Segment; 2],
    active: usize,
    seq: u64,
    last_nr: u32,
    /// The sealed records appended and not yet taken, as in the file, as many as
    /// `pending::MEMORY_BUDGET` allows…
    pending: Frames,
    /// …and how many came after them, in the file alone, from `spill_start` on.
    spilled: usize,
    spill_start: u64,
    /// Records in the file alone that another program's truncation took, for the
    /// caller to report (`take_lost`).
    lost: usize,
    /// `pending::MEMORY_BUDGET`, smaller in the fuzz target to reach the file alone.
    memory_budget: usize,
    /// The most frames kept waiting while the store does not take them (it is full
    /// or locked): beyond it `append` refuses, rather than growing without bound.
    max_pending: usize,
    /// Whether the store took the last records it was given: then a burst tracked
    /// faster than SQLite inserts may keep `BURST_HEADROOM` times as many waiting.
    store_accepts: bool,
    /// What the journal had to fall back on, for the caller to log once it has let go
    /// of the journal's lock.
    warnings: Vec<String>,
    size_check: SizeCheck,
}

impl Journal {
    /// Opens (creating, mode 0600) the two journal files of `database` and returns
    /// the records an earlier run left in them, oldest first. The caller persists
    /// those, then calls `clear` and `start`.
    pub fn open(database: &Path) -> Result<(Journal, Vec<Record>)> {
        let [first, second] = journal_paths(database);
        let (first, mut left) = Segment::open(first)?;
        let (second, second_left) = Segment::open(second)?;
        left.extend(second_left);
        left.sort_by_key(|record| record.seq);
        let size_check = SizeCheck(Arc::new(SizeCheckFiles {
            files: [first.duplicate()?, second.duplicate()?],
            active: AtomicUsize::new(0),
        }));
        let journal = Journal {
            size_check,
            segments: [first, second],
            active: 0,
            seq: 0,
            last_nr: 0,
            pending: Frames::default(),
            spilled: 0,
            spill_start: 0,
            lost: 0,
            memory_budget: pending::MEMORY_BUDGET,
            max_pending: usize::MAX,
            store_accepts: false,
            warnings: Vec::new(),
        };
        Ok((journal, left))
    }

    /// Empties both files (after their records were persisted by the caller), and
    /// preallocates and maps them where they are not yet.
    pub fn clear(&mut self) -> Result<()> {
        // The active file first, and the state that describes it right after, so a
        // failure on the other file never leaves appends behind a zeroed prefix.
        for index in [self.active, 1 - self.active] {
            let segment = &mut self.segments[index];
            segment.reset(&mut self.warnings).map_err(|e| {
                Error::storage(
                    &format!("cannot empty the journal {}", segment.path.display()),
                    e,
                )
            })?;
            if index == self.active {
                self.pending = Frames::default();
                self.spilled = 0;
            }
        }
        Ok(())
    }

    /// Sets the last `nr` the tracker's session has used and how many frames may wait
    /// for the store.
    pub fn start(&mut self, last_nr: u32, max_pending: usize) {
        self.last_nr = last_nr;
        self.max_pending = max_pending;
    }

    /// Checks the size of the file appended to, for `append_checked`, without the lock.
    pub fn size_check(&self) -> SizeCheck {
        self.size_check.clone()
    }

    /// Numbers and appends one event's frame. When this returns the record is in the
    /// kernel's cache and the number is used up; on an error nothing is used up. The
    /// file's size is checked under the lock: for tests, which have no `SizeCheck`.
    #[cfg(any(test, feature = "internals"))]
    pub fn append(&mut self, frame: Frame) -> Result<u32> {
        self.append_checked(frame, None)
    }

    /// `append`, with the file's size checked beforehand (`SizeCheck`): the check is
    /// made again here only if the journal switched files since.
    pub fn append_checked(&mut self, mut frame: Frame, checked: Option<Checked>) -> Result<u32> {
        let max_pending = if self.store_accepts {
            self.max_pending.saturating_mul(BURST_HEADROOM)
        } else {
            self.max_pending
        };
        if self.pending() >= max_pending {
            return Err(Error::new(
                ErrorKind::Storage,
                format!(
                    "{} events are waiting for the queue database, which is not accepting \
                     them (full or locked); this event was not stored",
                    self.pending()
                ),
            ));
        }
        let nr = self.last_nr.checked_add(1).ok_or_else(|| {
            Error::storage("cannot number the event", "nr exhausted for this session")
        })?;
        frame.seal(self.seq, nr);
        let size = checked
            .filter(|checked| checked.file == self.active)
            .and_then(|checked| checked.size);
        let segment = &mut self.segments[self.active];
        let rewritten = segment.append(frame.bytes(), &self.pending, size, &mut self.warnings)?;
        if rewritten {
            // The file was cut short and has what memory holds again, and this record:
            // those in the file alone are gone.
            self.lost += std::mem::take(&mut self.spilled);
        }
        self.seq += 1;
        self.last_nr = nr;
        if self.spilled == 0 && self.pending.has_room_for(frame.bytes(), self.memory_budget) {
            self.pending.push(frame.bytes());
        } else {
            if self.spilled == 0 {
                self.spill_start = segment.end() - frame.bytes().len() as u64;
            }
            self.spilled += 1;
        }
        Ok(nr)
    }

    /// Holds at most `bytes` of records in memory (`pending::MEMORY_BUDGET`): for the
    /// fuzz target, whose bursts are small.
    #[cfg(any(test, feature = "internals"))]
    pub fn set_memory_budget(&mut self, bytes: usize) {
        self.memory_budget = bytes;
    }

    /// Says whether the store took the records it was last given (the worker, after
    /// each persist), which sets how many may wait (`BURST_HEADROOM`).
    pub fn store_accepts(&mut self, accepts: bool) {
        self.store_accepts = accepts;
    }

    /// Records appended and not yet taken.
    pub fn pending(&self) -> usize {
        self.pending.len() + self.spilled
    }

    /// How many records another program's truncation of the journal took since the
    /// last call (only records beyond what memory holds can be lost so).
    pub fn take_lost(&mut self) -> usize {
        std::mem::take(&mut self.lost)
    }

    /// What the journal had to fall back on since the last call (a file it could not
    /// map, one truncated behind its back), to be logged without its lock.
    pub fn take_warnings(&mut self) -> Vec<String> {
        if self.warnings.is_empty() {
            Vec::new()
        } else {
            std::mem::take(&mut self.warnings)
        }
    }

    /// Takes the pending records and switches appending to the other file, which the
    /// previous `Taken::release` emptied. The records are decoded by the worker, a
    /// batch at a time, after the journal's lock is released (a thousand records take
    /// a millisecond or so to decode, which tracking threads must not wait for).
    pub fn take(&mut self) -> Result<Option<Taken>> {
        if self.pending() == 0 {
            return Ok(None);
        }
        // Everything that can fail comes before any state changes.
        let switching = |e: io::Error| Error::storage("cannot switch journal files", e);
        let taken = &self.segments[self.active];
        let emptier = taken.emptier().map_err(switching)?;
        let spill = if self.spilled > 0 {
            Some(Spill {
                file: taken.reader().map_err(switching)?,
                next: self.spill_start,
                end: taken.end(),
                left: self.spilled,
            })
        } else {
            None
        };
        let next = 1 - self.active;
        self.segments[next]
            .reuse(&mut self.warnings)
            .map_err(switching)?;
        self.active = next;
        self.size_check.0.active.store(next, Ordering::SeqCst);
        self.spilled = 0;
        Ok(Some(Taken {
            batches: Batches::new(std::mem::take(&mut self.pending), spill),
            emptier,
        }))
    }

    /// Whether the file appended to is mapped (not written with `pwrite`).
    #[cfg(test)]
    fn active_is_mapped(&self) -> bool {
        self.segments[self.active].is_mapped()
    }
}

#[cfg(test)]
mod tests {
    use super::record::tests::{event_of, frame};
    use super::*;

    fn open(dir: &Path) -> (Journal, Vec<Record>) {
        Journal::open(&dir.join("q.db")).unwrap()
    }

    /// A journal as a tracker starts one: opened, emptied (preallocated, mapped where
    /// it can be), numbering from `last_nr`.
    fn started(dir: &Path, last_nr: u32) -> Journal {
        let (mut journal, _) = open(dir);
        journal.clear().unwrap();
        journal.start(last_nr, usize::MAX);
        journal
    }

    fn nrs(records: &[Record]) -> Vec<u32> {
        records.iter().map(|r| r.nr).collect()
    }

    fn journal_file(dir: &Path, index: usize) -> std::path::PathBuf {
        journal_paths(&dir.join("q.db"))[index].clone()
    }

    /// Appends `count` records of 4 KiB each.
    fn append_4k(journal: &mut Journal, count: u32) {
        let big = "x".repeat(4096);
        for _ in 0..count {
            journal.append(frame(1, "s", &big)).unwrap();
        }
    }

    /// How many 4 KiB records go past `bytes` (the mapping, the memory budget).
    fn past(bytes: u64) -> u32 {
        (bytes / 4096 + 10) as u32
    }

    /// Runs `body` on this thread with every mapping failing, as on a machine out of
    /// address space.
    fn without_mappings(body: impl FnOnce()) {
        segment::MAPPING_FAILS.with(|fails| fails.set(true));
        body();
        segment::MAPPING_FAILS.with(|fails| fails.set(false));
    }

    #[test]
    fn records_survive_reopening_in_order_with_their_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let (mut journal, left) = open(dir.path());
        assert!(left.is_empty());
        journal.start(41, usize::MAX);
        for i in 0..3 {
            journal
                .append(frame(7, "s1", &format!("payload {i}")))
                .unwrap();
        }
        drop(journal);
        let (_journal, left) = open(dir.path());
        let seen: Vec<(u32, &str, i64)> = left
            .iter()
            .map(|r| (r.nr, r.session.as_str(), r.profile_id))
            .collect();
        assert_eq!(seen, [(42, "s1", 7), (43, "s1", 7), (44, "s1", 7)]);
        assert_eq!(event_of(&left[2]), "payload 2");
    }

    #[test]
    fn taking_switches_files_and_release_empties_the_taken_one() {
        let dir = tempfile::tempdir().unwrap();
        let (mut journal, _) = open(dir.path());
        journal.start(0, usize::MAX);
        journal.append(frame(1, "s", "a")).unwrap();
        let taken = journal.take().unwrap().unwrap();
        journal.append(frame(1, "s", "b")).unwrap();
        assert_eq!(taken.batches.unstored(), 1);
        // Before release, a crash would replay both files, oldest first.
        let (_, left) = open(dir.path());
        assert_eq!(left.iter().map(|r| r.nr).collect::<Vec<_>>(), [1, 2]);
        taken.release().unwrap();
        let (_, left) = open(dir.path());
        assert_eq!(left.iter().map(|r| r.nr).collect::<Vec<_>>(), [2]);
        assert!(journal.take().unwrap().is_some());
        assert!(journal.take().unwrap().is_none());
    }

    #[test]
    fn appending_stops_with_an_error_when_too_many_frames_wait() {
        let dir = tempfile::tempdir().unwrap();
        let (mut journal, _) = open(dir.path());
        journal.start(0, 2);
        journal.append(frame(1, "s", "a")).unwrap();
        journal.append(frame(1, "s", "b")).unwrap();
        let error = journal.append(frame(1, "s", "c")).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Storage);
        // The refused event used no number: the next one accepted gets 3.
        journal.take().unwrap();
        assert_eq!(journal.append(frame(1, "s", "c")).unwrap(), 3);
    }

    #[test]
    fn while_the_store_accepts_records_a_burst_may_wait_beyond_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = started(dir.path(), 0);
        journal.start(0, 2);
        journal.store_accepts(true);
        for _ in 0..2 * BURST_HEADROOM {
            journal.append(frame(1, "s", "burst")).unwrap();
        }
        assert!(journal.append(frame(1, "s", "over")).is_err());
        journal.store_accepts(false);
        journal.take().unwrap();
        journal.append(frame(1, "s", "a")).unwrap();
        journal.append(frame(1, "s", "b")).unwrap();
        assert!(
            journal.append(frame(1, "s", "c")).is_err(),
            "refusing: the cap"
        );
    }

    #[test]
    fn a_started_journal_is_preallocated_mapped_and_zero_after_its_records() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = started(dir.path(), 0);
        assert!(journal.active_is_mapped());
        assert!(journal.take_warnings().is_empty());
        for i in 0..3 {
            journal.append(frame(1, "s", &format!("e{i}"))).unwrap();
        }
        let bytes = std::fs::read(journal_file(dir.path(), 0)).unwrap();
        assert_eq!(
            bytes.len() as u64,
            segment::CHUNK,
            "preallocated, not grown"
        );
        let records = decode_records(&bytes);
        assert_eq!(nrs(&records), [1, 2, 3]);
        let used: usize = records
            .iter()
            .map(|r| record::FRAME + 21 + r.session.len() + r.payload.len())
            .sum();
        assert!(bytes[used..].iter().all(|&b| b == 0), "zeros after the end");
    }

    #[test]
    fn without_a_mapping_the_journal_falls_back_to_pwrite_and_keeps_every_guarantee() {
        let dir = tempfile::tempdir().unwrap();
        without_mappings(|| {
            let mut journal = started(dir.path(), 9);
            assert!(!journal.active_is_mapped());
            let warnings = journal.take_warnings();
            assert_eq!(warnings.len(), 2, "{warnings:?}");
            assert!(warnings[0].contains("pwrite"), "{warnings:?}");
            journal.append(frame(1, "s", "a")).unwrap();
            let taken = journal.take().unwrap().unwrap();
            journal.append(frame(1, "s", "b")).unwrap();
            assert_eq!(nrs(&open(dir.path()).1), [10, 11]);
            taken.release().unwrap();
            assert_eq!(nrs(&open(dir.path()).1), [11]);
        });
    }

    #[test]
    fn a_file_truncated_behind_the_journals_back_is_written_with_pwrite_and_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = started(dir.path(), 0);
        journal.append(frame(1, "s", "a")).unwrap();
        journal.append(frame(1, "s", "b")).unwrap();
        // Another program cuts the mapped file short: a store into it would be SIGBUS.
        let other = std::fs::OpenOptions::new()
            .write(true)
            .open(journal_file(dir.path(), 0))
            .unwrap();
        if cfg!(windows) {
            // Windows refuses to truncate a mapped file: nothing to fall back from.
            assert!(other.set_len(0).is_err());
            return;
        }
        other.set_len(0).unwrap();
        journal.append(frame(1, "s", "c")).unwrap();
        assert!(!journal.active_is_mapped());
        let warnings = journal.take_warnings();
        assert!(warnings[0].contains("truncated"), "{warnings:?}");
        // The records the truncation took were written again, before the new one.
        assert_eq!(nrs(&open(dir.path()).1), [1, 2, 3]);
        let taken = journal.take().unwrap().unwrap();
        assert_eq!(nrs(&taken.batches.records()), [1, 2, 3]);
        taken.release().unwrap();
        // The other file, cut short while it waits: its mapping is given up on reuse.
        let other = std::fs::OpenOptions::new()
            .write(true)
            .open(journal_file(dir.path(), 1))
            .unwrap();
        other.set_len(100).unwrap();
        journal.append(frame(1, "s", "d")).unwrap();
        let taken = journal.take().unwrap().unwrap();
        taken.release().unwrap();
        journal.append(frame(1, "s", "e")).unwrap();
        assert_eq!(nrs(&open(dir.path()).1), [5]);
    }

    #[test]
    fn a_backlog_beyond_the_mapping_goes_on_with_pwrite_and_emptying_cuts_it_off() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = started(dir.path(), 0);
        let count = past(segment::CHUNK);
        append_4k(&mut journal, count);
        let path = journal_file(dir.path(), 0);
        assert!(std::fs::metadata(&path).unwrap().len() > segment::CHUNK);
        assert_eq!(open(dir.path()).1.len(), count as usize);
        let taken = journal.take().unwrap().unwrap();
        assert_eq!(taken.batches.unstored(), count as usize);
        // Memory held a mapping's worth; the rest is read back from the file.
        assert!(journal.pending.len() == 0 && journal.spilled == 0);
        assert_eq!(
            nrs(&taken.batches.records()),
            (1..=count).collect::<Vec<_>>()
        );
        taken.release().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.iter().all(|&b| b == 0), "emptied to zeros");
        // Back to that file, filled past the mapping again with more records than
        // before: only the new ones replay.
        journal.append(frame(1, "s", "other file")).unwrap();
        journal.take().unwrap().unwrap().release().unwrap();
        append_4k(&mut journal, count + 5);
        let left = open(dir.path()).1;
        assert_eq!(left.len(), count as usize + 5);
        assert_eq!(left[0].nr, count + 2);
        // Emptied by a discard and filled past the mapping once more: the file is
        // never shrunk under its mapping (which Windows refuses).
        journal.clear().unwrap();
        append_4k(&mut journal, count);
        assert_eq!(open(dir.path()).1.len(), count as usize);
    }

    #[test]
    fn a_size_checked_before_another_append_grew_the_file_is_no_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = started(dir.path(), 0);
        let count = past(pending::MEMORY_BUDGET as u64);
        append_4k(&mut journal, count);
        // Checked by one thread before the lock; another thread's append then grows
        // the file past what was checked.
        let checked = journal.size_check().check();
        let grown_by = (segment::CHUNK / 4096) as u32;
        append_4k(&mut journal, grown_by);
        journal
            .append_checked(frame(1, "s", "late"), Some(checked))
            .unwrap();
        assert_eq!(journal.take_lost(), 0);
        assert!(journal.take_warnings().is_empty(), "no truncation");
        let taken = journal.take().unwrap().unwrap();
        assert_eq!(
            nrs(&taken.batches.records()),
            (1..=count + grown_by + 1).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_truncation_loses_only_the_records_beyond_memory_and_counts_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = started(dir.path(), 0);
        let count = past(pending::MEMORY_BUDGET as u64);
        append_4k(&mut journal, count);
        let (in_memory, spilled) = (journal.pending.len(), journal.spilled);
        assert!(spilled > 0, "beyond the budget, in the file alone");
        assert_eq!(journal.take_lost(), 0);
        if cfg!(windows) {
            return; // Windows refuses to truncate a mapped file.
        }
        std::fs::OpenOptions::new()
            .write(true)
            .open(journal_file(dir.path(), 0))
            .unwrap()
            .set_len(0)
            .unwrap();
        let nr = journal.append(frame(1, "s", "after")).unwrap();
        assert_eq!(journal.take_lost(), spilled);
        assert_eq!(journal.pending(), in_memory + 1);
        // What replays, and what the worker takes: memory's records, then the new one.
        let expected: Vec<u32> = (1..=in_memory as u32).chain([nr]).collect();
        assert_eq!(nrs(&open(dir.path()).1), expected);
        let taken = journal.take().unwrap().unwrap();
        assert_eq!(nrs(&taken.batches.records()), expected);
    }

    #[test]
    fn replay_reads_records_longer_than_a_read_step_and_stops_at_the_zeros() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = started(dir.path(), 0);
        journal
            .append(frame(1, "s", &"l".repeat(300 * 1024)))
            .unwrap();
        journal.append(frame(1, "s", "short")).unwrap();
        drop(journal);
        let left = open(dir.path()).1;
        assert_eq!(nrs(&left), [1, 2]);
        assert_eq!(event_of(&left[1]), "short");
    }

    #[test]
    fn a_record_torn_in_the_mapped_file_is_ignored_on_replay_and_earlier_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = started(dir.path(), 0);
        journal.append(frame(1, "s", "first")).unwrap();
        journal.append(frame(1, "s", "second")).unwrap();
        drop(journal);
        // A kill mid-copy: the second record's last bytes never arrived.
        let path = journal_file(dir.path(), 0);
        let mut bytes = std::fs::read(&path).unwrap();
        let first_len = decode_records(&bytes)
            .first()
            .map(|r| record::FRAME + 21 + r.session.len() + r.payload.len())
            .unwrap();
        let second_end = bytes[first_len..].iter().rposition(|&b| b != 0).unwrap() + first_len;
        bytes[second_end] = 0;
        std::fs::write(&path, &bytes).unwrap();
        let (_, left) = open(dir.path());
        assert_eq!(nrs(&left), [1]);
        assert_eq!(event_of(&left[0]), "first");
    }

    #[test]
    fn discarding_while_mapped_empties_both_files_and_numbering_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = started(dir.path(), 0);
        journal.append(frame(1, "s", "a")).unwrap();
        let _taken = journal.take().unwrap().unwrap();
        journal.append(frame(1, "s", "b")).unwrap();
        journal.clear().unwrap();
        assert!(open(dir.path()).1.is_empty());
        assert!(journal.active_is_mapped());
        assert_eq!(journal.append(frame(1, "s", "c")).unwrap(), 3);
        assert_eq!(nrs(&open(dir.path()).1), [3]);
    }
}
