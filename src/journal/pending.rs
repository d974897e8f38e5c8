//! The sealed records appended and not yet taken, kept in memory beside the file: the
//! worker reads them from here, and a file found truncated gets them written again.
//!
//! They are kept in blocks of `BLOCK` bytes, a record never split between two: a
//! backlog grows by a block at a time, without copying what it holds (a `Vec`
//! doubling would copy megabytes under the journal's lock, on a tracking thread), and
//! the worker gives each block back as soon as its records are in the store.
//!
//! Memory holds at most `MEMORY_BUDGET` bytes of them. A burst tracked faster than
//! SQLite inserts goes on in the file alone (`Spill`), which the worker then reads,
//! so a backlog costs page cache, not the app's memory. Should another program cut
//! the file short, only those records can be lost, and their loss is counted.

use std::collections::VecDeque;
use std::fs::File;

use super::record::{decode_record, read_records, Record};

/// The most bytes of records held in memory; beyond, they are in the file alone. A
/// mapping's worth (`segment::CHUNK`): what a persist takes at full speed.
pub(super) const MEMORY_BUDGET: usize = 1 << 20;

/// A block's size: some hundreds of records, allocated on a tracking thread about
/// once every few hundred events.
const BLOCK: usize = 64 * 1024;

/// Records one after another, in blocks.
#[derive(Default)]
pub(super) struct Frames {
    blocks: VecDeque<Vec<u8>>,
    count: usize,
    bytes: usize,
}

impl Frames {
    pub(super) fn push(&mut self, frame: &[u8]) {
        match self.blocks.back_mut() {
            Some(block) if block.capacity() - block.len() >= frame.len() => {
                block.extend_from_slice(frame);
            }
            _ => {
                let mut block = Vec::with_capacity(BLOCK.max(frame.len()));
                block.extend_from_slice(frame);
                self.blocks.push_back(block);
            }
        }
        self.count += 1;
        self.bytes += frame.len();
    }

    /// Whether `frame` fits in memory beside the records held, within `budget` bytes
    /// (`MEMORY_BUDGET`).
    pub(super) fn has_room_for(&self, frame: &[u8], budget: usize) -> bool {
        self.bytes + frame.len() <= budget
    }

    /// How many records are held.
    pub(super) fn len(&self) -> usize {
        self.count
    }

    /// The records' bytes, block by block, in order.
    pub(super) fn blocks(&self) -> impl Iterator<Item = &[u8]> {
        self.blocks.iter().map(Vec::as_slice)
    }
}

/// Records appended beyond `MEMORY_BUDGET`: in the journal file alone, from `next`
/// to `end`, `left` of them.
pub(super) struct Spill {
    pub(super) file: File,
    pub(super) next: u64,
    pub(super) end: u64,
    pub(super) left: usize,
}

/// Records taken from the journal for persisting, oldest first: those in memory, then
/// those in the file alone. They are decoded and stored a batch at a time (`batch`,
/// `stored`), so the decoded records of a large backlog are never all in memory.
pub struct Batches {
    frames: Frames,
    /// Where the first record not yet stored starts, in the front block.
    offset: usize,
    /// Records in memory not yet stored.
    in_memory: usize,
    spill: Option<Spill>,
}

/// Some records decoded for the store, and where the ones after them start.
pub struct Batch {
    pub records: Vec<Record>,
    /// Records the file no longer held (another program truncated or overwrote it):
    /// gone, to be reported.
    pub lost: usize,
    block: usize,
    offset: usize,
    from_memory: usize,
    spill_next: u64,
    from_spill: usize,
}

impl Batches {
    pub(super) fn new(frames: Frames, spill: Option<Spill>) -> Batches {
        Batches {
            in_memory: frames.len(),
            frames,
            offset: 0,
            spill,
        }
    }

    /// Records not yet stored.
    pub fn unstored(&self) -> usize {
        self.in_memory + self.spill.as_ref().map_or(0, |spill| spill.left)
    }

    /// Decodes up to `max` of the records not yet stored, the oldest first; an empty
    /// batch once all are.
    pub fn batch(&self, max: usize) -> Batch {
        let mut records = Vec::with_capacity(max.min(self.unstored()));
        let (mut block, mut offset) = (0, self.offset);
        while records.len() < max && records.len() < self.in_memory {
            let Some(bytes) = self.frames.blocks.get(block) else {
                break;
            };
            match decode_record(&bytes[offset..]) {
                Some((record, rest)) => {
                    records.push(record);
                    offset = bytes.len() - rest.len();
                }
                None => {
                    // The block's end (records are ours, sealed: they always decode).
                    debug_assert_eq!(offset, bytes.len(), "a record in memory did not decode");
                    block += 1;
                    offset = 0;
                }
            }
        }
        let from_memory = records.len();
        let (spill_next, lost) = match &self.spill {
            Some(spill) if from_memory < max => read_spilled(spill, max, &mut records),
            Some(spill) => (spill.next, 0),
            None => (0, 0),
        };
        Batch {
            from_spill: records.len() - from_memory,
            records,
            lost,
            block,
            offset,
            from_memory,
            spill_next,
        }
    }

    /// Marks `batch`'s records as stored (and its lost ones as gone), and gives back
    /// the blocks they emptied.
    pub fn stored(&mut self, batch: &Batch) {
        let at_end = batch.block >= self.frames.blocks.len();
        self.frames
            .blocks
            .drain(..batch.block.min(self.frames.blocks.len()));
        self.offset = batch.offset;
        self.in_memory = self.in_memory.saturating_sub(batch.from_memory);
        if self.in_memory == 0 || at_end {
            self.in_memory = 0;
            self.frames.blocks.clear();
            self.offset = 0;
        }
        if let Some(spill) = &mut self.spill {
            spill.next = batch.spill_next;
            spill.left = spill.left.saturating_sub(batch.from_spill + batch.lost);
        }
    }

    /// Every record not yet stored, decoded: for the tests.
    #[cfg(any(test, feature = "internals"))]
    pub fn records(&self) -> Vec<Record> {
        self.batch(usize::MAX).records
    }
}

/// Reads records from the file, after the memory's, until `records` holds `max`;
/// returns where the next one starts and how many the file no longer holds.
fn read_spilled(spill: &Spill, max: usize, records: &mut Vec<Record>) -> (u64, usize) {
    let want = max.saturating_sub(records.len()).min(spill.left);
    let before = records.len();
    match read_records(&spill.file, spill.next..spill.end, want, records) {
        Ok((next, ended)) => {
            let left = spill.left - (records.len() - before);
            (next, if ended { left } else { 0 })
        }
        // The file cannot be read back (an I/O error of the disk itself).
        Err(_) => (spill.end, spill.left - (records.len() - before)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::record::tests::{event_of, frame};
    use super::*;

    fn frames(count: u32, event: &str) -> Frames {
        let mut frames = Frames::default();
        for nr in 1..=count {
            let mut frame = frame(1, "s", event);
            frame.seal(u64::from(nr), nr);
            frames.push(frame.bytes());
        }
        frames
    }

    #[test]
    fn records_fill_blocks_without_being_split_and_decode_in_batches_in_order() {
        let big = "x".repeat(5000);
        let frames = frames(40, &big);
        assert!(frames.blocks.len() > 1, "several blocks");
        assert!(frames.blocks().all(|block| block.len() <= BLOCK));
        let mut batches = Batches::new(frames, None);
        let mut seen = Vec::new();
        loop {
            let batch = batches.batch(7);
            if batch.records.is_empty() {
                break;
            }
            assert!(batch.records.len() <= 7);
            seen.extend(batch.records.iter().map(|r| r.nr));
            assert!(batch.records.iter().all(|r| event_of(r) == big));
            batches.stored(&batch);
        }
        assert_eq!(seen, (1..=40).collect::<Vec<_>>());
        assert_eq!(batches.unstored(), 0);
        assert!(batches.frames.blocks.is_empty(), "every block given back");
    }

    #[test]
    fn a_batch_not_marked_stored_is_decoded_again() {
        let mut batches = Batches::new(frames(5, "e"), None);
        let first = batches.batch(3);
        let again = batches.batch(3);
        assert_eq!(first.records, again.records);
        batches.stored(&again);
        assert_eq!(batches.unstored(), 2);
        let rest: Vec<u32> = batches.records().iter().map(|r| r.nr).collect();
        assert_eq!(rest, [4, 5]);
    }

    /// `count` records after `frames`' in a file of their own, as the journal spills
    /// them, numbered on from `first`.
    fn spill(first: u32, count: u32, event: &str) -> (tempfile::NamedTempFile, Spill) {
        let mut bytes = Vec::new();
        for nr in first..first + count {
            let mut frame = frame(1, "s", event);
            frame.seal(u64::from(nr), nr);
            bytes.extend_from_slice(frame.bytes());
        }
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &bytes).unwrap();
        let spill = Spill {
            file: File::open(file.path()).unwrap(),
            next: 0,
            end: bytes.len() as u64,
            left: count as usize,
        };
        (file, spill)
    }

    fn store_all(batches: &mut Batches, max: usize) -> (Vec<u32>, usize) {
        let (mut nrs, mut lost) = (Vec::new(), 0);
        while batches.unstored() > 0 {
            let batch = batches.batch(max);
            assert!(batch.records.len() <= max);
            nrs.extend(batch.records.iter().map(|r| r.nr));
            lost += batch.lost;
            batches.stored(&batch);
        }
        (nrs, lost)
    }

    #[test]
    fn records_beyond_memory_are_read_from_the_file_after_memorys_in_batches() {
        let (_file, spill) = spill(6, 2000, "spilled");
        let mut batches = Batches::new(frames(5, "e"), Some(spill));
        assert_eq!(batches.unstored(), 2005);
        let (nrs, lost) = store_all(&mut batches, 300);
        assert_eq!(nrs, (1..=2005).collect::<Vec<_>>());
        assert_eq!(lost, 0);
    }

    #[test]
    fn a_spilled_record_larger_than_one_read_step_is_read_whole() {
        let (_file, spill) = spill(1, 3, &"z".repeat(300 * 1024));
        let mut batches = Batches::new(Frames::default(), Some(spill));
        assert_eq!(store_all(&mut batches, 2), (vec![1, 2, 3], 0));
    }

    #[test]
    fn spilled_records_the_file_no_longer_holds_are_counted_lost_not_waited_for() {
        let (file, spill) = spill(1, 100, "spilled");
        // Another program cuts the file short: half the records are gone.
        let len = std::fs::metadata(file.path()).unwrap().len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(file.path())
            .unwrap()
            .set_len(len / 2)
            .unwrap();
        let mut batches = Batches::new(frames(0, "e"), Some(spill));
        let (nrs, lost) = store_all(&mut batches, 30);
        assert_eq!(nrs, (1..=50).collect::<Vec<_>>());
        assert_eq!(lost, 50);
    }

    #[test]
    fn a_record_larger_than_a_block_gets_a_block_of_its_own() {
        let huge = "y".repeat(BLOCK + 100);
        let mut frames = frames(1, "small");
        let mut frame = frame(1, "s", &huge);
        frame.seal(2, 2);
        frames.push(frame.bytes());
        assert_eq!(frames.blocks.len(), 2);
        let records = Batches::new(frames, None).records();
        assert_eq!(records.iter().map(|r| r.nr).collect::<Vec<_>>(), [1, 2]);
    }
}
