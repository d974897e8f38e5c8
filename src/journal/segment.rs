//! One of the journal's two files, and how records get into it.
//!
//! The fast way: the file's first `CHUNK` bytes are preallocated for real and mapped
//! shared, and a record is copied into the mapping: no system call, and it cannot fail
//! (no block is left to allocate, so a full disk cannot turn the copy into SIGBUS).
//!
//! The fallback, today's way and always correct: a positioned `write` (`pwrite`),
//! growing the file by `CHUNK`s (sparse). It is used for a file that could not be
//! preallocated (a full disk) or mapped (no address space, a mapping limit), for the
//! records of a backlog beyond the mapping, and from the moment a file is found
//! shorter than its mapping: another program truncated it, and a store into the pages
//! it lost would raise SIGBUS. Before every copy the file's size is checked, so a
//! truncation is noticed before it can hurt (but for a truncation within the
//! microseconds between the check and the copy, which nothing short of a signal
//! handler, not a library's to install, could catch).

use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::pending::Frames;
use super::record::{read_records, Record};
use crate::error::{Error, Result};
use crate::platform::{self, SharedMapping};

/// How much of each file is preallocated and mapped, and the step a file written with
/// `pwrite` grows by. A persist takes the records every 10 ms or 1000 records
/// (`worker::PERSIST_DELAY`, `PERSIST_BATCH`), a few hundred KiB at the most at full
/// speed; only a backlog the store refuses goes beyond, with `pwrite`.
pub(super) const CHUNK: u64 = 1 << 20;

#[cfg(test)]
thread_local! {
    /// Makes every mapping on this thread fail, as it would without address space.
    pub(super) static MAPPING_FAILS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A file's mapping, and whether the worker gave it up while emptying the file.
pub(super) struct Mapped {
    mapping: SharedMapping,
    given_up: AtomicBool,
}

impl Mapped {
    fn len(&self) -> u64 {
        self.mapping.len() as u64
    }

    fn usable(&self, file: &File) -> bool {
        !self.given_up.load(Ordering::SeqCst) && covers(file, self.len())
    }
}

/// Whether `file` is still at least `len` bytes long (one cheap system call).
fn covers(file: &File, len: u64) -> bool {
    platform::file_size(file).is_ok_and(|size| size >= len)
}

pub(super) struct Segment {
    file: File,
    pub(super) path: PathBuf,
    map: Option<Arc<Mapped>>,
    /// The end of the last record appended since the file was last emptied.
    end: u64,
    /// The file's size, as far as `pwrite` appends are concerned.
    capacity: u64,
    /// The file was found truncated and its records are not all written again yet.
    needs_rewrite: bool,
}

impl Segment {
    /// Opens (creating, mode 0600) the file at `path` and reads the records it holds.
    pub(super) fn open(path: PathBuf) -> Result<(Segment, Vec<Record>)> {
        // Created exclusively, never through a link, and only a regular file with one
        // name, this user's: a name planted here is refused, not written through.
        let file = platform::open_companion(&path, true)
            .and_then(|file| file.ok_or_else(|| io::ErrorKind::NotFound.into()))
            .map_err(|e| {
                Error::storage(
                    &format!(
                        "cannot use the journal {}; it was left untouched",
                        path.display()
                    ),
                    e,
                )
            })?;
        let mut records = Vec::new();
        platform::file_size(&file)
            .and_then(|size| read_records(&file, 0..size, usize::MAX, &mut records))
            .map_err(|e| {
                Error::storage(&format!("cannot read the journal {}", path.display()), e)
            })?;
        let segment = Segment {
            file,
            path,
            map: None,
            end: 0,
            capacity: 0,
            needs_rewrite: false,
        };
        Ok((segment, records))
    }

    #[cfg(test)]
    pub(super) fn is_mapped(&self) -> bool {
        self.map.is_some()
    }

    /// Empties the file for new records: through its mapping while that is whole,
    /// otherwise by truncating it and preallocating and mapping it afresh. A warning
    /// says when it must be written with `pwrite`.
    pub(super) fn reset(&mut self, warnings: &mut Vec<String>) -> io::Result<()> {
        if let Some(map) = self.map.as_ref().filter(|map| map.usable(&self.file)) {
            empty_mapped(&self.file, &map.mapping, self.end)?;
            self.end = 0;
            self.capacity = map.len();
            self.needs_rewrite = false;
            return Ok(());
        }
        self.map = None;
        self.file.set_len(0)?;
        self.end = 0;
        self.needs_rewrite = false;
        match self.map_afresh() {
            Ok(()) => {}
            Err(error) => {
                self.file.set_len(CHUNK)?;
                self.capacity = CHUNK;
                warnings.push(format!(
                    "cannot preallocate and map the journal {} ({error}); it is written \
                     with pwrite instead",
                    self.path.display()
                ));
            }
        }
        Ok(())
    }

    /// On the empty file: `CHUNK` bytes allocated for real, then mapped.
    fn map_afresh(&mut self) -> io::Result<()> {
        platform::preallocate(&self.file, CHUNK)?;
        #[cfg(test)]
        if MAPPING_FAILS.with(std::cell::Cell::get) {
            return Err(io::ErrorKind::OutOfMemory.into());
        }
        let len = usize::try_from(CHUNK).map_err(|_| io::ErrorKind::OutOfMemory)?;
        let mapping = SharedMapping::new(&self.file, len)?;
        self.map = Some(Arc::new(Mapped {
            mapping,
            given_up: AtomicBool::new(false),
        }));
        self.capacity = CHUNK;
        Ok(())
    }

    /// Another descriptor of the file, for a check of its size without the journal.
    pub(super) fn duplicate(&self) -> Result<File> {
        self.file.try_clone().map_err(|e| {
            Error::storage(
                &format!("cannot open the journal {}", self.path.display()),
                e,
            )
        })
    }

    /// Appends one sealed record. `earlier` are the first records appended to this
    /// file since it was last emptied, written again should the file turn out
    /// truncated (then this returns true: any later ones are gone). `size` is the
    /// file's, checked just before (else it is checked here). On an error nothing of
    /// this record is in the file.
    pub(super) fn append(
        &mut self,
        record: &[u8],
        earlier: &Frames,
        size: Option<u64>,
        warnings: &mut Vec<String>,
    ) -> Result<bool> {
        let end = self.end + record.len() as u64;
        // The file must cover its mapping and the records written beyond it: shorter,
        // another program truncated it, and what it held must be written again. The
        // size checked before the lock is good for the mapping (whose length never
        // changes); beyond it, on the `pwrite` path, the file may have grown since
        // (another thread's append), so it is checked again here.
        let mapped = self.map.as_ref().map_or(0, |map| map.len());
        let covered = self.end.max(mapped);
        let size = match size {
            Some(size) if end <= mapped => Ok(size),
            _ => platform::file_size(&self.file),
        };
        let cut_short = self
            .map
            .as_ref()
            .is_some_and(|map| map.given_up.load(Ordering::SeqCst))
            || size.map_or(self.map.is_some(), |size| size < covered);
        if cut_short && !self.needs_rewrite {
            self.needs_rewrite = true;
            warnings.push(format!(
                "the journal {} is shorter than what was written to it: another program \
                 truncated it; its records are written again, and it is written with \
                 pwrite from now on",
                self.path.display()
            ));
        }
        if self.needs_rewrite {
            self.map = None;
        }
        if let Some(map) = &self.map {
            if end <= map.len() {
                // In range (checked) and the file covers the range (just checked).
                map.mapping.write(self.end as usize, record);
                self.end = end;
                return Ok(false);
            }
        }
        let rewritten = self.needs_rewrite;
        if self.needs_rewrite {
            self.end = 0;
            self.capacity = 0;
            for block in earlier.blocks() {
                self.write_at_end(block)?;
            }
            self.needs_rewrite = false;
        }
        self.write_at_end(record)?;
        Ok(rewritten)
    }

    /// The end of the last record appended.
    pub(super) fn end(&self) -> u64 {
        self.end
    }

    /// Another descriptor of the file, to read records back from without the journal.
    pub(super) fn reader(&self) -> io::Result<File> {
        self.file.try_clone()
    }

    /// The fallback: one `pwrite` at the end, the file grown first when needed.
    fn write_at_end(&mut self, record: &[u8]) -> Result<()> {
        let end = self.end + record.len() as u64;
        if end > self.capacity {
            // Never shrinking the file (Windows refuses that while it is mapped).
            let size = platform::file_size(&self.file).unwrap_or(0);
            let grown = (end.div_ceil(CHUNK) * CHUNK).max(size);
            self.file.set_len(grown).map_err(|e| {
                Error::storage(
                    &format!("cannot grow the journal {}", self.path.display()),
                    e,
                )
            })?;
            self.capacity = grown;
        }
        platform::write_all_at(&self.file, record, self.end).map_err(|e| {
            Error::storage(
                &format!(
                    "cannot write the event to the journal {}",
                    self.path.display()
                ),
                e,
            )
        })?;
        self.end = end;
        Ok(())
    }

    /// What emptying this file later needs, for a `Taken`.
    pub(super) fn emptier(&self) -> io::Result<Emptier> {
        Ok(Emptier {
            file: self.file.try_clone()?,
            map: self.map.clone(),
            end: self.end,
        })
    }

    /// Makes this file, which its `Emptier` emptied, the one appended to. Gives up the
    /// mapping (with a warning) when the emptier did or the file no longer covers it.
    pub(super) fn reuse(&mut self, warnings: &mut Vec<String>) -> io::Result<()> {
        let size = platform::file_size(&self.file)?;
        if let Some(map) = &self.map {
            if map.given_up.load(Ordering::SeqCst) || size < map.len() {
                self.map = None;
                warnings.push(format!(
                    "the journal {} was truncated by another program; it is written with \
                     pwrite from now on",
                    self.path.display()
                ));
            }
        }
        self.end = 0;
        self.capacity = size;
        self.needs_rewrite = false;
        Ok(())
    }
}

/// Empties a file whose records were persisted, off the callers' path (the worker).
pub(super) struct Emptier {
    file: File,
    map: Option<Arc<Mapped>>,
    end: u64,
}

impl Emptier {
    pub(super) fn empty(&self) -> io::Result<()> {
        if let Some(map) = &self.map {
            if map.usable(&self.file) {
                return empty_mapped(&self.file, &map.mapping, self.end);
            }
            // Truncated behind our back: allocate it again, so the mapping is whole.
            self.file.set_len(0)?;
            if platform::preallocate(&self.file, map.len()).is_ok() && covers(&self.file, map.len())
            {
                return Ok(());
            }
            map.given_up.store(true, Ordering::SeqCst);
        }
        self.file.set_len(0)?;
        self.file.set_len(CHUNK)
    }
}

/// Zeroes the `end` bytes written to a mapped file, keeping its allocation (a record
/// left behind could be replayed after newer, shorter ones). What went beyond the
/// mapping, with `pwrite`, is zeroed with writes: Windows refuses to shrink a file
/// while it is mapped.
fn empty_mapped(file: &File, mapping: &SharedMapping, end: u64) -> io::Result<()> {
    let mapped = mapping.len() as u64;
    mapping.zero(0..end.min(mapped) as usize);
    platform::write_zeros(file, mapped..end.max(mapped))
}
