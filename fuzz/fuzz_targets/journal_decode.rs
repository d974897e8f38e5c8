//! The journal: `decode_records` on any bytes never panics and returns only records
//! that are exactly the well-formed, checksummed frames at the start of the bytes;
//! and a sequence of journal operations (append, take, release, reopen, refusals at
//! the pending cap and at the last `nr`, records beyond a small memory budget)
//! replays after a reopen, and takes, exactly the records a model of the two files
//! says are there, in order, with their numbers.
#![no_main]

use arbitrary::Arbitrary;
use hamustro::internals::journal::{decode_records, Frame, Journal, Record, Taken};
use hamustro_fuzz::{scratch_dir, wipe, ArbPayload};
use libfuzzer_sys::fuzz_target;
use prost::Message as _;

#[derive(Arbitrary, Debug)]
enum Input {
    Bytes(Vec<u8>),
    /// Records framed as the journal frames them, then damaged.
    Framed {
        records: Vec<RawRecord>,
        damage: Damage,
    },
    Operations {
        last_nr: LastNr,
        max_pending: u8,
        operations: Vec<Operation>,
    },
}

#[derive(Arbitrary, Debug)]
struct RawRecord {
    seq: u64,
    profile_id: i64,
    nr: u32,
    session: Vec<u8>,
    payload: Vec<u8>,
    /// A declared session length different from the real one.
    session_len: Option<u8>,
    bad_checksum: bool,
}

#[derive(Arbitrary, Debug)]
enum Damage {
    None,
    Truncate(u16),
    FlipBit(u16, u8),
    ZeroTail(u16),
    Append(Vec<u8>),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum LastNr {
    Zero,
    Small(u8),
    NearTheEnd(u8),
}

#[derive(Arbitrary, Debug)]
enum Operation {
    Append {
        profile_id: i64,
        session: Session,
        payload: Box<ArbPayload>,
    },
    Take,
    Release,
    /// Drops the journal and opens it again (a restart), then clears and starts it.
    Reopen,
}

#[derive(Arbitrary, Debug)]
enum Session {
    /// What the library uses: 32 lowercase hex digits.
    Hex(u128),
    Ascii(Vec<u8>),
}

impl Session {
    fn text(&self) -> String {
        match self {
            Session::Hex(n) => format!("{n:032x}"),
            Session::Ascii(bytes) => bytes.iter().map(|b| char::from(b % 128)).collect(),
        }
    }
}

fuzz_target!(|input: Input| match input {
    Input::Bytes(bytes) => check_decoding(&bytes),
    Input::Framed { records, damage } => {
        let mut bytes = Vec::new();
        for record in &records {
            bytes.extend(frame_bytes(record));
        }
        match damage {
            Damage::None => {}
            Damage::Truncate(n) => bytes.truncate(usize::from(n)),
            Damage::FlipBit(at, bit) => {
                if !bytes.is_empty() {
                    let at = usize::from(at) % bytes.len();
                    bytes[at] ^= 1 << (bit % 8);
                }
            }
            Damage::ZeroTail(n) => {
                let from = bytes.len().saturating_sub(usize::from(n));
                bytes[from..].fill(0);
            }
            Damage::Append(tail) => bytes.extend(tail),
        }
        check_decoding(&bytes);
    }
    Input::Operations {
        last_nr,
        max_pending,
        operations,
    } => run_operations(last_nr, max_pending, &operations),
});

/// Decoded records must be exactly the frames at the start of `bytes`: re-framing
/// them gives back that prefix, byte for byte.
fn check_decoding(bytes: &[u8]) {
    let records = decode_records(bytes);
    let mut offset = 0;
    for record in &records {
        assert!(record.session.len() <= 255);
        let framed = frame_bytes(&RawRecord {
            seq: record.seq,
            profile_id: record.profile_id,
            nr: record.nr,
            session: record.session.as_bytes().to_vec(),
            payload: record.payload.clone(),
            session_len: None,
            bad_checksum: false,
        });
        assert_eq!(
            bytes.get(offset..offset + framed.len()),
            Some(framed.as_slice()),
            "record {record:?} is not the frame at offset {offset}"
        );
        offset += framed.len();
    }
}

/// The journal's record format: body length (u32 LE), FNV-1a 64 of the body (u64
/// LE), then the body: seq (u64), profile id (i64), nr (u32), session length (u8),
/// session, payload.
fn frame_bytes(record: &RawRecord) -> Vec<u8> {
    let session = &record.session[..record.session.len().min(255)];
    let mut body = Vec::new();
    body.extend_from_slice(&record.seq.to_le_bytes());
    body.extend_from_slice(&record.profile_id.to_le_bytes());
    body.extend_from_slice(&record.nr.to_le_bytes());
    body.push(record.session_len.unwrap_or(session.len() as u8));
    body.extend_from_slice(session);
    body.extend_from_slice(&record.payload);
    let mut checksum = body.iter().fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    if record.bad_checksum {
        checksum ^= 1;
    }
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&(body.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&checksum.to_le_bytes());
    bytes.extend(body);
    bytes
}

/// What the two journal files hold, as records in the order they were appended.
struct Model {
    files: [Vec<Record>; 2],
    active: usize,
    /// Appended and not yet taken.
    pending: usize,
    /// The file a `Taken` still waits to empty.
    unreleased: Option<usize>,
    seq: u64,
    last_nr: u32,
    max_pending: usize,
}

fn run_operations(last_nr: LastNr, max_pending: u8, operations: &[Operation]) {
    let dir = scratch_dir("journal_decode");
    wipe(dir);
    let database = dir.join("q.sqlite3");
    let start_nr = match last_nr {
        LastNr::Zero => 0,
        LastNr::Small(n) => u32::from(n),
        LastNr::NearTheEnd(n) => u32::MAX - u32::from(n % 8),
    };
    // The low bits bound the pending records; the high ones, when set, how many bytes
    // of them memory holds (beyond, they are in the file alone and read back from it).
    let memory_budget = usize::from(max_pending / 16) * 48;
    let max_pending = usize::from(max_pending % 16).max(1);
    let (mut journal, left) = Journal::open(&database).expect("a fresh journal opens");
    assert!(left.is_empty());
    journal.clear().expect("a fresh journal clears");
    journal.start(start_nr, max_pending);
    if memory_budget > 0 {
        journal.set_memory_budget(memory_budget);
    }
    let mut model = Model {
        files: [Vec::new(), Vec::new()],
        active: 0,
        pending: 0,
        unreleased: None,
        seq: 0,
        last_nr: start_nr,
        max_pending,
    };
    let mut taken: Option<Taken> = None;
    for operation in operations.iter().take(64) {
        match operation {
            Operation::Append {
                profile_id,
                session,
                payload,
            } => {
                let session = session.text();
                let mut payload = payload.wire();
                payload.nr = 0;
                let frame = Frame::new(*profile_id, &session, &payload);
                let result = journal.append(frame);
                if model.pending >= model.max_pending || model.last_nr == u32::MAX {
                    assert!(result.is_err(), "append beyond the cap or nr was accepted");
                    continue;
                }
                let nr = result.expect("append within the cap fails");
                assert_eq!(
                    nr,
                    model.last_nr + 1,
                    "the next nr is not the last plus one"
                );
                model.last_nr = nr;
                model.files[model.active].push(Record {
                    seq: model.seq,
                    profile_id: *profile_id,
                    session: session[..session.len().min(255)].to_string(),
                    nr,
                    payload: payload.encode_to_vec(),
                });
                model.seq += 1;
                model.pending += 1;
            }
            Operation::Take => {
                // The file taken from must be emptied before it is appended to again.
                if model.unreleased.is_some() {
                    continue;
                }
                let result = journal.take().expect("take fails");
                if model.pending == 0 {
                    assert!(result.is_none(), "take with nothing pending took something");
                    continue;
                }
                let got = result.expect("take with records pending took nothing");
                let active = &model.files[model.active];
                assert_eq!(got.batches.records(), active[active.len() - model.pending..]);
                model.unreleased = Some(model.active);
                model.active = 1 - model.active;
                model.pending = 0;
                taken = Some(got);
            }
            Operation::Release => {
                if let (Some(file), Some(got)) = (model.unreleased.take(), taken.take()) {
                    got.release().expect("release fails");
                    model.files[file].clear();
                }
            }
            Operation::Reopen => {
                drop(taken.take());
                drop(journal);
                let (reopened, left) = Journal::open(&database).expect("the journal reopens");
                let mut expected: Vec<Record> = model.files.iter().flatten().cloned().collect();
                expected.sort_by_key(|r| r.seq);
                assert_eq!(left, expected, "a reopened journal replays other records");
                journal = reopened;
                journal.clear().expect("the journal clears");
                journal.start(model.last_nr, model.max_pending);
                model.files = [Vec::new(), Vec::new()];
                model.active = 0;
                model.pending = 0;
                model.unreleased = None;
                model.seq = 0;
            }
        }
    }
    drop(taken);
    drop(journal);
    let (_journal, left) = Journal::open(&database).expect("the journal reopens");
    let mut expected: Vec<Record> = model.files.iter().flatten().cloned().collect();
    expected.sort_by_key(|r| r.seq);
    assert_eq!(left, expected, "a reopened journal replays other records");
}
