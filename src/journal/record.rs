//! The journal's record: how one event is framed, sealed with its numbers and a
//! checksum, and decoded again on replay.
//!
//! A record is its body's length (u32), a checksum of the body (u64), then the body:
//! seq (u64), profile id (i64), nr (u32), session length (u8), session, the encoded
//! payload; all little-endian. Zeros never decode (a zero length is too short for a
//! body), so the zeroed bytes after the last record end the replay.
//!
//! The checksum (`word_hash`) is over the body from byte 20 on, then over its first 20
//! bytes (seq, profile id, nr): all but those 20 bytes are hashed when the record is
//! built, before the journal's lock, and sealing under the lock hashes only the
//! numbers. Records of earlier versions, hashed with FNV-1a over the body in order,
//! still decode.

use std::fs::File;
use std::io;
use std::ops::Range;

use super::payload::PayloadRef;
use crate::platform;
#[cfg(any(test, feature = "internals"))]
use {super::payload, crate::wire::Payload};

/// Fixed part of a record: body length (u32), checksum (u64).
pub(super) const FRAME: usize = 12;
/// Fixed part of a body: seq (u64), profile id (i64), nr (u32), session length (u8).
const BODY_FIXED: usize = 21;

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
pub struct Frame {
    bytes: Vec<u8>,
    /// The hash of the body after its first `NUMBERED` bytes, for `seal` to go on from.
    tail_hash: u64,
}

/// The body's first bytes: seq, profile id, nr; what `seal` writes and hashes.
const NUMBERED: usize = 20;

impl Frame {
    /// Encodes `payload` straight into the record, in one allocation: for the tests
    /// and fuzz targets, which build payloads as `wire::Payload`.
    #[cfg(any(test, feature = "internals"))]
    pub fn new(profile_id: i64, session: &str, payload: &Payload) -> Frame {
        let mut pairs = Vec::with_capacity(payload.parameters.len());
        let payload = payload::borrowed(payload, &mut pairs);
        Frame::of(profile_id, session, &payload, payload.encoded_len())
    }

    /// The same from borrowed parts: what tracking uses, copying each string once,
    /// into the record. `encoded_len` is the payload's (`PayloadRef::encoded_len`),
    /// which the caller has already checked against its limit.
    pub fn of(
        profile_id: i64,
        session: &str,
        payload: &PayloadRef<'_>,
        encoded_len: usize,
    ) -> Frame {
        // At most 255 bytes, cut on a character boundary: a record must decode.
        let mut cut = session.len().min(255);
        while !session.is_char_boundary(cut) {
            cut -= 1;
        }
        let session = &session.as_bytes()[..cut];
        let body_len = BODY_FIXED + session.len() + encoded_len;
        let mut bytes = Vec::with_capacity(FRAME + body_len);
        bytes.extend_from_slice(&(body_len as u32).to_le_bytes());
        bytes.extend_from_slice(&[0; 8]); // checksum, by `seal`
        bytes.extend_from_slice(&[0; 8]); // seq, by `seal`
        bytes.extend_from_slice(&profile_id.to_le_bytes());
        bytes.extend_from_slice(&[0; 4]); // nr, by `seal`
        bytes.push(session.len() as u8);
        bytes.extend_from_slice(session);
        payload.encode_sized(&mut bytes, encoded_len);
        debug_assert_eq!(
            bytes.len(),
            FRAME + body_len,
            "encoded_len was not the payload's"
        );
        let tail_hash = word_hash(body_len as u64, &bytes[FRAME + NUMBERED..]);
        Frame { bytes, tail_hash }
    }

    /// Writes the numbers and the checksum: 20 bytes hashed, the rest was at `of`.
    pub(super) fn seal(&mut self, seq: u64, nr: u32) {
        let bytes = &mut self.bytes;
        bytes[FRAME..FRAME + 8].copy_from_slice(&seq.to_le_bytes());
        bytes[FRAME + 16..FRAME + 20].copy_from_slice(&nr.to_le_bytes());
        let checksum = word_hash(self.tail_hash, &bytes[FRAME..FRAME + NUMBERED]);
        bytes[4..FRAME].copy_from_slice(&checksum.to_le_bytes());
    }
}

impl Frame {
    /// The sealed record's bytes.
    pub(super) fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// The valid records at the start of `bytes`; stops at the first torn or zeroed one.
#[cfg(any(test, feature = "internals"))]
pub fn decode_records(bytes: &[u8]) -> Vec<Record> {
    let mut records = Vec::new();
    let mut rest = bytes;
    while let Some((record, tail)) = decode_record(rest) {
        records.push(record);
        rest = tail;
    }
    records
}

pub(super) fn decode_record(bytes: &[u8]) -> Option<(Record, &[u8])> {
    let body_len = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    let checksum = u64::from_le_bytes(bytes.get(4..FRAME)?.try_into().ok()?);
    let body = bytes.get(FRAME..FRAME.checked_add(body_len)?)?;
    if body_len < BODY_FIXED || !checksum_matches(body, checksum) {
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

/// Whether `checksum` is the body's: as this version seals records, or as earlier
/// ones did (FNV-1a over the body in order), so that a journal they left replays.
fn checksum_matches(body: &[u8], checksum: u64) -> bool {
    let (numbered, tail) = body.split_at(NUMBERED);
    word_hash(word_hash(body.len() as u64, tail), numbered) == checksum
        || fnv1a64_from(FNV_OFFSET, body) == checksum
}

/// Goes on hashing from `hash` over `bytes`, 8 at a time (the last word padded with
/// zeros; the body's length, which seeds the hash, tells padding from zeros). Each
/// step, `hash ^ word` then a multiplication by an odd constant and an xor-shift, is a
/// bijection of the state, so a record differing from the sealed one in any single
/// word (a torn copy, a zeroed page) never matches; several differences match with a
/// chance of 2^-64. A tenth of FNV-1a's byte-at-a-time cost, on the caller's path.
/// Integrity against tampering is not the goal (the file is the app's own, mode 0600).
fn word_hash(mut hash: u64, bytes: &[u8]) -> u64 {
    let mix = |state: u64, word: u64| {
        let state = (state ^ word).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        state ^ (state >> 32)
    };
    let (words, rest) = bytes.as_chunks::<8>();
    for word in words {
        hash = mix(hash, u64::from_le_bytes(*word));
    }
    if !rest.is_empty() {
        let mut last = [0; 8];
        last[..rest.len()].copy_from_slice(rest);
        hash = mix(hash, u64::from_le_bytes(last));
    }
    hash
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a, 64 bits, going on from `hash`: how records of earlier versions were sealed.
fn fnv1a64_from(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// How much of a journal file is read at a time: some hundreds of records.
const READ_STEP: usize = 256 * 1024;

/// No record is longer (an event is at most 256 KiB): a longer length read from a
/// damaged file ends the records rather than asking for that much memory.
const MAX_RECORD: usize = 16 << 20;

/// Reads the records in `range` of `file`, at most `max`, into `records`, a step at a
/// time: never the whole file at once (a file that a backlog grew keeps its size,
/// zeros after the records). Returns where the next record starts, and whether the
/// records ended (zeros, a torn or damaged record, the end of the file) before `max`.
pub(super) fn read_records(
    file: &File,
    range: Range<u64>,
    max: usize,
    records: &mut Vec<Record>,
) -> io::Result<(u64, bool)> {
    let (mut next, mut read_count, mut step) = (range.start, 0, READ_STEP);
    while read_count < max {
        let available = usize::try_from(range.end.saturating_sub(next)).unwrap_or(usize::MAX);
        let mut buffer = vec![0; step.min(available)];
        let read = platform::read_at(file, &mut buffer, next)?;
        let mut rest = &buffer[..read];
        let before = read_count;
        while read_count < max {
            let Some((record, tail)) = decode_record(rest) else {
                break;
            };
            records.push(record);
            read_count += 1;
            next += (rest.len() - tail.len()) as u64;
            rest = tail;
        }
        if read_count > before {
            step = READ_STEP;
            continue;
        }
        // Nothing decoded: a record longer than the step, or the end of the records.
        let needed = rest
            .get(..4)
            .and_then(|len| len.try_into().ok())
            .map(|len| FRAME.saturating_add(u32::from_le_bytes(len) as usize));
        match needed {
            Some(needed)
                if needed > rest.len()
                    && read == buffer.len()
                    && needed <= available.min(MAX_RECORD) =>
            {
                step = needed;
            }
            _ => return Ok((next, true)),
        }
    }
    Ok((next, false))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use prost::Message as _;

    pub(crate) fn frame(profile_id: i64, session: &str, event: &str) -> Frame {
        let payload = Payload {
            event: event.into(),
            ..Payload::default()
        };
        Frame::new(profile_id, session, &payload)
    }

    pub(crate) fn event_of(record: &Record) -> String {
        Payload::decode(record.payload.as_slice()).unwrap().event
    }

    #[test]
    fn a_long_session_is_cut_on_a_character_boundary_and_still_decodes() {
        let session = "é".repeat(200);
        let mut sealed = frame(1, &session, "e");
        sealed.seal(0, 1);
        let mut bytes = sealed.bytes;
        let mut next = frame(1, "s", "after");
        next.seal(1, 2);
        bytes.extend_from_slice(&next.bytes);
        let records = decode_records(&bytes);
        assert_eq!(records.len(), 2, "the record and the one after it decode");
        assert!(session.starts_with(&records[0].session));
    }

    #[test]
    fn a_torn_tail_is_ignored_and_earlier_records_kept() {
        let sealed = |nr: u32| {
            let mut frame = frame(1, "s", &format!("e{nr}"));
            frame.seal(u64::from(nr), nr);
            frame.bytes
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

#[cfg(test)]
mod checksum_tests {
    use super::tests::frame;
    use super::*;

    #[test]
    fn a_record_sealed_as_earlier_versions_did_still_decodes() {
        let mut sealed = frame(3, "s", "old");
        sealed.seal(5, 7);
        let mut bytes = sealed.bytes;
        let checksum = fnv1a64_from(FNV_OFFSET, &bytes[FRAME..]);
        bytes[4..FRAME].copy_from_slice(&checksum.to_le_bytes());
        let records = decode_records(&bytes);
        assert_eq!(records.len(), 1);
        assert_eq!(
            (records[0].seq, records[0].nr, records[0].profile_id),
            (5, 7, 3)
        );
    }

    #[test]
    fn a_record_lengthened_over_the_zeros_after_it_is_noticed() {
        let mut sealed = frame(3, "s", "event");
        sealed.seal(1, 2);
        for extra in 1..=8usize {
            let mut bytes = sealed.bytes.clone();
            let body_len = u32::from_le_bytes(bytes[..4].try_into().unwrap()) as usize;
            bytes[..4].copy_from_slice(&((body_len + extra) as u32).to_le_bytes());
            bytes.resize(bytes.len() + extra, 0);
            assert!(decode_records(&bytes).is_empty(), "{extra} zeros");
        }
    }

    #[test]
    fn changing_any_byte_of_a_sealed_record_is_noticed() {
        let mut sealed = frame(3, "session", "event");
        sealed.seal(1, 2);
        for at in 0..sealed.bytes.len() {
            let mut bytes = sealed.bytes.clone();
            bytes[at] ^= 0x10;
            assert!(decode_records(&bytes).is_empty(), "byte {at}");
        }
    }
}
