//! Injected faults: what the next track requests get instead of an honest answer, set
//! from the command line (`--fault status=503,count=3,retry-after=2`) or the page
//! (`POST /api/faults`, the same fields in JSON).

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// When a dropped connection is closed: before the request's events are stored (the
/// client must send them again) or after (the collector has them, the client does not
/// know: the re-send shows as duplicates).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DropWhen {
    Before,
    After,
}

/// One fault. Every part is optional; `count` limits the request-answering parts
/// (`status`, `delay_ms`, `drop`) to that many track requests, none meaning until
/// cleared. `refuse_seconds` closes the port for that long, at once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    pub status: Option<u16>,
    pub count: Option<u32>,
    pub retry_after: Option<u64>,
    pub delay_ms: Option<u64>,
    pub drop: Option<DropWhen>,
    pub refuse_seconds: Option<u64>,
}

impl FaultSpec {
    /// `status=503,count=3,retry-after=2`, `delay-ms=500`, `drop=before|after`,
    /// `refuse-seconds=5`.
    pub fn parse(spec: &str) -> Result<FaultSpec, String> {
        let mut fault = FaultSpec::default();
        for part in spec.split(',').filter(|part| !part.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("fault part {part:?} is not key=value"))?;
            let number = |value: &str| {
                value
                    .parse::<u64>()
                    .map_err(|_| format!("fault {key} needs a number, got {value:?}"))
            };
            match key.replace('_', "-").as_str() {
                "status" => fault.status = Some(number(value)?.min(999) as u16),
                "count" => fault.count = Some(number(value)?.min(u64::from(u32::MAX)) as u32),
                "retry-after" => fault.retry_after = Some(number(value)?),
                "delay-ms" => fault.delay_ms = Some(number(value)?),
                "refuse-seconds" => fault.refuse_seconds = Some(number(value)?),
                "drop" => {
                    fault.drop = Some(match value {
                        "before" => DropWhen::Before,
                        "after" => DropWhen::After,
                        _ => return Err(format!("fault drop is before or after, not {value:?}")),
                    });
                }
                _ => return Err(format!("unknown fault part {key:?}")),
            }
        }
        fault.check()?;
        Ok(fault)
    }

    /// Fails on a fault that cannot be done, e.g. status 42 or Retry-After alone.
    pub fn check(&self) -> Result<(), String> {
        if let Some(status) = self.status {
            if !(200..=599).contains(&status) {
                return Err(format!("fault status must be 200-599, got {status}"));
            }
        }
        if self.retry_after.is_some() && self.status.is_none() {
            return Err("fault retry-after goes with a status (e.g. status=503)".to_owned());
        }
        if self.status.is_some() && self.drop.is_some() {
            return Err("a fault either answers a status or drops the connection".to_owned());
        }
        if self.refuse_seconds == Some(0) {
            return Err("fault refuse-seconds must be at least 1".to_owned());
        }
        if self.count == Some(0) {
            return Err("fault count must be at least 1 (leave it out: until cleared)".to_owned());
        }
        Ok(())
    }

    /// Later parts override earlier ones (several `--fault` flags make one fault).
    pub fn merge(&mut self, other: FaultSpec) {
        let FaultSpec {
            status,
            count,
            retry_after,
            delay_ms,
            drop,
            refuse_seconds,
        } = other;
        self.status = status.or(self.status);
        self.count = count.or(self.count);
        self.retry_after = retry_after.or(self.retry_after);
        self.delay_ms = delay_ms.or(self.delay_ms);
        self.drop = drop.or(self.drop);
        self.refuse_seconds = refuse_seconds.or(self.refuse_seconds);
    }

    fn answers_requests(&self) -> bool {
        self.status.is_some() || self.delay_ms.is_some() || self.drop.is_some()
    }

    /// "answer 503 with Retry-After: 2, after 500 ms", for the page and the log.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(status) = self.status {
            parts.push(match self.retry_after {
                Some(secs) => format!("answer {status} with Retry-After: {secs}"),
                None => format!("answer {status}"),
            });
        }
        match self.drop {
            Some(DropWhen::Before) => parts.push("drop the connection before storing".into()),
            Some(DropWhen::After) => parts.push("drop the connection after storing".into()),
            None => {}
        }
        if let Some(ms) = self.delay_ms {
            parts.push(format!("reply after {ms} ms"));
        }
        parts.join(", ")
    }
}

/// What one track request gets.
#[derive(Clone, Debug)]
pub struct Applied {
    pub status: Option<u16>,
    pub retry_after: Option<u64>,
    pub delay: Option<Duration>,
    pub drop: Option<DropWhen>,
    /// For the request's record: "fault: answer 503 with Retry-After: 2".
    pub description: String,
}

/// The fault in force.
#[derive(Default)]
pub struct Faults {
    /// The request-answering part; its `count` is what is left.
    active: Option<FaultSpec>,
    refusing_until: Option<Instant>,
}

impl Faults {
    /// Replaces the fault in force; returns how long to refuse connections, if asked.
    pub fn set(&mut self, spec: FaultSpec) -> Option<Duration> {
        self.active = spec.answers_requests().then_some(spec);
        let refuse = spec.refuse_seconds.map(Duration::from_secs);
        if let Some(refuse) = refuse {
            self.refusing_until = Some(Instant::now() + refuse);
        }
        refuse
    }

    pub fn clear(&mut self) {
        self.active = None;
    }

    /// The fault for the next track request, counting it.
    pub fn take(&mut self) -> Option<Applied> {
        let fault = self.active.as_mut()?;
        let applied = Applied {
            status: fault.status,
            retry_after: fault.retry_after,
            delay: fault.delay_ms.map(Duration::from_millis),
            drop: fault.drop,
            description: format!("fault: {}", fault.describe()),
        };
        match &mut fault.count {
            Some(1) => self.active = None,
            Some(left) => *left -= 1,
            None => {}
        }
        Some(applied)
    }

    /// `GET /api/faults`: `{"active": …, "fault": {…} | null, "description": "…" | "none",
    /// "refusing_seconds": n}`.
    pub fn state(&self) -> serde_json::Value {
        let refusing = self
            .refusing_until
            .and_then(|until| until.checked_duration_since(Instant::now()))
            .map_or(0.0, |left| left.as_millis() as f64 / 1000.0);
        let description = match (&self.active, refusing > 0.0) {
            (Some(fault), _) => {
                let left = fault.count.map_or("until cleared".to_owned(), |n| {
                    format!("for the next {n} requests")
                });
                format!("{} {left}", fault.describe())
            }
            (None, true) => "refusing connections".to_owned(),
            (None, false) => "none".to_owned(),
        };
        serde_json::json!({
            "active": self.active.is_some() || refusing > 0.0,
            "fault": self.active,
            "description": description,
            "refusing_seconds": refusing,
        })
    }
}
