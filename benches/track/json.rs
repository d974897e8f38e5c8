//! The same figures as one JSON object, printed as the very last line for scripts.

use serde_json::{json, Value};

use crate::delivery::{CollectorMode, TrackRun};
use crate::latency::{ms, round2, us, Latency};
use crate::report::Report;
use crate::targets;

impl Latency {
    pub fn json(&self) -> Value {
        json!({
            "count": self.count,
            "p50_us": us(self.p50_ns),
            "p99_us": us(self.p99_ns),
            "p999_us": us(self.p999_ns),
            "max_us": us(self.max_ns),
            "mean_us": round2(self.mean_ns / 1000.0),
        })
    }
}

impl TrackRun {
    pub fn json(&self) -> Value {
        json!({
            "threads": self.threads,
            "collector": match self.mode {
                CollectorMode::Validating => "validating",
                CollectorMode::AnswerOnly200 => "answers 200 without validating",
            },
            "latency": self.latency.json(),
            "tracked_per_s": self.tracked_per_s,
            "preemptions": self.preemptions,
            "calls_over_1ms": self.calls_over_1ms,
            "tracking_s": round2(self.tracking_time.as_secs_f64()),
            "delivered": self.delivered,
            "delivered_all": self.delivered_all,
            "delivered_per_s": self.delivered_per_s,
            "delivery_s": round2(self.delivery_time.as_secs_f64()),
            "requests": self.requests,
            "collector_busy_s": round2(self.collector_busy.as_secs_f64()),
        })
    }
}

impl Report {
    pub fn json(&self) -> Value {
        json!({
            "cpus": self.cpus,
            "load_average": self.load,
            "event_stored_bytes": self.startup.stored_event_bytes,
            "floor_sqlite_wal": self.floor.json(),
            "floor_pwrite": self.write_floor.json(),
            "floor_pwrite_threads": self.write_floor_threads.json(),
            "track_1_thread": self.single.json(),
            "track_4_threads": self.multi.json(),
            "track_1_thread_collector_answers_200": self.ceiling.json(),
            "track_4_threads_collector_answers_200": self.multi_ceiling.json(),
            "track_realistic_game": {
                "threads": crate::game::GAME_THREADS,
                "events_per_s_each": crate::game::GAME_RATE_PER_S,
                "seconds": crate::game::GAME_SECONDS,
                "busy_threads": self.game.busy_threads,
                "latency": self.game.latency.json(),
                "preemptions": self.game.preemptions,
                "calls_over_1ms": self.game.calls_over_1ms,
                "tracked": self.game.tracked,
                "delivered": self.game.delivered,
            },
            "track_offline": {
                "latency": self.startup.offline.json(),
                "tracked_per_s": self.startup.offline_per_s,
            },
            "flush_10k": {
                "ms": ms(self.flush.time),
                "ok": self.flush.ok,
                "requests": self.flush.requests,
                "error": self.flush.error,
            },
            "startup_100k": {
                "median_ms": self.startup.median_ms,
                "runs_ms": self.startup.times_ms,
            },
            "rss": match &self.rss {
                Ok(value) => value.clone(),
                Err(reason) => json!({ "skipped": reason }),
            },
            "cdylib": {
                "path": self.cdylib.path,
                "bytes": self.cdylib.bytes,
                "stripped": self.cdylib.stripped,
                "rebuilt": self.cdylib.rebuilt,
                "note": self.cdylib.note,
            },
            "python": match &self.python {
                Ok(value) => {
                    let mut value = value.clone();
                    value["wrapper_own_p50_us"] = json!(self.python_wrapper_own_us());
                    value
                }
                Err(reason) => json!({ "skipped": reason }),
            },
            "targets": {
                "p50_us": targets::P50_US,
                "p99_us": targets::P99_US,
                "p999_us": targets::P999_US,
                "tracked_per_s": targets::TRACKED_PER_S,
                "delivered_per_s": targets::DELIVERED_PER_S,
                "flush_10k_ms": targets::FLUSH_10K_MS,
                "startup_ms": targets::STARTUP_MS,
                "rss_mb": targets::RSS_MB,
                "cdylib_mb": targets::CDYLIB_MB,
                "p50_of_pwrite_floor": targets::P50_OF_PWRITE_FLOOR,
                "p999_1_thread_us": targets::P999_1_THREAD_US,
                "p999_4_threads_us": targets::P999_4_THREADS_US,
                "max_4_threads_us": targets::MAX_4_THREADS_US,
                "tracked_per_s_1_thread": targets::TRACKED_PER_S_1_THREAD,
            },
        })
    }
}
