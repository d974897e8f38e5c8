//! The caller's fast durable write: an append-only journal beside the database.
//!
//! `track_event` appends one record with a single `write` to a file: once it returns
//! the bytes are in the kernel's page cache and survive the process being killed,
//! without the cost (and checkpoint stalls) of a SQLite transaction on the caller's
//! thread. The worker moves records into SQLite in batches and empties the journal;
//! on start, whatever a killed process left in the journal is replayed.
//!
//! Two files alternate: new records go to the active one while the worker persists
//! the other, so appending never waits for SQLite. Each record carries a checksum, so
//! a record torn by a crash mid-write (never one whose call returned OK) is ignored.
//!
//! The files are kept at least `CHUNK` long (sparse, zero-filled): an append inside
//! the file's size changes no file metadata, so it never waits behind the
//! filesystem's journal commits (which SQLite's checkpoints set off) as a
//! size-extending write would. Replay stops at the zeros after the last record.

use std::fs::File;
use std::path::{Path, PathBuf};

use prost::Message as _;

use crate::error::{Error, ErrorKind, Result};
use crate::platform;
use crate::store::file_names;
use crate::wire::Payload;

/// One tracked event on its way to the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Order of tracking within one process run.
    pub seq: u64,
    pub profile_id: i64,
    pub session: String,
    pub nr: u32,
    /// The encoded `Payload`. Its own `nr` field is not set (the number is assigned
    /// under the journal's lock, after encoding): `nr` above is the number.
    pub payload: Vec<u8>,
}

/// One event's record, built before the journal's lock is taken so that the lock
/// covers only numbering and the write. `Journal::append` fills in the sequence
/// number, the event number and the checksum.
pub struct Frame(Vec<u8>);

impl Frame {
    /// Encodes `payload` straight into the record, in one allocation.
    ///
    /// # Panics
    /// Never in practice: prost fails only when the buffer is short, and a `Vec` grows.
    pub fn new(profile_id: i64, session: &str, payload: &Payload) -> Frame {
        // At most 255 bytes, cut on a character boundary: a record must decode.
        let mut cut = session.len().min(255);
        while !session.is_char_boundary(cut) {
            cut -= 1;
        }
        let session = &session.as_bytes()[..cut];
        let body_len = BODY_FIXED + session.len() + payload.encoded_len();
        let mut bytes = Vec::with_capacity(FRAME + body_len);
        bytes.extend_from_slice(&(body_len as u32).to_le_bytes());
        bytes.extend_from_slice(&[0; 8]); // checksum, by `seal`
        bytes.extend_from_slice(&[0; 8]); // seq, by `seal`
        bytes.extend_from_slice(&profile_id.to_le_bytes());
        bytes.extend_from_slice(&[0; 4]); // nr, by `seal`
        bytes.push(session.len() as u8);
        bytes.extend_from_slice(session);
        payload
            .encode(&mut bytes)
            .expect("a Vec reserved for the encoded length has room");
        Frame(bytes)
    }

    fn seal(&mut self, seq: u64, nr: u32) {
        let bytes = &mut self.0;
        bytes[FRAME..FRAME + 8].copy_from_slice(&seq.to_le_bytes());
        bytes[FRAME + 16..FRAME + 20].copy_from_slice(&nr.to_le_bytes());
        let checksum = fnv1a64(&bytes[FRAME..]);
        bytes[4..FRAME].copy_from_slice(&checksum.to_le_bytes());
    }
}

/// Records taken from the journal for persisting, and the file to empty afterwards.
pub struct Taken {
    pub records: Vec<Record>,
    /// Set once the records are in the store: only emptying the file remains.
    pub stored: bool,
    file: File,
}

impl Taken {
    /// Empties the journal file these records came from, once they are in the store.
    /// Until this succeeds the file must not be appended to again (stale records
    /// behind new ones would be replayed), so a failure is retried before the next
    /// `take`.
    pub fn release(&self) -> Result<()> {
        reset(&self.file).map_err(|e| Error::storage("cannot empty the journal", e))
    }
}

/// The size journal files are kept at, and grown by when a backlog outgrows it.
const CHUNK: u64 = 1 << 20;

/// Empties a journal file and gives it back its zero-filled `CHUNK`.
fn reset(file: &File) -> std::io::Result<()> {
    file.set_len(0)?;
    file.set_len(CHUNK)
}

pub struct Journal {
    files: [File; 2],
    paths: [PathBuf; 2],
    active: usize,
    offset: u64,
    /// The active file's size: appends stay inside it.
    capacity: u64,
    seq: u64,
    last_nr: u32,
    /// Sealed frames appended and not yet taken; decoded by the worker on `take`.
    pending: Vec<Vec<u8>>,
    /// The most frames kept waiting while the store does not take them (it is full
    /// or locked): beyond it `append` refuses, rather than growing without bound.
    max_pending: usize,
}

/// Fixed part of a record: body length (u32), checksum (u64).
const FRAME: usize = 12;
/// Fixed part of a body: seq (u64), profile id (i64), nr (u32), session length (u8).
const BODY_FIXED: usize = 21;

impl Journal {
    /// Opens (creating, mode 0600) the two journal files of `database` and returns
    /// the records an earlier run left in them, oldest first. The caller persists
    /// those, then calls `clear` and `start`.
    pub fn open(database: &Path) -> Result<(Journal, Vec<Record>)> {
        let paths = file_names::journal_paths(database);
        let open = |path: &PathBuf| {
            platform::open_private_file(path).map_err(|e| {
                Error::storage(&format!("cannot open the journal {}", path.display()), e)
            })
        };
        let files = [open(&paths[0])?, open(&paths[1])?];
        let mut left = Vec::new();
        for (file, path) in files.iter().zip(&paths) {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut &*file, &mut bytes).map_err(|e| {
                Error::storage(&format!("cannot read the journal {}", path.display()), e)
            })?;
            left.extend(decode_records(&bytes));
        }
        left.sort_by_key(|record| record.seq);
        let journal = Journal {
            files,
            paths,
            active: 0,
            offset: 0,
            capacity: 0,
            seq: 0,
            last_nr: 0,
            pending: Vec::new(),
            max_pending: usize::MAX,
        };
        Ok((journal, left))
    }

    /// Empties both files (after their records were persisted by the caller).
    pub fn clear(&mut self) -> Result<()> {
        // The active file first, and the state that describes it right after, so a
        // failure on the other file never leaves appends behind a zeroed prefix.
        for index in [self.active, 1 - self.active] {
            reset(&self.files[index]).map_err(|e| {
                Error::storage(
                    &format!("cannot empty the journal {}", self.paths[index].display()),
                    e,
                )
            })?;
            if index == self.active {
                self.offset = 0;
                self.capacity = CHUNK;
                self.pending.clear();
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

    /// Numbers and appends one event's frame. When this returns the record is in the
    /// kernel's cache and the number is used up; on an error nothing is used up.
    pub fn append(&mut self, mut frame: Frame) -> Result<u32> {
        if self.pending.len() >= self.max_pending {
            return Err(Error::new(
                ErrorKind::Storage,
                format!(
                    "{} events are waiting for the queue database, which is not accepting \
                     them (full or locked); this event was not stored",
                    self.pending.len()
                ),
            ));
        }
        let nr = self.last_nr.checked_add(1).ok_or_else(|| {
            Error::storage("cannot number the event", "nr exhausted for this session")
        })?;
        frame.seal(self.seq, nr);
        let bytes = frame.0;
        let end = self.offset + bytes.len() as u64;
        if end > self.capacity {
            let grown = end.div_ceil(CHUNK) * CHUNK;
            self.files[self.active].set_len(grown).map_err(|e| {
                Error::storage(
                    &format!(
                        "cannot grow the journal {}",
                        self.paths[self.active].display()
                    ),
                    e,
                )
            })?;
            self.capacity = grown;
        }
        platform::write_all_at(&self.files[self.active], &bytes, self.offset).map_err(|e| {
            Error::storage(
                &format!(
                    "cannot write the event to the journal {}",
                    self.paths[self.active].display()
                ),
                e,
            )
        })?;
        self.offset += bytes.len() as u64;
        self.seq += 1;
        self.last_nr = nr;
        self.pending.push(bytes);
        Ok(nr)
    }

    /// Records appended and not yet taken.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Takes the pending records and switches appending to the other file, which the
    /// previous `Taken::release` emptied.
    pub fn take(&mut self) -> Result<Option<Taken>> {
        if self.pending.is_empty() {
            return Ok(None);
        }
        // Everything that can fail comes before any state changes.
        let switching = |e| Error::storage("cannot switch journal files", e);
        let file = self.files[self.active].try_clone().map_err(switching)?;
        let next = 1 - self.active;
        let capacity = self.files[next].metadata().map_err(switching)?.len();
        self.active = next;
        self.offset = 0;
        self.capacity = capacity;
        let records = std::mem::take(&mut self.pending)
            .iter()
            .filter_map(|bytes| decode_record(bytes).map(|(record, _)| record))
            .collect();
        Ok(Some(Taken {
            records,
            stored: false,
            file,
        }))
    }
}

/// The valid records at the start of `bytes`; stops at the first torn or zeroed one.
pub fn decode_records(bytes: &[u8]) -> Vec<Record> {
    let mut records = Vec::new();
    let mut rest = bytes;
    while let Some((record, tail)) = decode_record(rest) {
        records.push(record);
        rest = tail;
    }
    records
}

fn decode_record(bytes: &[u8]) -> Option<(Record, &[u8])> {
    let body_len = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    let checksum = u64::from_le_bytes(bytes.get(4..FRAME)?.try_into().ok()?);
    let body = bytes.get(FRAME..FRAME.checked_add(body_len)?)?;
    if body_len < BODY_FIXED || fnv1a64(body) != checksum {
        return None;
    }
    let seq = u64::from_le_bytes(body[0..8].try_into().ok()?);
    let profile_id = i64::from_le_bytes(body[8..16].try_into().ok()?);
    let nr = u32::from_le_bytes(body[16..20].try_into().ok()?);
    let session_len = usize::from(body[20]);
    let session = body.get(BODY_FIXED..BODY_FIXED + session_len)?;
    let record = Record {
        seq,
        profile_id,
        session: String::from_utf8(session.to_vec()).ok()?,
        nr,
        payload: body[BODY_FIXED + session_len..].to_vec(),
    };
    Some((record, &bytes[FRAME + body_len..]))
}

/// FNV-1a, 64 bits: detects torn and zeroed records; integrity against tampering is
/// not the goal (the file is the app's own, mode 0600).
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(profile_id: i64, session: &str, event: &str) -> Frame {
        let payload = Payload {
            event: event.into(),
            ..Payload::default()
        };
        Frame::new(profile_id, session, &payload)
    }

    fn event_of(record: &Record) -> String {
        Payload::decode(record.payload.as_slice()).unwrap().event
    }

    fn open(dir: &Path) -> (Journal, Vec<Record>) {
        Journal::open(&dir.join("q.db")).unwrap()
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
        assert_eq!(taken.records.len(), 1);
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
    fn a_long_session_is_cut_on_a_character_boundary_and_still_decodes() {
        let session = "é".repeat(200);
        let mut sealed = frame(1, &session, "e");
        sealed.seal(0, 1);
        let mut bytes = sealed.0;
        let mut next = frame(1, "s", "after");
        next.seal(1, 2);
        bytes.extend_from_slice(&next.0);
        let records = decode_records(&bytes);
        assert_eq!(records.len(), 2, "the record and the one after it decode");
        assert!(session.starts_with(&records[0].session));
    }

    #[test]
    fn a_torn_tail_is_ignored_and_earlier_records_kept() {
        let sealed = |nr: u32| {
            let mut frame = frame(1, "s", &format!("e{nr}"));
            frame.seal(u64::from(nr), nr);
            frame.0
        };
        let mut bytes = sealed(1);
        let second = sealed(2);
        bytes.extend_from_slice(&second[..second.len() - 3]);
        let records = decode_records(&bytes);
        assert_eq!(records.len(), 1);
        assert_eq!(
            (records[0].nr, event_of(&records[0])),
            (1, "e1".to_string())
        );
        let mut flipped = sealed(1);
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(decode_records(&flipped).is_empty());
        assert!(decode_records(&[0; 64]).is_empty());
    }
}
