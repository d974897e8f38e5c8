//! The development collector's server (`workbench`, feature `server`) as its users
//! meet it: over HTTP, with real requests, the test API and the page's stream. Waits
//! are on the collector's own signals (`wait_for`, the stream), never sleeps.
#![cfg(feature = "server")]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use hamustro_collector::wire::{Collection, Environment, Parameter, Payload};
use hamustro_collector::workbench::faults::FaultSpec;
use hamustro_collector::workbench::{Options, Workbench};
use hamustro_collector::{session_of, sign, SIGNATURE_HINT};
use prost::Message as _;
use serde_json::Value;

const SECRET: &str = "workbench-secret";
const TIME: &str = "1454514088";
const DEVICE_ID: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const XSS: &str = "<img src=x onerror=alert(1)>";

fn start() -> Workbench {
    Workbench::start(Options::new(SECRET)).expect("the workbench starts")
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .new_agent()
}

/// A collection of `names`, nr from `first_nr` on, for `user`.
fn collection(names: &[&str], first_nr: u32, user: &str) -> Collection {
    let mut collection = Collection {
        device_id: DEVICE_ID.into(),
        client_id: "client-1".into(),
        system_version: "14.2".into(),
        product_version: "1.0.3".into(),
        env: Environment::Production as i32,
        payloads: names
            .iter()
            .zip(first_nr..)
            .map(|(name, nr)| Payload {
                at: 1_454_514_000,
                event: (*name).to_owned(),
                nr,
                user_id: Some(user.to_owned()),
                parameters: vec![Parameter {
                    name: "screen".into(),
                    value: "home".into(),
                }],
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    collection.session = session_of(&collection);
    collection
}

/// POSTs `body` signed with `secret`; the status, or the transport error.
fn post_raw(wb: &Workbench, content_type: &str, body: &[u8], secret: &str) -> Result<u16, String> {
    agent()
        .post(format!("{}/api/v1/track", wb.url()))
        .header("Content-Type", content_type)
        .header("X-Hamustro-Time", TIME)
        .header("X-Hamustro-Signature", sign(TIME, body, secret))
        .send(body)
        .map(|response| response.status().as_u16())
        .map_err(|e| e.to_string())
}

fn post(wb: &Workbench, collection: &Collection) -> Result<u16, String> {
    post_raw(
        wb,
        "application/protobuf",
        &collection.encode_to_vec(),
        SECRET,
    )
}

fn get(wb: &Workbench, path: &str) -> (u16, Value) {
    let mut response = agent()
        .get(format!("{}{path}", wb.url()))
        .call()
        .expect("GET answered");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().expect("a body");
    (status, serde_json::from_str(&text).expect("JSON"))
}

fn send_json(wb: &Workbench, method: &str, path: &str, body: &str) -> (u16, String) {
    let url = format!("{}{path}", wb.url());
    let agent = agent();
    let response = match method {
        "POST" => agent.post(url).send(body),
        _ => agent.delete(url).call(),
    };
    let mut response = response.expect("answered");
    let status = response.status().as_u16();
    (
        status,
        response.body_mut().read_to_string().unwrap_or_default(),
    )
}

fn set_fault(wb: &Workbench, json: &str) {
    let (status, body) = send_json(wb, "POST", "/api/faults", json);
    assert_eq!(status, 200, "{body}");
}

fn requests(wb: &Workbench) -> Vec<Value> {
    get(wb, "/api/requests").1["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn names(events: &Value) -> Vec<String> {
    events["events"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .map(|e| e["event"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn each_rejection_says_why_and_what_to_fix() {
    let wb = start();
    let good = collection(&["app_open"], 1, "u-1");
    assert_eq!(
        post_raw(&wb, "application/protobuf", &good.encode_to_vec(), "wrong"),
        Ok(405)
    );
    let mut wrong_session = good.clone();
    wrong_session.session = "0".repeat(32);
    assert_eq!(post(&wb, &wrong_session), Ok(400));
    assert_eq!(post_raw(&wb, "text/plain", b"hello", SECRET), Ok(400));
    assert_eq!(post(&wb, &collection(&[], 1, "u-1")), Ok(204));
    assert_eq!(
        post_raw(&wb, "application/protobuf", b"\xff\xff", SECRET),
        Ok(400)
    );
    assert_eq!(
        post_raw(&wb, "application/json", b"{\"nope\": 1}", SECRET),
        Ok(400)
    );

    let requests = requests(&wb);
    let hint = |i: usize| requests[i]["hint"].as_str().unwrap_or_default().to_owned();
    let reason = |i: usize| {
        requests[i]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(requests.len(), 6);
    assert!(
        requests.iter().all(|r| r["kind"] == "rejected"),
        "{requests:?}"
    );
    assert!(hint(0).starts_with(SIGNATURE_HINT), "{}", hint(0));
    assert!(reason(0).contains("X-Hamustro-Signature header is invalid"));
    assert!(hint(1).contains("md5(device_id:client_id:system_version:product_version:env)"));
    assert!(
        hint(1).contains(&format!("{DEVICE_ID}:client-1:14.2:1.0.3:0")),
        "{}",
        hint(1)
    );
    assert!(hint(2).contains("application/protobuf") && hint(2).contains("text/plain"));
    assert_eq!(requests[3]["status"], 204);
    assert!(hint(3).contains("empty collections"), "{}", hint(3));
    assert!(
        hint(4).contains("not a hamustro.Collection in protobuf"),
        "{}",
        hint(4)
    );
    assert!(reason(5).contains("unknown field"), "{}", reason(5));
    assert!(hint(5).contains("JSON mapping"), "{}", hint(5));
    // The events of a readable rejected request are shown, as rejected.
    let (_, rejected) = get(&wb, "/api/events?status=rejected");
    assert_eq!(names(&rejected), ["app_open", "app_open"]);
    let (_, stats) = get(&wb, "/api/stats");
    assert_eq!(stats["counters"]["rejected"], 6);
    assert_eq!(stats["counters"]["accepted"], 0);
}

#[test]
fn a_status_fault_answers_with_retry_after_for_count_requests_then_clears() {
    let wb = start();
    set_fault(&wb, r#"{"status": 503, "count": 2, "retry_after": 7}"#);
    let response = agent()
        .post(format!("{}/api/v1/track", wb.url()))
        .send(&b""[..])
        .expect("answered");
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .map(ureq::http::HeaderValue::as_bytes),
        Some(&b"7"[..])
    );
    assert_eq!(post(&wb, &collection(&["a"], 1, "u")), Ok(503));
    assert_eq!(get(&wb, "/api/faults").1["description"], "none");
    assert_eq!(post(&wb, &collection(&["a"], 1, "u")), Ok(200));
    let requests = requests(&wb);
    assert_eq!(requests[0]["kind"], "fault");
    assert!(requests[0]["fault"]
        .as_str()
        .unwrap_or_default()
        .contains("503"));
    assert_eq!(requests[1]["status"], 503);
    // The bounced request names its session and events, which are not stored.
    assert_eq!(requests[1]["events"], 1);
    assert_eq!(
        requests[1]["session"],
        collection(&["a"], 1, "u").session.as_str()
    );
    assert_eq!(get(&wb, "/api/events").1["count"], 1);
    let (_, stats) = get(&wb, "/api/stats");
    assert_eq!(stats["counters"]["faulted"], 2);
    assert_eq!(stats["counters"]["accepted"], 1);
}

#[test]
fn a_fault_until_cleared_lasts_until_delete() {
    let wb = start();
    set_fault(&wb, r#"{"status": 500}"#);
    for _ in 0..3 {
        assert_eq!(post(&wb, &collection(&["a"], 1, "u")), Ok(500));
    }
    let (status, body) = send_json(&wb, "DELETE", "/api/faults", "");
    assert_eq!(status, 200);
    assert!(body.contains("\"description\":\"none\""), "{body}");
    assert_eq!(post(&wb, &collection(&["a"], 1, "u")), Ok(200));
}

#[test]
fn a_delay_fault_holds_the_answer_back() {
    let wb = start();
    set_fault(&wb, r#"{"delay_ms": 400, "count": 1}"#);
    let started = Instant::now();
    assert_eq!(post(&wb, &collection(&["slow"], 1, "u")), Ok(200));
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(requests(&wb)[0]["delay_ms"], 400);
}

#[test]
fn dropping_before_storing_keeps_nothing_and_after_storing_keeps_the_events() {
    let wb = start();
    set_fault(&wb, r#"{"drop": "before", "count": 1}"#);
    assert!(post(&wb, &collection(&["lost"], 1, "u")).is_err());
    set_fault(&wb, r#"{"drop": "after", "count": 1}"#);
    assert!(post(&wb, &collection(&["kept"], 1, "u")).is_err());
    // The client sends again after the lost reply: a duplicate, explained.
    assert_eq!(post(&wb, &collection(&["kept"], 1, "u")), Ok(200));
    let (_, events) = get(&wb, "/api/events?status=accepted");
    assert_eq!(names(&events), ["kept", "kept"]);
    assert_eq!(events["events"][1]["flags"][0]["kind"], "duplicate");
    let requests = requests(&wb);
    assert_eq!(
        (requests[0]["status"].clone(), requests[0]["kind"].clone()),
        (0.into(), "fault".into())
    );
    let (_, stats) = get(&wb, "/api/stats");
    assert_eq!(stats["counters"]["duplicates"], 1);
}

#[test]
fn refusing_connections_closes_the_port_for_the_time_asked() {
    let wb = start();
    let address = wb.address();
    assert_eq!(post(&wb, &collection(&["before"], 1, "u")), Ok(200));
    set_fault(&wb, r#"{"refuse_seconds": 1}"#);
    let refused_at = Instant::now();
    let refused = TcpStream::connect(address).map(drop).map_err(|e| e.kind());
    assert_eq!(refused, Err(std::io::ErrorKind::ConnectionRefused));
    // The port comes back on a timer; connecting is the only signal there is.
    let back = loop {
        if TcpStream::connect(address).is_ok() {
            break refused_at.elapsed();
        }
        assert!(
            refused_at.elapsed() < Duration::from_secs(10),
            "the port never came back"
        );
        thread::sleep(Duration::from_millis(50));
    };
    assert!(back >= Duration::from_millis(900), "back after {back:?}");
    assert_eq!(post(&wb, &collection(&["after"], 2, "u")), Ok(200));
}

#[test]
fn a_refusal_from_the_command_line_starts_at_once() {
    let mut options = Options::new(SECRET);
    options.fault = Some(FaultSpec::parse("refuse-seconds=30").unwrap());
    let wb = Workbench::start(options).unwrap();
    let refused = TcpStream::connect(wb.address())
        .map(drop)
        .map_err(|e| e.kind());
    assert_eq!(refused, Err(std::io::ErrorKind::ConnectionRefused));
}

#[test]
fn wait_for_answers_as_soon_as_the_events_arrive() {
    let wb = start();
    let url = format!(
        "{}/api/events?event=arrives&wait_for=2&timeout_ms=20000",
        wb.url()
    );
    let waiter = thread::spawn(move || {
        let started = Instant::now();
        let mut response = agent().get(url).call().expect("answered");
        let body: Value =
            serde_json::from_str(&response.body_mut().read_to_string().unwrap()).expect("JSON");
        (response.status().as_u16(), body, started.elapsed())
    });
    // The waiter is subscribed once the collector has a connection for it; either way,
    // events sent before it looks are counted too.
    assert_eq!(
        post(&wb, &collection(&["arrives", "other"], 1, "u")),
        Ok(200)
    );
    assert_eq!(post(&wb, &collection(&["arrives"], 3, "u")), Ok(200));
    let (status, body, took) = waiter.join().expect("the waiter");
    assert_eq!(status, 200);
    assert_eq!(body["complete"], true);
    assert_eq!(names(&body), ["arrives", "arrives"]);
    assert!(took < Duration::from_secs(15), "{took:?}");
}

#[test]
fn wait_for_gives_up_after_the_timeout_with_408() {
    let wb = start();
    let started = Instant::now();
    let (status, body) = get(&wb, "/api/events?wait_for=1&timeout_ms=200");
    assert_eq!(status, 408);
    assert_eq!(body["complete"], false);
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[test]
fn filters_select_by_event_session_user_status_and_cursor() {
    let wb = start();
    assert_eq!(
        post(&wb, &collection(&["open", "click"], 1, "alice")),
        Ok(200)
    );
    let mut other = collection(&["open"], 1, "bob");
    other.client_id = "client-2".into();
    other.session = session_of(&other);
    assert_eq!(post(&wb, &other), Ok(200));
    assert_eq!(
        post_raw(
            &wb,
            "application/protobuf",
            &collection(&["bad"], 9, "eve").encode_to_vec(),
            "x"
        ),
        Ok(405)
    );

    assert_eq!(
        names(&get(&wb, "/api/events?event=open").1),
        ["open", "open"]
    );
    assert_eq!(
        names(&get(&wb, "/api/events?user=alice").1),
        ["open", "click"]
    );
    let prefix = &other.session[..8];
    assert_eq!(
        names(&get(&wb, &format!("/api/events?session={prefix}")).1),
        ["open"]
    );
    assert_eq!(names(&get(&wb, "/api/events?status=rejected").1), ["bad"]);
    assert_eq!(
        names(&get(&wb, "/api/events?status=accepted&event=").1).len(),
        3
    );
    let first = get(&wb, "/api/events?limit=1").1["events"][0]["id"]
        .as_u64()
        .unwrap();
    assert_eq!(
        names(&get(&wb, &format!("/api/events?since={}", first - 1)).1),
        ["bad"]
    );
    let rejected = get(&wb, "/api/requests?status=rejected").1;
    assert_eq!(rejected["count"], 1);
}

#[test]
fn reset_forgets_everything() {
    let wb = start();
    assert_eq!(post(&wb, &collection(&["a"], 1, "u")), Ok(200));
    assert_eq!(send_json(&wb, "POST", "/api/reset", "").0, 204);
    assert_eq!(get(&wb, "/api/events").1["count"], 0);
    assert_eq!(get(&wb, "/api/stats").1["counters"]["requests"], 0);
}

#[test]
fn events_in_the_db_file_come_back_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.sqlite3");
    let options = || {
        let mut options = Options::new(SECRET);
        options.db = Some(db.clone());
        options
    };
    let wb = Workbench::start(options()).unwrap();
    assert_eq!(
        post(&wb, &collection(&["first", "second"], 1, "u")),
        Ok(200)
    );
    assert_eq!(
        post_raw(
            &wb,
            "application/protobuf",
            &collection(&["no"], 3, "u").encode_to_vec(),
            "x"
        ),
        Ok(405)
    );
    drop(wb);
    let wb = Workbench::start(options()).unwrap();
    let (_, events) = get(&wb, "/api/events");
    assert_eq!(names(&events), ["first", "second"]);
    // The health carries on: nr 3 follows, a re-sent nr 2 is a duplicate.
    assert_eq!(
        post(&wb, &collection(&["second", "third"], 2, "u")),
        Ok(200)
    );
    let (_, stats) = get(&wb, "/api/stats");
    assert_eq!(stats["counters"]["duplicates"], 1);
    assert_eq!(stats["counters"]["accepted"], 4);
    let (_, events) = get(&wb, "/api/events");
    let ids: Vec<u64> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect();
    assert!(
        ids.windows(2).all(|pair| pair[0] < pair[1]),
        "ids go on: {ids:?}"
    );
}

#[test]
fn memory_keeps_only_the_last_max_events() {
    let mut options = Options::new(SECRET);
    options.max_events = 3;
    let wb = Workbench::start(options).unwrap();
    assert_eq!(
        post(&wb, &collection(&["1", "2", "3", "4", "5"], 1, "u")),
        Ok(200)
    );
    assert_eq!(post(&wb, &collection(&["6"], 6, "u")), Ok(200));
    let (_, events) = get(&wb, "/api/events");
    assert_eq!(names(&events), ["4", "5", "6"]);
    let (_, stats) = get(&wb, "/api/stats");
    assert_eq!(stats["stored_events"], 3);
    // A wait for more than memory holds could only time out: refused at once.
    let (status, body) = get(&wb, "/api/events?wait_for=4&timeout_ms=60000");
    assert_eq!(status, 400);
    assert!(body["error"]
        .as_str()
        .unwrap_or_default()
        .contains("--max-events 3"));
    assert_eq!(stats["counters"]["accepted"], 6);
}

#[test]
fn the_page_never_parses_data_as_markup_and_the_api_returns_raw_names() {
    let wb = start();
    let mut response = agent().get(wb.url()).call().unwrap();
    let policy = response
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    assert!(policy.contains("script-src 'sha256-"), "{policy}");
    let page = response.body_mut().read_to_string().unwrap();
    for sink in [
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
    ] {
        assert!(!page.contains(sink), "the page uses {sink}");
    }
    for outside in ["http://", "https://", "//cdn"] {
        assert!(!page.contains(outside), "the page loads from {outside}");
    }
    assert!(page.contains(".textContent"));
    assert_eq!(post(&wb, &collection(&[XSS], 1, "<script>")), Ok(200));
    let (_, events) = get(&wb, "/api/events");
    assert_eq!(names(&events), [XSS]);
    assert_eq!(events["events"][0]["user_id"], "<script>");
}

/// Reads server-sent events until one of `kind` arrives; its data.
fn next_sse(reader: &mut impl BufRead, kind: &str) -> String {
    let mut current = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0, "the stream ended");
        let line = line.trim_end();
        if let Some(name) = line.strip_prefix("event: ") {
            name.clone_into(&mut current);
        } else if let Some(data) = line.strip_prefix("data: ") {
            if current == kind {
                return data.to_owned();
            }
        }
    }
}

#[test]
fn the_stream_delivers_each_event_request_and_counters() {
    let wb = start();
    let mut stream = TcpStream::connect(wb.address()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET /api/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let mut reader = BufReader::new(stream);
    next_sse(&mut reader, "hello");
    assert_eq!(post(&wb, &collection(&["streamed"], 1, "u")), Ok(200));
    let request: Value = serde_json::from_str(&next_sse(&mut reader, "request")).unwrap();
    assert_eq!(request["status"], 200);
    let event: Value = serde_json::from_str(&next_sse(&mut reader, "event")).unwrap();
    assert_eq!(event["event"], "streamed");
    let stats: Value = serde_json::from_str(&next_sse(&mut reader, "stats")).unwrap();
    assert_eq!(stats["counters"]["accepted"], 1);
}

#[test]
fn fault_specs_parse_merge_and_refuse_nonsense() {
    let fault = FaultSpec::parse("status=503,count=3,retry-after=2").unwrap();
    assert_eq!(
        (fault.status, fault.count, fault.retry_after),
        (Some(503), Some(3), Some(2))
    );
    let mut merged = FaultSpec::parse("delay-ms=500").unwrap();
    merged.merge(FaultSpec::parse("drop=after").unwrap());
    assert_eq!(
        merged.describe(),
        "drop the connection after storing, reply after 500 ms"
    );
    assert!(FaultSpec::parse("status=42").is_err());
    assert!(FaultSpec::parse("retry-after=2").is_err());
    assert!(FaultSpec::parse("drop=sideways").is_err());
    assert!(FaultSpec::parse("status=503,drop=before").is_err());
    assert!(FaultSpec::parse("colour=red").is_err());
}

#[test]
fn the_binary_names_the_track_url_first_and_the_live_view_next() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hamustro-collector"))
        .args([
            "--port",
            "0",
            "--secret",
            SECRET,
            "--fault",
            "status=503,count=1",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let second = lines.next().unwrap().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let url = first
        .split(" on ")
        .nth(1)
        .and_then(|rest| rest.split("/api/v1/track").next())
        .unwrap_or_default()
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");
    assert!(first.contains("fault: answer 503"), "{first}");
    assert!(
        second.starts_with(&format!("live view: {url}/")),
        "{second}"
    );
}

#[test]
fn jsonl_keeps_every_line_after_the_first_json() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hamustro-collector"))
        .args(["--port", "0", "--secret", SECRET, "--jsonl"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let port: u16 = first
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("no port in {first:?}"));
    assert!(
        first.contains(&format!(", live view http://127.0.0.1:{port}/")),
        "{first}"
    );
    let url = format!("http://127.0.0.1:{port}/api/v1/track");
    let body = collection(&["jsonl"], 1, "u").encode_to_vec();
    let send = |secret: &str| {
        agent()
            .post(&url)
            .header("Content-Type", "application/protobuf")
            .header("X-Hamustro-Time", TIME)
            .header("X-Hamustro-Signature", sign(TIME, &body, secret))
            .send(&body[..])
            .map(|r| r.status().as_u16())
    };
    assert_eq!(send(SECRET).ok(), Some(200));
    assert_eq!(send("wrong").ok(), Some(405));
    let event: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    let rejected: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(event["event"], "jsonl");
    assert_eq!(event["params"]["screen"], "home");
    assert_eq!(event["content_type"], "application/protobuf");
    assert_eq!(event["env"], 0);
    assert_eq!(rejected["rejected"], 405);
    assert!(rejected["hint"]
        .as_str()
        .unwrap_or_default()
        .starts_with(SIGNATURE_HINT));
}

#[test]
fn listening_beyond_loopback_warns_that_it_is_a_development_tool() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hamustro-collector"))
        .args(["--port", "0", "--listen", "0.0.0.0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut warning = String::new();
    stderr.read_line(&mut warning).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        warning.starts_with("WARNING: listening on 0.0.0.0:"),
        "{warning}"
    );
    assert!(warning.contains("development tool"), "{warning}");
}
