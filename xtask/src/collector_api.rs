//! The SDK's own collector, asked through its test API whether the program's event
//! arrived: `GET /api/events` waits for it, `GET /api/stats` must count it. A plain
//! HTTP/1.0 GET to the collector on this machine is all it takes, so no HTTP crate
//! and no curl.

use std::convert::identity;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

use crate::checks::{exactly, Check};
use crate::outcome::Outcome;

pub const CHECKS: &[Check] = &[Check {
    name: "collector-saw",
    usage: "URL EVENT (URL: the collector's, http://127.0.0.1:PORT)",
    about:
        "the collector at URL accepted an EVENT event (waiting up to 20 s) and /api/stats counts it",
    run: |args| collector_saw(args).unwrap_or_else(identity),
}];

/// How long the collector's API waits for the event (its `timeout_ms`).
const WAIT_MS: u64 = 20_000;

fn collector_saw(args: &[String]) -> Result<Outcome, Outcome> {
    let [url, event] = exactly(args, CHECKS[0].usage)?;
    let query = format!(
        "/api/events?event={}&status=accepted&wait_for=1&timeout_ms={WAIT_MS}",
        percent_encoded(&event)
    );
    // The wait answers 408 with what matched when nothing came in time: judged below.
    let events = get(&url, &query).map_err(Outcome::failed)?;
    let stats = get(&url, "/api/stats").map_err(Outcome::failed)?;
    Ok(judge_saw(&event, &events, &stats))
}

/// An answer: its status code and body.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    status: u16,
    body: String,
}

fn judge_saw(event: &str, events: &Answer, stats: &Answer) -> Outcome {
    let events_json: Option<Value> = serde_json::from_str(&events.body).ok();
    let arrived = events_json
        .as_ref()
        .and_then(|json| json["events"].as_array())
        .and_then(|found| {
            found
                .iter()
                .find(|found| found["event"] == event && found["status"] == "accepted")
        });
    let counters = serde_json::from_str::<Value>(&stats.body)
        .ok()
        .filter(|_| stats.status == 200)
        .map(|json| json["counters"].clone());
    let accepted = counters
        .as_ref()
        .and_then(|counters| counters["accepted"].as_u64());

    let mut outcome = Outcome::default();
    match arrived {
        Some(found) => outcome.found(format!(
            "{event} arrived ({}); /api/stats counters: {}",
            found["format"].as_str().unwrap_or("format unknown"),
            counters
                .as_ref()
                .map_or("none".to_string(), Value::to_string)
        )),
        None => outcome.fail(format!(
            "expected the collector to accept a {event} event within {} s, found none \
             (GET /api/events answered {}: {})",
            WAIT_MS / 1000,
            events.status,
            events.body.trim()
        )),
    }
    outcome.expect(
        accepted.is_some_and(|accepted| accepted >= 1),
        format!(
            "expected /api/stats to count the accepted event, found {}",
            match &counters {
                Some(counters) => format!("counters {counters}"),
                None => format!("answer {}: {}", stats.status, stats.body.trim()),
            }
        ),
    );
    outcome
}

/// `GET url+path` over HTTP/1.0 (so the body is never chunked and ends with the
/// connection); `url` is `http://host:port`, as the collector's banner names it.
fn get(url: &str, path: &str) -> Result<Answer, String> {
    let address = url
        .strip_prefix("http://")
        .map(|rest| rest.trim_end_matches('/'))
        .filter(|address| !address.is_empty() && !address.contains('/'))
        .ok_or_else(|| {
            format!("expected the collector's URL as http://host:port, found {url:?}")
        })?;
    let fail = |error: std::io::Error| format!("GET {url}{path}: {error}");
    let mut stream = TcpStream::connect(address).map_err(fail)?;
    stream
        .set_read_timeout(Some(Duration::from_millis(WAIT_MS) * 3))
        .map_err(fail)?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(fail)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(fail)?;
    parse_answer(&String::from_utf8_lossy(&raw))
        .ok_or_else(|| format!("GET {url}{path}: not an HTTP answer"))
}

fn parse_answer(raw: &str) -> Option<Answer> {
    let (head, body) = raw.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some(Answer {
        status,
        body: body.to_string(),
    })
}

/// `text` as a query value: letters, digits and `-._~` as they are, the rest as `%XX`.
fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            body: body.to_string(),
        }
    }

    const EVENTS: &str = r#"{"count":1,"complete":true,"events":[{"id":1,"status":"accepted","event":"Dist.Smoke","format":"protobuf"}]}"#;
    const STATS: &str = r#"{"counters":{"requests":1,"accepted":1,"rejected":0}}"#;

    #[test]
    fn an_accepted_and_counted_event_passes() {
        let outcome = judge_saw("Dist.Smoke", &answer(200, EVENTS), &answer(200, STATS));
        assert!(outcome.passed(), "{outcome:?}");
        assert_eq!(
            outcome.found,
            [
                r#"Dist.Smoke arrived (protobuf); /api/stats counters: {"accepted":1,"rejected":0,"requests":1}"#
            ]
        );
    }

    #[test]
    fn a_wait_that_timed_out_fails_with_the_answer() {
        let none = r#"{"count":0,"complete":false,"events":[]}"#;
        let stats = STATS.replace("\"accepted\":1", "\"accepted\":0");
        let outcome = judge_saw("Dist.Smoke", &answer(408, none), &answer(200, &stats));
        assert_eq!(
            outcome.failures,
            [
                format!("expected the collector to accept a Dist.Smoke event within 20 s, found none (GET /api/events answered 408: {none})"),
                r#"expected /api/stats to count the accepted event, found counters {"accepted":0,"rejected":0,"requests":1}"#.to_string()
            ]
        );
    }

    #[test]
    fn another_event_or_a_broken_stats_answer_fails() {
        let other = EVENTS.replace("Dist.Smoke", "Other");
        let outcome = judge_saw("Dist.Smoke", &answer(200, &other), &answer(500, "oops"));
        assert_eq!(outcome.failures.len(), 2, "{outcome:?}");
        assert!(
            outcome.failures[1].ends_with("found answer 500: oops"),
            "{outcome:?}"
        );
    }

    #[test]
    fn gets_an_answer_over_http_1_0() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut byte = [0];
            while !request.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap() == 1 {
                request.push(byte[0]);
            }
            stream
                .write_all(b"HTTP/1.0 408 Request Timeout\r\ncontent-type: application/json\r\n\r\n{\"count\":0}")
                .unwrap();
            String::from_utf8_lossy(&request).into_owned()
        });
        let got = get(&url, "/api/events?event=A%20B").unwrap();
        let request = server.join().unwrap();
        assert!(
            request.starts_with("GET /api/events?event=A%20B HTTP/1.0\r\n"),
            "{request}"
        );
        assert_eq!(got, answer(408, "{\"count\":0}"));
    }

    #[test]
    fn a_bad_url_or_no_collector_is_a_message() {
        assert!(get("127.0.0.1:1", "/")
            .unwrap_err()
            .contains("http://host:port"));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        assert!(get(&url, "/api/stats")
            .unwrap_err()
            .starts_with(&format!("GET {url}/api/stats: ")));
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(percent_encoded("Dist.Smoke"), "Dist.Smoke");
        assert_eq!(percent_encoded("a b&c"), "a%20b%26c");
    }
}
