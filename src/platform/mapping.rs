//! A shared, writable mapping of a file's first bytes (memmap2: `mmap(MAP_SHARED)` on
//! Unix, `MapViewOfFile` on Windows). A store into it puts the bytes in the
//! operating system's cache of the file, as a `write` would, with no system call: they
//! survive the process being killed.
//!
//! The mapping's bytes are shared memory: other processes may change the file under
//! it, and a store into a page that the file no longer covers (someone truncated it)
//! raises SIGBUS. The journal (its only user) therefore maps only bytes it has
//! preallocated, checks the file's size before it writes, and never has two threads
//! write the same bytes at once: its numbering lock hands out disjoint ranges.

use std::fs::File;
use std::io;
use std::ops::Range;

pub struct SharedMapping {
    raw: memmap2::MmapRaw,
}

impl SharedMapping {
    /// Maps the first `len` bytes of `file`, which must already be that long and
    /// allocated on disk (`platform::preallocate`).
    pub fn new(file: &File, len: usize) -> io::Result<SharedMapping> {
        let raw = memmap2::MmapOptions::new().len(len).map_raw(file)?;
        Ok(SharedMapping { raw })
    }

    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// Copies `bytes` into the mapping at `offset`.
    ///
    /// # Panics
    /// When the range is not inside the mapping (a bug in the caller).
    pub fn write(&self, offset: usize, bytes: &[u8]) {
        let end = offset.checked_add(bytes.len()).expect("range overflows");
        assert!(end <= self.len(), "write beyond the mapping");
        // SAFETY: the range is inside the mapping (checked above), which lives as long
        // as `self`; `bytes` is ordinary memory, never inside a mapping of ours, so the
        // two do not overlap. No other thread writes this range meanwhile (the
        // journal's reservation hands each range to one writer).
        unsafe {
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                self.raw.as_mut_ptr().add(offset),
                bytes.len(),
            );
        }
    }

    /// Fills `range` of the mapping with zeros.
    ///
    /// # Panics
    /// When the range is not inside the mapping (a bug in the caller).
    pub fn zero(&self, range: Range<usize>) {
        assert!(
            range.start <= range.end && range.end <= self.len(),
            "zeroing beyond the mapping"
        );
        // SAFETY: inside the mapping (checked above); nobody else writes this range
        // meanwhile (the journal zeroes only a file no caller appends to).
        unsafe {
            std::ptr::write_bytes(
                self.raw.as_mut_ptr().add(range.start),
                0,
                range.end - range.start,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_reach_the_file_and_zeroing_clears_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mapped");
        let file = super::super::open_companion(&path, true).unwrap().unwrap();
        super::super::preallocate(&file, 8192).unwrap();
        let mapping = SharedMapping::new(&file, 8192).unwrap();
        mapping.write(4094, b"abcd");
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 8192);
        assert_eq!(&bytes[4094..4098], b"abcd");
        mapping.zero(4095..4097);
        assert_eq!(&std::fs::read(&path).unwrap()[4094..4098], b"a\0\0d");
    }
}
