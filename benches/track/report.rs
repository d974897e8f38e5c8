//! The table: each figure beside its target, with a verdict.

use serde_json::Value;

use crate::backlog::{FlushRun, StartupRun};
use crate::cdylib::CdylibInfo;
use crate::delivery::{CollectorMode, TrackRun};
use crate::game::{GameRun, GAME_RATE_PER_S, GAME_SECONDS, GAME_THREADS};
use crate::latency::{ms, us, Latency};
use crate::targets;
use crate::{
    EVENT, FLOOR_BLOB_BYTES, FLUSH_BACKLOG, PYTHON_CALLS, STARTUP_BACKLOG, STARTUP_REPS, THREADS,
    TRACKED,
};

pub struct Report {
    pub cpus: usize,
    /// The 1-minute load average before and after the measurements: other work on the
    /// machine shows here, and in the tails.
    pub load: [f64; 2],
    pub floor: Latency,
    pub write_floor: Latency,
    pub write_floor_threads: Latency,
    pub single: TrackRun,
    pub multi: TrackRun,
    pub ceiling: TrackRun,
    pub multi_ceiling: TrackRun,
    pub game: GameRun,
    pub flush: FlushRun,
    pub startup: StartupRun,
    pub rss: Result<Value, String>,
    pub cdylib: CdylibInfo,
    pub python: Result<Value, String>,
}

impl Report {
    /// What the Python wrapper adds to a call, at the median: its p50 less the p50 of
    /// the same event tracked by the library itself on one thread (the 1-thread run,
    /// validating collector), in this run. The C ABI's conversions count as the
    /// wrapper's: they are what a binding pays on top of the library.
    pub fn python_wrapper_own_us(&self) -> Option<f64> {
        let python = number(self.python.as_ref().ok()?, "p50_us");
        Some(((python - us(self.single.latency.p50_ns)) * 100.0).round() / 100.0)
    }
}

pub fn verdict(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "MISSED"
    }
}

pub fn number(value: &Value, name: &str) -> f64 {
    value.get(name).and_then(Value::as_f64).unwrap_or(f64::NAN)
}

/// Which latency targets `l` misses, e.g. "ok" or "MISSED p99.9".
pub fn latency_verdict(l: &Latency) -> String {
    let missed: Vec<&str> = [
        (us(l.p50_ns) > targets::P50_US, "p50"),
        (us(l.p99_ns) > targets::P99_US, "p99"),
        (us(l.p999_ns) > targets::P999_US, "p99.9"),
    ]
    .into_iter()
    .filter_map(|(missed, name)| missed.then_some(name))
    .collect();
    if missed.is_empty() {
        "ok".into()
    } else {
        format!("MISSED {}", missed.join(", "))
    }
}

impl TrackRun {
    pub fn label(&self) -> String {
        let threads = match self.threads {
            1 => "1 thread".to_string(),
            n => format!("{n} threads x {}", TRACKED / n),
        };
        match self.mode {
            CollectorMode::Validating => format!("{threads}, validating collector"),
            CollectorMode::AnswerOnly200 => format!("{threads}, 200-only collector"),
        }
    }

    /// Runs against the answer-only collector are references, without a verdict.
    pub fn target(&self, minimum: f64) -> String {
        match self.mode {
            CollectorMode::Validating => format!(">= {minimum:.0}"),
            CollectorMode::AnswerOnly200 => "(reference)".into(),
        }
    }

    pub fn verdict(&self, ok: bool) -> Option<bool> {
        (self.mode == CollectorMode::Validating).then_some(ok)
    }
}

impl GameRun {
    pub fn label() -> String {
        format!(
            "track, game: {GAME_THREADS} threads x {GAME_RATE_PER_S}/s x {GAME_SECONDS} s, cores busy"
        )
    }
}

pub const NAME_WIDTH: usize = 58;

impl Report {
    /// The runs with delivery: the measured ones, then the references.
    pub fn runs(&self) -> [&TrackRun; 4] {
        [
            &self.single,
            &self.multi,
            &self.ceiling,
            &self.multi_ceiling,
        ]
    }

    pub fn print_table(&self) {
        let stored = self.startup.stored_event_bytes;
        println!();
        println!(
            "hamustro bench: {} CPUs (load average {:.2} before, {:.2} after), release profile; \
             event \"{EVENT}\" with 3 parameters ({stored:.0} B stored per event)",
            self.cpus, self.load[0], self.load[1]
        );
        println!(
            "validating collector: the in-process test collector (collector/), \
             checking and recording every event"
        );
        println!(
            "200-only collector: the same server answering 200 without validating or recording \
             (reference: what the library alone can do)"
        );
        self.print_latencies();
        self.print_throughput();
        self.print_footprint();
        println!();
    }

    pub fn print_latencies(&self) {
        let sqlite = self.floor.p50_ns.max(1) as f64;
        println!();
        println!(
            "track_event latency on the caller's thread (us) {:>w$} {:>9} {:>9} {:>10} {:>13}",
            "p50",
            "p99",
            "p99.9",
            "max",
            "p50 / SQLite",
            w = NAME_WIDTH - 47 + 9
        );
        let row = |name: &str, p50: f64, p99: f64, p999: f64, max: f64| {
            println!(
                "  {name:<NAME_WIDTH$} {p50:>9.2} {p99:>9.2} {p999:>9.2} {max:>10.2} {:>12.2}x",
                p50 * 1e3 / sqlite
            );
        };
        let latency = |name: &str, l: &Latency| {
            let f = |ns: u64| ns as f64 / 1e3;
            row(name, f(l.p50_ns), f(l.p99_ns), f(l.p999_ns), f(l.max_ns));
        };
        latency(
            &format!("floor: bare SQLite WAL txn, 1 insert of {FLOOR_BLOB_BYTES} B"),
            &self.floor,
        );
        latency(
            &format!("floor: bare pwrite of {FLOOR_BLOB_BYTES} B to a file"),
            &self.write_floor,
        );
        latency(
            &format!("floor: same, {THREADS} threads behind one mutex"),
            &self.write_floor_threads,
        );
        for run in self.runs() {
            latency(&format!("track, {}", run.label()), &run.latency);
        }
        latency(
            "track, 1 thread, offline (delivery refused, backing off)",
            &self.startup.offline,
        );
        latency(&GameRun::label(), &self.game.latency);
        match &self.python {
            Ok(py) => {
                row(
                    &format!("track via the Python ctypes wrapper, {PYTHON_CALLS} calls"),
                    number(py, "p50_us"),
                    number(py, "p99_us"),
                    number(py, "p999_us"),
                    number(py, "max_us"),
                );
                println!(
                    "  {:<NAME_WIDTH$} {:>9.2}",
                    "  the wrapper's own: Python p50 less the 1-thread p50",
                    self.python_wrapper_own_us().unwrap_or(f64::NAN)
                );
            }
            Err(reason) => println!("  python: skipped ({reason})"),
        }
        println!(
            "  {:<NAME_WIDTH$} {:>9.2} {:>9.2} {:>9.2}",
            "target",
            targets::P50_US,
            targets::P99_US,
            targets::P999_US
        );
        println!(
            "  verdict: 1 thread {}; {THREADS} threads {}",
            latency_verdict(&self.single.latency),
            latency_verdict(&self.multi.latency)
        );
        self.print_issue_targets();
        println!(
            "  why the tails: tracking threads preempted by the kernel (involuntary context \
             switches) / calls over 1 ms:"
        );
        for run in self.runs() {
            println!(
                "    {:<NAME_WIDTH$} {:>9} / {}",
                run.label(),
                run.preemptions,
                run.calls_over_1ms
            );
        }
        println!(
            "    {:<NAME_WIDTH$} {:>9} / {}",
            GameRun::label(),
            self.game.preemptions,
            self.game.calls_over_1ms
        );
        note(&format!(
            "{} of {} delivered; {} CPU-busy threads",
            self.game.delivered, self.game.tracked, self.game.busy_threads
        ));
    }

    /// Issue 14's targets: against the bare `pwrite` floor of the same run, and the
    /// tails with delivery running.
    pub fn print_issue_targets(&self) {
        let single = &self.single.latency;
        let multi = &self.multi.latency;
        let of_floor = single.p50_ns as f64 / self.write_floor.p50_ns.max(1) as f64;
        let checks = [
            (
                "1 thread p50 / bare pwrite p50".to_string(),
                format!("{of_floor:.2}"),
                format!("<= {:.2}", targets::P50_OF_PWRITE_FLOOR),
                of_floor <= targets::P50_OF_PWRITE_FLOOR,
            ),
            (
                "1 thread p99.9 (us)".to_string(),
                format!("{:.2}", us(single.p999_ns)),
                format!("<= {:.0}", targets::P999_1_THREAD_US),
                us(single.p999_ns) <= targets::P999_1_THREAD_US,
            ),
            (
                format!("{THREADS} threads p99.9 / max (us)"),
                format!("{:.0} / {:.0}", us(multi.p999_ns), us(multi.max_ns)),
                format!(
                    "<= {:.0} / {:.0}",
                    targets::P999_4_THREADS_US,
                    targets::MAX_4_THREADS_US
                ),
                us(multi.p999_ns) <= targets::P999_4_THREADS_US
                    && us(multi.max_ns) <= targets::MAX_4_THREADS_US,
            ),
            (
                "events tracked/s, 1 thread".to_string(),
                format!("{:.0}", self.single.tracked_per_s),
                format!(">= {:.0}", targets::TRACKED_PER_S_1_THREAD),
                self.single.tracked_per_s >= targets::TRACKED_PER_S_1_THREAD,
            ),
        ];
        println!("  issue 14 targets:");
        for (name, value, target, ok) in checks {
            line(&format!("  {name}"), &value, &target, Some(ok));
        }
    }

    pub fn print_throughput(&self) {
        println!();
        println!(
            "throughput {:>w$} {:>10}",
            "measured",
            "target",
            w = NAME_WIDTH - 8 + 16
        );
        for run in self.runs() {
            line(
                &format!("events tracked/s, {}", run.label()),
                &format!("{:.0}", run.tracked_per_s),
                &run.target(targets::TRACKED_PER_S),
                run.verdict(run.tracked_per_s >= targets::TRACKED_PER_S),
            );
        }
        line(
            "events tracked/s, 1 thread, offline",
            &format!("{:.0}", self.startup.offline_per_s),
            "(reference)",
            None,
        );
        for run in self.runs() {
            line(
                &format!("events delivered/s, {}", run.label()),
                &format!("{:.0}", run.delivered_per_s),
                &run.target(targets::DELIVERED_PER_S),
                run.verdict(run.delivered_all && run.delivered_per_s >= targets::DELIVERED_PER_S),
            );
            note(&format!(
                "{} of {} delivered {:.2} s after the first track (tracking took {:.2} s){}; \
                 {} requests; collector busy {:.2} s",
                run.delivered,
                TRACKED / run.threads * run.threads,
                run.delivery_time.as_secs_f64(),
                run.tracking_time.as_secs_f64(),
                if run.delivered_all {
                    ""
                } else {
                    " - NOT ALL, the budget ran out"
                },
                run.requests,
                run.collector_busy.as_secs_f64(),
            ));
        }
    }

    pub fn print_footprint(&self) {
        println!();
        println!("flush, start-up, footprint");
        let flush = &self.flush;
        line(
            &format!("flush of {FLUSH_BACKLOG} queued events (ms)"),
            &format!("{:.2}", ms(flush.time)),
            &format!("<= {:.0}", targets::FLUSH_10K_MS),
            Some(flush.ok && ms(flush.time) <= targets::FLUSH_10K_MS),
        );
        note(&format!(
            "{} requests, validating collector{}",
            flush.requests,
            match &flush.error {
                Some(error) => format!("; flush failed: {error}"),
                None if !flush.ok => "; NOT ALL DELIVERED".into(),
                None => String::new(),
            }
        ));
        let startup = &self.startup;
        line(
            &format!("start-up with {STARTUP_BACKLOG} unsent, median of {STARTUP_REPS} (ms)"),
            &format!("{:.2}", startup.median_ms),
            &format!("<= {:.0}", targets::STARTUP_MS),
            Some(startup.median_ms <= targets::STARTUP_MS),
        );
        note(&format!(
            "Tracker::new each time: {:?} ms",
            startup.times_ms
        ));
        match &self.rss {
            Ok(rss) => {
                let mb = |name| number(rss, name) / 1024.0;
                line(
                    &format!("peak RSS (VmHWM), {STARTUP_BACKLOG} queued then reopened (MB)"),
                    &format!("{:.2}", mb("peak_kb")),
                    &format!("<= {:.0}", targets::RSS_MB),
                    Some(mb("peak_kb") <= targets::RSS_MB),
                );
                note(&format!(
                    "child process RSS: {:.2} MB at start, {:.2} after tracking, \
                     {:.2} after reopening with {} queued",
                    mb("baseline_rss_kb"),
                    mb("after_tracking_rss_kb"),
                    mb("after_reopen_rss_kb"),
                    rss.get("queued").unwrap_or(&Value::Null)
                ));
            }
            Err(reason) => println!("  peak RSS: skipped ({reason})"),
        }
        let cdylib = &self.cdylib;
        let extra = cdylib
            .note
            .as_deref()
            .map(|n| format!("; {n}"))
            .unwrap_or_default();
        match cdylib.bytes {
            Some(bytes) => {
                let mb = bytes as f64 / (1024.0 * 1024.0);
                line(
                    "cdylib, target/release/libhamustro.so (MB)",
                    &format!("{mb:.2}"),
                    &format!("<= {:.1}", targets::CDYLIB_MB),
                    Some(mb <= targets::CDYLIB_MB),
                );
                note(&format!(
                    "{bytes} bytes, {}, {}{extra}",
                    match cdylib.stripped {
                        Some(true) => "stripped (no .symtab, no .debug*)",
                        Some(false) => "NOT stripped",
                        None => "not an ELF64 file?",
                    },
                    if cdylib.rebuilt {
                        "rebuilt for this run"
                    } else {
                        "already up to date"
                    },
                ));
            }
            None => println!("  cdylib: missing at {}{extra}", cdylib.path.display()),
        }
    }
}

/// One figure beside its target; `ok` is `None` for a reference figure.
pub fn line(name: &str, value: &str, target: &str, ok: Option<bool>) {
    let verdict = ok.map_or("", verdict);
    println!("  {name:<NAME_WIDTH$} {value:>16} {target:>12}  {verdict}");
}

/// Detail under the figure above it.
pub fn note(text: &str) {
    println!("  {:<8}{text}", "");
}
