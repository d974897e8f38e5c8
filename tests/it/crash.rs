//! Crash safety, shown by killing: a child process tracks and delivers events and is
//! killed (SIGKILL) at random moments, again and again, each time restarted on the same
//! database; a last run ends cleanly and flushes. Then the collector's side must show
//! that nothing acknowledged was lost, that each session's numbers are unique and
//! gap-free, and that every duplicate is a batch whose reply the kill cut off.
//!
//! `HAMUSTRO_LONG_TESTS=1` kills 200 times instead of 10; `HAMUSTRO_TEST_SEED` repeats
//! a run's kill moments and collector script.

use crate::support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine as _;
use hamustro::Tracker;
use serde_json::json;
use support::child::{self, Child};
use support::collector::{Collector, ReceivedCollection, ReceivedEvent, Reply};
use support::xorshift::XorShift;
use support::{config, figures, temp_db, SECRET, WAIT};

/// The child test below; the parent runs this binary again with only it selected.
const CHILD_TEST: &str = "crash::child_tracks_events_until_killed";
const LONG_ENV: &str = "HAMUSTRO_LONG_TESTS";
/// A small queue, so that delivery runs all the time and kills land in requests.
const QUEUE_SIZE: u32 = 5;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// Held-back answers stay well inside the request timeout: a reply is lost only when
/// a kill cuts it off, which makes every duplicate attributable.
const SLOWEST_REPLY_MS: u64 = 200;
/// The child's pause between events, like an app between actions.
const TRACK_PACE: Duration = Duration::from_millis(1);
/// Events the clean last run tracks before it flushes.
const LAST_RUN_EVENTS: u64 = 50;

/// The child process: tracks numbered events and acknowledges each one that returned
/// OK, until killed (or, in the last run, flushes and reports what stayed queued).
#[test]
fn child_tracks_events_until_killed() {
    let Some(job) = child::job() else { return };
    let job: serde_json::Value = serde_json::from_str(&job).expect("job is JSON");
    let run = job["run"].as_u64().unwrap();
    let last = job["last"].as_bool().unwrap();
    let tracker = Tracker::new(support::with(
        config(
            &run_url(job["url"].as_str().unwrap(), run),
            Path::new(job["db"].as_str().unwrap()),
        ),
        |c| {
            c.queue_size = QUEUE_SIZE;
            c.request_timeout = REQUEST_TIMEOUT;
        },
    ))
    .expect("the tracker opens on the database a killed run left");
    // Until killed; the bound only stops a child whose parent is gone.
    let events = if last { LAST_RUN_EVENTS } else { 200_000 };
    for i in 0..events {
        let id = format!("{run}.{i}");
        tracker
            .track_event("Crash.Tick", &[("id", id.as_str())])
            .expect("track_event failed");
        child::say("ack", &id);
        thread::sleep(TRACK_PACE);
    }
    tracker
        .flush(WAIT)
        .expect("the last run delivers everything");
    child::say("queued", tracker.queued());
}

#[test]
fn no_acknowledged_event_is_lost_when_the_app_is_killed_again_and_again() {
    let long = std::env::var(LONG_ENV).is_ok_and(|v| v == "1");
    let kills = if long { 200 } else { 10 };
    let seed = XorShift::seed_from_env();
    eprintln!("crash test: seed {seed} (set HAMUSTRO_TEST_SEED to repeat it)");
    let mut rng = XorShift::new(seed);
    let started = Instant::now();

    let collector = Collector::start(SECRET);
    // Some requests are answered late, so that kills cut off replies.
    collector.script((0..kills * 200).map(|_| {
        if rng.one_in(6) {
            Reply::slow(Duration::from_millis(rng.between(20, SLOWEST_REPLY_MS)))
        } else {
            Reply::Validate
        }
    }));
    let slow_replies = slow_reply_signal(&collector);
    let (_dir, db) = temp_db();
    let job = |run: u64, last: bool| {
        json!({ "url": collector.url(), "db": db, "run": run, "last": last }).to_string()
    };

    let mut acknowledged = HashSet::new();
    let mut aimed_at_replies = 0;
    let mut startup_kills = 0;
    let mut run = 0;
    for kill in 0..kills {
        if kill % 4 == 3 {
            // Now and then a kill during start-up, while the journal is replayed.
            let child = Child::spawn(CHILD_TEST, &job(run, false));
            thread::sleep(Duration::from_millis(rng.between(0, 8)));
            acknowledge(&mut acknowledged, child.kill());
            startup_kills += 1;
            run += 1;
        }
        let child = Child::spawn(CHILD_TEST, &job(run, false));
        // Progress first: the run must have tracked something before it dies.
        let first = child.next(WAIT).expect("the child acknowledged nothing");
        acknowledge(&mut acknowledged, [first]);
        if kill % 3 == 2 {
            // Every third kill lands while the collector holds back an answer: it has
            // the events, the app never hears so.
            if let Some(delay) = next_slow_reply(&slow_replies, run, Duration::from_secs(2)) {
                thread::sleep(delay.mul_f64(rng.between(0, 90) as f64 / 100.0));
                aimed_at_replies += 1;
            }
        } else {
            thread::sleep(Duration::from_millis(rng.between(2, 100)));
        }
        acknowledge(&mut acknowledged, child.kill());
        run += 1;
    }
    let (status, said) = Child::spawn(CHILD_TEST, &job(run, true)).finish(Duration::from_secs(120));
    assert!(status.success(), "the clean last run failed: {status}");
    assert!(
        said.contains(&("queued".into(), "0".into())),
        "the last run left events queued: {said:?}"
    );
    acknowledge(&mut acknowledged, said);

    let audit = Audit::of(&collector.events(), &collector.collections());
    assert!(
        audit.lost(&acknowledged).is_empty(),
        "{} acknowledged events never arrived, e.g. {:?}",
        audit.lost(&acknowledged).len(),
        audit.lost(&acknowledged).iter().take(5).collect::<Vec<_>>()
    );
    audit.assert_numbers_unique_and_gap_free();
    audit.assert_duplicates_are_cut_off_replies();
    figures::report(&format!(
        "crash test: {} kills survived, 0 events lost, {} duplicates \
         ({startup_kills} kills during start-up, {aimed_at_replies} aimed at a held-back \
         reply; {} acknowledged events, {} distinct events received, {} batches resent \
         after their reply was cut off, {} requests, seed {seed}, {:.1} s)",
        kills + startup_kills,
        audit.duplicates(),
        acknowledged.len(),
        audit.by_number.len(),
        audit.resent.len(),
        collector.requests().len(),
        started.elapsed().as_secs_f64()
    ));
}

fn acknowledge(
    acknowledged: &mut HashSet<String>,
    said: impl IntoIterator<Item = (String, String)>,
) {
    acknowledged.extend(
        said.into_iter()
            .filter(|(word, _)| word == "ack")
            .map(|(_, id)| id),
    );
}

/// Each request the collector holds back: the run that sent it and the delay.
fn slow_reply_signal(collector: &Collector) -> Receiver<(u64, Duration)> {
    let (sender, receiver) = mpsc::channel();
    collector.on_request(Box::new(move |request| {
        if let (Some(run), Some(delay), 200) =
            (run_of(&request.headers), request.delay, request.status)
        {
            let _ = sender.send((run, delay));
        }
    }));
    receiver
}

/// Waits for run `run`'s next held-back reply, skipping earlier runs' ones.
fn next_slow_reply(
    slow_replies: &Receiver<(u64, Duration)>,
    run: u64,
    timeout: Duration,
) -> Option<Duration> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match slow_replies.recv_timeout(left).ok()? {
            (from, delay) if from == run => return Some(delay),
            _ => continue,
        }
    }
}

/// What the collector received, indexed for the checks.
struct Audit {
    /// Each (session, nr) and the id of the event that carried it.
    by_number: BTreeMap<(String, u32), String>,
    received: usize,
    /// Indexes of collections some of whose events arrived again later.
    resent: Vec<usize>,
    collections: Vec<ReceivedCollection>,
}

impl Audit {
    fn of(events: &[ReceivedEvent], collections: &[ReceivedCollection]) -> Audit {
        let mut by_number = BTreeMap::new();
        let mut by_id: HashMap<String, (String, u32)> = HashMap::new();
        for event in events {
            let id = event.param("id").expect("every event has an id").to_owned();
            let number = (event.session.clone(), event.nr);
            let previous = by_number.insert(number.clone(), id.clone());
            assert!(
                previous.as_ref().is_none_or(|p| *p == id),
                "nr {} of session {} carried two events: {previous:?} and {id}",
                event.nr,
                event.session
            );
            let earlier = by_id.insert(id.clone(), number.clone());
            assert!(
                earlier.as_ref().is_none_or(|e| *e == number),
                "event {id} arrived under two numbers: {earlier:?} and {number:?}"
            );
        }
        let mut seen = HashSet::new();
        let mut resent = Vec::new();
        // Walk backwards: a collection is resent when a later one repeats its events.
        for (index, received) in collections.iter().enumerate().rev() {
            let numbers: Vec<_> = numbers_of(received).collect();
            if numbers.iter().any(|n| seen.contains(n)) {
                resent.push(index);
            }
            seen.extend(numbers);
        }
        resent.reverse();
        Audit {
            by_number,
            received: events.len(),
            resent,
            collections: collections.to_vec(),
        }
    }

    fn lost<'a>(&self, acknowledged: &'a HashSet<String>) -> Vec<&'a String> {
        let received: HashSet<&String> = self.by_number.values().collect();
        acknowledged
            .iter()
            .filter(|id| !received.contains(id))
            .collect()
    }

    fn duplicates(&self) -> usize {
        self.received - self.by_number.len()
    }

    /// Per session, the numbers received are exactly 1..=highest.
    fn assert_numbers_unique_and_gap_free(&self) {
        let mut sessions: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
        for (session, nr) in self.by_number.keys() {
            sessions.entry(session).or_default().push(*nr);
        }
        assert!(!sessions.is_empty(), "nothing arrived");
        for (session, numbers) in sessions {
            let highest = *numbers.last().unwrap();
            let missing: Vec<u32> = (1..=highest)
                .filter(|nr| numbers.binary_search(nr).is_err())
                .collect();
            assert!(
                missing.is_empty(),
                "session {session} has gaps: {} numbers of 1..={highest} missing, e.g. {:?}",
                missing.len(),
                &missing[..missing.len().min(10)]
            );
        }
    }

    /// A batch is sent again only when its reply was lost, and here replies are lost
    /// only to kills: so each resent batch is the last one its run sent, and all of
    /// its events came again.
    fn assert_duplicates_are_cut_off_replies(&self) {
        let run_of = |received: &ReceivedCollection| run_of(&received.headers);
        let mut last_of_run = HashMap::new();
        for (index, received) in self.collections.iter().enumerate() {
            last_of_run.insert(run_of(received), index);
        }
        for &index in &self.resent {
            let received = &self.collections[index];
            assert_eq!(
                last_of_run.get(&run_of(received)),
                Some(&index),
                "batch {index} (run {:?}, numbers {:?}) was sent again although a later \
                 request of the same run was answered",
                run_of(received),
                numbers_of(received).map(|(_, nr)| nr).collect::<Vec<_>>()
            );
            let later: HashSet<_> = self.collections[index + 1..]
                .iter()
                .flat_map(numbers_of)
                .collect();
            assert!(
                numbers_of(received).all(|n| later.contains(&n)),
                "batch {index} was only partly sent again"
            );
        }
    }
}

/// The collector URL for run `run`: the run is its user name, so that every request
/// names the process that sent it, even one sent before the app made any call.
fn run_url(url: &str, run: u64) -> String {
    url.replacen("://", &format!("://run-{run}@"), 1)
}

/// The run named by a request's `Authorization: Basic` header (see `run_url`).
fn run_of(headers: &[(String, String)]) -> Option<u64> {
    let (_, value) = headers.iter().find(|(name, _)| name == "authorization")?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let user = String::from_utf8(decoded).ok()?;
    user.strip_prefix("run-")?.strip_suffix(':')?.parse().ok()
}

fn numbers_of(received: &ReceivedCollection) -> impl Iterator<Item = (String, u32)> + '_ {
    let session = &received.collection.session;
    received
        .collection
        .payloads
        .iter()
        .map(move |payload| (session.clone(), payload.nr))
}
