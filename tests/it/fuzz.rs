//! Randomised input against everything that reads untrusted bytes: the C entry points
//! (strings, arrays, handles) and the decoding of stored rows and journal records.
//! cargo-fuzz needs a nightly toolchain this project does not have, so this is a
//! seeded generator run briefly in every test run; `HAMUSTRO_FUZZ_ITERATIONS` runs it
//! longer (the seed is printed, so a failure can be replayed with `HAMUSTRO_FUZZ_SEED`).

use crate::support;

use std::ffi::{c_char, CString};

use hamustro::ffi::*;
use hamustro::internals::journal::decode_records;
use hamustro::internals::store::Store;
use support::{refused_url, temp_db, SECRET};

struct Rng(u64);

impl Rng {
    fn from_env() -> Rng {
        let seed = std::env::var("HAMUSTRO_FUZZ_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("fuzz seed {seed} (HAMUSTRO_FUZZ_SEED={seed} replays it)");
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn bytes(&mut self, max_len: u64) -> Vec<u8> {
        let len = self.below(max_len + 1);
        (0..len).map(|_| self.next() as u8).collect()
    }

    /// A C string: mostly text, sometimes invalid UTF-8, never an interior NUL.
    fn c_string(&mut self) -> CString {
        let mut bytes = match self.below(4) {
            0 => self.bytes(40),
            1 => "é🎮 level".as_bytes().to_vec(),
            2 => Vec::new(),
            _ => format!("k{}", self.below(8)).into_bytes(),
        };
        bytes.retain(|b| *b != 0);
        CString::new(bytes).unwrap()
    }
}

fn iterations(default: u64) -> u64 {
    std::env::var("HAMUSTRO_FUZZ_ITERATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[test]
fn journal_decoding_never_panics_on_random_or_damaged_bytes() {
    let mut rng = Rng::from_env();
    for _ in 0..iterations(20_000) {
        let mut bytes = rng.bytes(300);
        // Sometimes a plausible frame header, so decoding goes deeper.
        if rng.below(2) == 0 && bytes.len() >= 4 {
            let len = (bytes.len() as u32).saturating_sub(12);
            bytes[..4].copy_from_slice(&len.to_le_bytes());
        }
        for record in decode_records(&bytes) {
            assert!(record.payload.len() <= bytes.len());
        }
    }
}

#[test]
fn stored_rows_that_do_not_decode_are_quarantined_never_sent_or_fatal() {
    let mut rng = Rng::from_env();
    let (_dir, db) = temp_db();
    let (mut store, _) = Store::open(&db).unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(&db).unwrap();
    for _ in 0..iterations(300) {
        let header = rng.bytes(64);
        conn.execute(
            "INSERT OR IGNORE INTO profiles(header) VALUES (?1)",
            [&header],
        )
        .unwrap();
        let profile: i64 = conn
            .query_row(
                "SELECT id FROM profiles WHERE header = ?1",
                [&header],
                |r| r.get(0),
            )
            .unwrap();
        let nr = rng.next() as u32;
        conn.execute(
            "INSERT OR IGNORE INTO events(profile_id, nr, payload) VALUES (?1, ?2, ?3)",
            rusqlite::params![profile, nr, rng.bytes(64)],
        )
        .unwrap();
    }
    drop(conn);
    (store, _) = Store::open(&db).unwrap();
    let mut batches = 0;
    while let Some(batch) = store.next_batch(50, 64 * 1024).unwrap() {
        // Whatever decodes is sendable; delete it as the worker would after a 200.
        assert_eq!(batch.ids.len(), batch.payloads.len());
        store.delete_delivered(&batch.ids, 1).unwrap();
        batches += 1;
        assert!(batches < 10_000, "the queue never drained");
    }
    let left: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!((left, store.queued()), (0, 0));
}

#[test]
// One `match` arm per C function: the list is long because the API is.
#[allow(clippy::too_many_lines)]
fn random_calls_through_the_c_api_return_a_status_and_never_panic() {
    let mut rng = Rng::from_env();
    let (_dir, db) = temp_db();
    let url = CString::new(refused_url()).unwrap();
    let db_path = CString::new(db.to_str().unwrap()).unwrap();
    let mut config = HamustroConfig::default();
    let mut trackers = Vec::new();
    // SAFETY: the out-parameters are live locals; the values are live CStrings.
    unsafe {
        hamustro_config_new(&raw mut config);
        for (setter, value) in [
            (
                hamustro_config_set_collector_url
                    as unsafe extern "C" fn(HamustroConfig, *const c_char) -> HamustroStatus,
                url.as_c_str(),
            ),
            (
                hamustro_config_set_shared_secret_key,
                &CString::new(SECRET).unwrap(),
            ),
            (hamustro_config_set_device_id, c"d"),
            (hamustro_config_set_client_id, c"fuzz"),
            (hamustro_config_set_system_version, c"1"),
            (hamustro_config_set_product_version, c"1"),
            (hamustro_config_set_database_path, db_path.as_c_str()),
        ] {
            assert_eq!(setter(config, value.as_ptr()), HamustroStatus::Ok);
        }
        let mut tracker = HamustroTracker::default();
        assert_eq!(
            hamustro_tracker_new(config, &raw mut tracker),
            HamustroStatus::Ok
        );
        trackers.push(tracker);
    }
    for _ in 0..iterations(3_000) {
        // Any id, used as either kind: a C caller can forge one whatever the types.
        let id = match rng.below(4) {
            0 => rng.next(),
            1 => 0,
            2 => config.id,
            _ => trackers[0].id,
        };
        let (as_config, as_tracker) = (HamustroConfig { id }, HamustroTracker { id });
        let count = rng.below(5) as usize;
        let names: Vec<CString> = (0..count).map(|_| rng.c_string()).collect();
        let values: Vec<CString> = (0..count).map(|_| rng.c_string()).collect();
        let mut name_ptrs: Vec<*const c_char> = names.iter().map(|s| s.as_ptr()).collect();
        let value_ptrs: Vec<*const c_char> = values.iter().map(|s| s.as_ptr()).collect();
        if count > 0 && rng.below(8) == 0 {
            name_ptrs[rng.below(count as u64) as usize] = std::ptr::null();
        }
        let text = rng.c_string();
        let maybe_null = |p: *const c_char, rng: &mut Rng| {
            if rng.below(6) == 0 {
                std::ptr::null()
            } else {
                p
            }
        };
        // The same strings packed into one buffer, or random bytes; any prefix of it.
        let packed: Vec<u8> = if rng.below(4) == 0 {
            rng.bytes(60)
        } else {
            let pairs = names.iter().zip(&values).flat_map(|(n, v)| [n, v]);
            std::iter::once(&text)
                .chain(pairs)
                .flat_map(|s| s.as_bytes_with_nul().iter().copied())
                .collect()
        };
        let packed_len = if rng.below(4) == 0 {
            rng.below(packed.len() as u64 + 1) as usize
        } else {
            packed.len()
        };
        // SAFETY: each pointer is NULL (which the C API refuses) or points into the live
        // CStrings, the pointer arrays of `count` entries, `packed` (read for at most
        // `packed_len <= packed.len()` bytes) or `stats`, a live HamustroStats the library
        // writes no more of than its own size.
        let status = unsafe {
            match rng.below(10) {
                0 => hamustro_tracker_track_event(
                    as_tracker,
                    maybe_null(text.as_ptr(), &mut rng),
                    name_ptrs.as_ptr(),
                    value_ptrs.as_ptr(),
                    count,
                ),
                1 => hamustro_tracker_set_user(
                    as_tracker,
                    maybe_null(text.as_ptr(), &mut rng),
                    maybe_null(text.as_ptr(), &mut rng),
                ),
                2 => hamustro_tracker_set_headers(
                    as_tracker,
                    name_ptrs.as_ptr(),
                    value_ptrs.as_ptr(),
                    count,
                ),
                3 => hamustro_tracker_set_global_parameter(
                    as_tracker,
                    maybe_null(text.as_ptr(), &mut rng),
                    maybe_null(text.as_ptr(), &mut rng),
                ),
                4 => hamustro_config_set_client_id(as_config, maybe_null(text.as_ptr(), &mut rng)),
                5 => hamustro_config_set_env(as_config, rng.next() as i32 % 16),
                6 => hamustro_config_set_ip(as_config, maybe_null(text.as_ptr(), &mut rng)),
                7 => {
                    let mut stats = HamustroStats {
                        size: rng.below(200) as u32,
                        ..HamustroStats::default()
                    };
                    hamustro_tracker_get_stats(as_tracker, &raw mut stats)
                }
                8 => hamustro_tracker_track_event_packed(
                    as_tracker,
                    maybe_null(packed.as_ptr().cast(), &mut rng),
                    packed_len,
                ),
                _ => hamustro_tracker_flush(as_tracker, 1),
            }
        };
        assert_ne!(status, HamustroStatus::Internal, "a panic was caught");
        assert!((status as u32) <= 8);
    }
    for tracker in trackers {
        hamustro_tracker_free(tracker);
    }
    hamustro_config_free(config);
}
