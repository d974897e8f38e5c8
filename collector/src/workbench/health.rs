//! Per-session health: which `nr`s arrived, so a gap (a possible loss), a duplicate (a
//! re-send after a lost reply: expected, delivery is at-least-once) and an out-of-order
//! arrival (a gap being filled) can be told apart and explained.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A remark on one event, shown beside it on the page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    /// `gap`, `duplicate`, `out_of_order`, `first_seen` or `milliseconds`.
    pub kind: String,
    pub note: String,
}

impl Flag {
    fn new(kind: &str, note: String) -> Flag {
        Flag {
            kind: kind.to_owned(),
            note,
        }
    }
}

/// The `nr`s of one session, as inclusive ranges (start -> end): contiguous delivery
/// keeps one entry however many events arrive.
#[derive(Default, Clone, Debug)]
struct Ranges {
    ranges: BTreeMap<u32, u32>,
    covered: u64,
}

impl Ranges {
    fn contains(&self, nr: u32) -> bool {
        self.ranges
            .range(..=nr)
            .next_back()
            .is_some_and(|(_, &end)| end >= nr)
    }

    /// Adds an `nr` not yet contained, joining its neighbours.
    fn insert(&mut self, nr: u32) {
        let (mut start, mut end) = (nr, nr);
        if let Some((&before, &before_end)) = self.ranges.range(..nr).next_back() {
            if before_end.checked_add(1) == Some(nr) {
                start = before;
            }
        }
        if let Some(next) = nr.checked_add(1) {
            if let Some(next_end) = self.ranges.remove(&next) {
                end = next_end;
            }
        }
        self.ranges.insert(start, end);
        self.covered += 1;
    }
}

/// What the collector knows about one session.
#[derive(Default, Clone, Debug)]
pub struct SessionHealth {
    pub events: u64,
    pub duplicates: u64,
    pub gaps: u64,
    pub out_of_order: u64,
    pub last_user: Option<String>,
    pub last_received_ms: u64,
    seen: Ranges,
    first: Option<u32>,
    max: u32,
}

impl SessionHealth {
    /// Notes one accepted event and says what is remarkable about it.
    pub fn observe(&mut self, nr: u32) -> Vec<Flag> {
        let mut flags = Vec::new();
        if self.seen.contains(nr) {
            self.duplicates += 1;
            flags.push(Flag::new(
                "duplicate",
                format!(
                    "nr {nr} arrived before: a re-send after a lost reply is expected \
                     (delivery is at-least-once; (session, nr) identifies the event)"
                ),
            ));
            return flags;
        }
        self.events += 1;
        match self.first {
            None => {
                self.first = Some(nr);
                self.max = nr;
                if nr > 1 {
                    flags.push(Flag::new(
                        "first_seen",
                        format!(
                            "the first event of this session seen here is nr {nr}: 1-{} \
                             arrived before this collector started, or were lost",
                            nr - 1
                        ),
                    ));
                }
            }
            Some(_) if nr > self.max.saturating_add(1) => {
                self.gaps += 1;
                let (from, to) = (self.max + 1, nr - 1);
                let missing = if from == to {
                    format!("nr {from} is")
                } else {
                    format!("nr {from}-{to} are")
                };
                flags.push(Flag::new(
                    "gap",
                    format!("{missing} missing: a possible loss, unless they arrive later"),
                ));
                self.max = nr;
            }
            Some(_) if nr < self.max => {
                self.out_of_order += 1;
                flags.push(Flag::new(
                    "out_of_order",
                    format!("nr {nr} arrived after nr {}: it fills a gap", self.max),
                ));
            }
            Some(_) => self.max = self.max.max(nr),
        }
        if self.first.is_some_and(|first| nr < first) {
            self.first = Some(nr);
        }
        self.seen.insert(nr);
        flags
    }

    /// `nr`s between the first and the highest seen that never arrived.
    pub fn missing(&self) -> u64 {
        let span = self
            .first
            .map_or(0, |first| u64::from(self.max) - u64::from(first) + 1);
        span.saturating_sub(self.seen.covered)
    }

    pub fn max_nr(&self) -> u32 {
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::SessionHealth;

    fn kinds(health: &mut SessionHealth, nr: u32) -> Vec<String> {
        health
            .observe(nr)
            .into_iter()
            .map(|flag| flag.kind)
            .collect()
    }

    #[test]
    fn gaps_duplicates_and_late_arrivals_are_told_apart() {
        let mut health = SessionHealth::default();
        assert!(kinds(&mut health, 1).is_empty());
        assert!(kinds(&mut health, 2).is_empty());
        assert_eq!(kinds(&mut health, 5), ["gap"]);
        assert_eq!(health.missing(), 2);
        assert_eq!(kinds(&mut health, 2), ["duplicate"]);
        assert_eq!(kinds(&mut health, 3), ["out_of_order"]);
        assert_eq!(kinds(&mut health, 4), ["out_of_order"]);
        assert_eq!(health.missing(), 0);
        assert_eq!(
            (health.gaps, health.duplicates, health.out_of_order),
            (1, 1, 2)
        );
        assert!(kinds(&mut health, 6).is_empty());
    }

    #[test]
    fn a_session_first_seen_mid_way_is_not_a_gap() {
        let mut health = SessionHealth::default();
        assert_eq!(kinds(&mut health, 7), ["first_seen"]);
        assert!(kinds(&mut health, 8).is_empty());
        assert_eq!(health.gaps, 0);
    }
}
