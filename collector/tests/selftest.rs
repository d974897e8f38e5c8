//! Tests of the test collector itself: the library's integration tests trust it to
//! answer like the genuine Hamustro collector, so every rule is checked here with bodies
//! built by hand (prost encoding, hand-written bytes and hand-written JSON).

use std::time::{Duration, Instant};

use hamustro_collector::wire::{Collection, Environment, Parameter, Payload};
use hamustro_collector::{session_of, sign, Collector, Reply};
use prost::Message as _;

const SECRET: &str = "selftest-secret";
const TIME: &str = "1454514088";
const DEVICE_ID: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const PROTOBUF: &str = "application/protobuf";
const JSON: &str = "application/json";

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
}

/// POSTs `body` with exactly `headers` and returns the status.
fn post_with(url: &str, headers: &[(&str, &str)], body: &[u8]) -> u16 {
    let mut request = agent().post(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
        .send(body)
        .expect("request failed")
        .status()
        .as_u16()
}

/// POSTs `body` correctly signed with `SECRET`.
fn post_signed(collector: &Collector, content_type: &str, body: &[u8]) -> u16 {
    let signature = sign(TIME, body, SECRET);
    let headers = [
        ("Content-Type", content_type),
        ("X-Hamustro-Time", TIME),
        ("X-Hamustro-Signature", signature.as_str()),
    ];
    post_with(&collector.track_url(), &headers, body)
}

/// A collection with a correct session and `count` payloads (nr 1..=count).
fn sample_collection(count: u32) -> Collection {
    let mut collection = Collection {
        device_id: DEVICE_ID.into(),
        client_id: "client-1".into(),
        system_version: "14.2".into(),
        product_version: "1.0.3".into(),
        env: Environment::Production as i32,
        system: Some("iOS".into()),
        payloads: (1..=count).map(sample_payload).collect(),
        ..Default::default()
    };
    collection.session = session_of(&collection);
    collection
}

fn sample_payload(nr: u32) -> Payload {
    Payload {
        at: 1_454_514_000 + u64::from(nr),
        event: format!("event-{nr}"),
        nr,
        timezone: Some("+01:00".into()),
        user_id: Some("user-7".into()),
        parameters: vec![Parameter {
            name: "screen".into(),
            value: "home".into(),
        }],
        ..Default::default()
    }
}

/// The session of the attributes used by the hand-written JSON bodies.
fn json_session() -> String {
    session_of(&sample_collection(0))
}

/// The last request's validation error, for assertion messages.
fn last_error(collector: &Collector) -> String {
    let requests = collector.requests();
    let last = requests.last().expect("no request recorded");
    format!("{:?}", last.error)
}

#[test]
fn valid_protobuf_is_accepted_and_recorded() {
    let collector = Collector::start(SECRET);
    let sent = sample_collection(2);

    assert_eq!(
        post_signed(&collector, PROTOBUF, &sent.encode_to_vec()),
        200
    );

    let received = collector.collections();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].collection, sent);
    assert_eq!(received[0].content_type, PROTOBUF);

    let events = collector.events();
    assert_eq!(events.len(), 2);
    assert_eq!((events[0].nr, events[0].event.as_str()), (1, "event-1"));
    assert_eq!(events[1].at, 1_454_514_002);
    assert_eq!(events[0].session, sent.session);
    assert_eq!(events[0].param("screen"), Some("home"));
    assert_eq!(events[0].user_id.as_deref(), Some("user-7"));
    assert_eq!(events[0].tenant_id, None);
    assert!(events[0].collection_header.payloads.is_empty());
    assert_eq!(events[0].collection_header.system.as_deref(), Some("iOS"));

    let requests = collector.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!((requests[0].status, requests[0].error.clone()), (200, None));
    assert_eq!(requests[0].header("X-Hamustro-Time"), Some(TIME));
    assert_eq!(requests[0].body_len, sent.encoded_len());
}

#[test]
fn an_empty_required_string_still_counts_as_present() {
    // Go accepts "" for a required string as long as it is on the wire; this also
    // proves prost emits required fields even when they hold the default value.
    let collector = Collector::start(SECRET);
    let mut sent = sample_collection(1);
    sent.payloads[0].event = String::new();
    sent.payloads[0].at = 0;

    assert_eq!(
        post_signed(&collector, PROTOBUF, &sent.encode_to_vec()),
        200
    );
}

#[test]
fn signature_problems_are_405() {
    let collector = Collector::start(SECRET);
    let body = sample_collection(1).encode_to_vec();
    let url = collector.track_url();
    let wrong_secret = sign(TIME, &body, "other-secret");
    let right = sign(TIME, &body, SECRET);

    let bad_signature = [
        ("Content-Type", PROTOBUF),
        ("X-Hamustro-Time", TIME),
        ("X-Hamustro-Signature", wrong_secret.as_str()),
    ];
    let other_time = [
        ("Content-Type", PROTOBUF),
        ("X-Hamustro-Time", "1454514089"),
        ("X-Hamustro-Signature", right.as_str()),
    ];
    let missing_time = [
        ("Content-Type", PROTOBUF),
        ("X-Hamustro-Signature", right.as_str()),
    ];
    let empty_time = [
        ("Content-Type", PROTOBUF),
        ("X-Hamustro-Time", ""),
        ("X-Hamustro-Signature", right.as_str()),
    ];
    let missing_signature = [("Content-Type", PROTOBUF), ("X-Hamustro-Time", TIME)];

    assert_eq!(post_with(&url, &bad_signature, &body), 405);
    assert_eq!(post_with(&url, &other_time, &body), 405);
    assert_eq!(post_with(&url, &missing_time, &body), 405);
    assert_eq!(post_with(&url, &empty_time, &body), 405);
    assert_eq!(post_with(&url, &missing_signature, &body), 405);
    assert!(collector.collections().is_empty());
    assert!(collector.requests().iter().all(|r| r.status == 405));
}

#[test]
fn sign_matches_the_protocol_formula() {
    // Computed independently: base64(sha256("1|" + md5hex("") + "|s")).
    use base64::Engine as _;
    use sha2::Digest as _;
    let signed = "1|d41d8cd98f00b204e9800998ecf8427e|s";
    let expected = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(signed));
    assert_eq!(sign("1", b"", "s"), expected);
}

#[test]
fn session_mismatch_is_400() {
    let collector = Collector::start(SECRET);
    let mut sent = sample_collection(1);
    sent.env = Environment::Development as i32; // the session was computed for PRODUCTION

    assert_eq!(
        post_signed(&collector, PROTOBUF, &sent.encode_to_vec()),
        400
    );
    assert!(last_error(&collector).contains("session"));
    assert!(collector.collections().is_empty());
}

#[test]
fn routing_method_and_content_type_rules() {
    let collector = Collector::start(SECRET);
    let body = sample_collection(1).encode_to_vec();
    let signature = sign(TIME, &body, SECRET);
    let signed = |content_type: &'static str| {
        vec![
            ("Content-Type", content_type),
            ("X-Hamustro-Time", TIME),
            ("X-Hamustro-Signature", signature.as_str()),
        ]
    };
    let wrong_path = format!("{}/api/v1/other", collector.url());
    let get = agent().get(collector.track_url()).call().unwrap();

    assert_eq!(post_with(&wrong_path, &signed(PROTOBUF), &body), 404);
    assert_eq!(get.status().as_u16(), 405);
    let no_content_type = &signed(PROTOBUF)[1..];
    assert_eq!(
        post_with(&collector.track_url(), no_content_type, &body),
        400
    );
    assert_eq!(
        post_with(&collector.track_url(), &signed("text/plain"), &body),
        400
    );
    assert_eq!(post_with(&collector.track_url(), &signed(JSON), &body), 400);
    let with_parameter = signed("Application/Protobuf; charset=utf-8");
    assert_eq!(
        post_with(&collector.track_url(), &with_parameter, &body),
        200
    );
}

#[test]
fn json_with_original_names_and_enum_name_is_accepted() {
    let collector = Collector::start(SECRET);
    let body = format!(
        r#"{{"device_id":"{DEVICE_ID}","client_id":"client-1","session":"{}",
            "system_version":"14.2","product_version":"1.0.3","env":"PRODUCTION",
            "system":"iOS","device_make":null,
            "payloads":[{{"at":1454514001,"event":"opened","nr":1,"user_id":"u-1",
                "parameters":[{{"name":"screen","value":"home"}}]}},
                {{"at":"1454514002","event":"closed","nr":2}}]}}"#,
        json_session()
    );

    assert_eq!(
        post_signed(&collector, JSON, body.as_bytes()),
        200,
        "{}",
        last_error(&collector)
    );

    let events = collector.events();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].event, "opened");
    assert_eq!(events[0].params, vec![("screen".into(), "home".into())]);
    assert_eq!(events[0].user_id.as_deref(), Some("u-1"));
    assert_eq!(
        events[1].at, 1_454_514_002,
        "uint64 may be a decimal string"
    );
    assert_eq!(
        events[0].collection_header.device_make, None,
        "null means unset"
    );
    assert_eq!(collector.collections()[0].content_type, JSON);
}

#[test]
fn json_with_camel_case_names_and_enum_number_is_accepted() {
    let collector = Collector::start(SECRET);
    let body = format!(
        r#"{{"deviceId":"{DEVICE_ID}","clientId":"client-1","session":"{}",
            "systemVersion":"14.2","productVersion":"1.0.3","env":0,
            "payloads":[{{"at":1454514001,"event":"opened","nr":1,"tenantId":"t-1"}}]}}"#,
        json_session()
    );

    assert_eq!(
        post_signed(&collector, JSON, body.as_bytes()),
        200,
        "{}",
        last_error(&collector)
    );
    assert_eq!(collector.events()[0].tenant_id.as_deref(), Some("t-1"));
}

/// A valid JSON body with `extra` spliced into the top-level object and `env` as given.
fn json_body(env: &str, extra: &str) -> String {
    format!(
        r#"{{"device_id":"{DEVICE_ID}","client_id":"client-1","session":"{}",
            "system_version":"14.2","product_version":"1.0.3","env":{env}{extra},
            "payloads":[{{"at":1454514001,"event":"opened","nr":1}}]}}"#,
        json_session()
    )
}

#[test]
fn json_body_helper_is_valid() {
    let collector = Collector::start(SECRET);
    let body = json_body(r#""PRODUCTION""#, "");
    assert_eq!(
        post_signed(&collector, JSON, body.as_bytes()),
        200,
        "{}",
        last_error(&collector)
    );
}

#[test]
fn json_unknown_field_is_400() {
    let collector = Collector::start(SECRET);
    let body = json_body(r#""PRODUCTION""#, r#","user_agent":"x""#);
    assert_eq!(post_signed(&collector, JSON, body.as_bytes()), 400);
    assert!(last_error(&collector).contains("unknown field"));
}

#[test]
fn json_lower_case_enum_name_is_400() {
    let collector = Collector::start(SECRET);
    let body = json_body(r#""production""#, "");
    assert_eq!(post_signed(&collector, JSON, body.as_bytes()), 400);
}

#[test]
fn json_type_mismatches_are_400() {
    let collector = Collector::start(SECRET);
    let cases = [
        json_body("12", ""),                   // enum number out of range
        json_body(r#""0""#, ""),               // enum number as a string
        json_body("0", r#","system":5"#),      // string field as a number
        json_body("0", r#","browser":["x"]"#), // string field as an array
        json_body("0", "").replace("\"nr\":1", "\"nr\":\"1\""), // uint32 as a string
        json_body("0", "").replace("1454514001", "1.5"), // fractional uint64
        json_body("0", "").replace("1454514001", "-1"), // negative uint64
        "[]".to_owned(),                       // top level not an object
    ];
    for body in cases {
        assert_eq!(
            post_signed(&collector, JSON, body.as_bytes()),
            400,
            "{body}"
        );
        // Rejected while decoding, not by the later session check.
        let error = last_error(&collector);
        assert!(error.contains("Unmarshaling json"), "{body}: {error}");
    }
}

#[test]
fn json_missing_required_field_is_400() {
    let collector = Collector::start(SECRET);
    let body = json_body("0", "").replace(r#""event":"opened","#, "");
    assert_eq!(post_signed(&collector, JSON, body.as_bytes()), 400);
    assert!(last_error(&collector).contains("Payload.event"));
}

/// Appends a protobuf key and length-delimited content (wire type 2).
fn put_bytes(out: &mut Vec<u8>, field: u32, content: &[u8]) {
    prost::encoding::encode_key(field, prost::encoding::WireType::LengthDelimited, out);
    prost::encoding::encode_varint(content.len() as u64, out);
    out.extend_from_slice(content);
}

/// Appends a protobuf key and varint (wire type 0).
fn put_varint(out: &mut Vec<u8>, field: u32, value: u64) {
    prost::encoding::encode_key(field, prost::encoding::WireType::Varint, out);
    prost::encoding::encode_varint(value, out);
}

#[test]
fn protobuf_missing_required_payload_field_is_400() {
    let collector = Collector::start(SECRET);
    // A Payload with `at` and `nr` but no `event`: prost would decode it with event "",
    // Go rejects it.
    let mut payload = Vec::new();
    put_varint(&mut payload, 1, 1_454_514_001);
    put_varint(&mut payload, 3, 1);
    let mut body = sample_collection(0).encode_to_vec();
    put_bytes(&mut body, 15, &payload);
    assert!(
        Collection::decode(&body[..]).is_ok(),
        "prost alone would accept it"
    );

    assert_eq!(post_signed(&collector, PROTOBUF, &body), 400);
    assert!(last_error(&collector).contains("Payload.event"));
}

#[test]
fn protobuf_missing_required_parameter_or_collection_field_is_400() {
    let collector = Collector::start(SECRET);
    let mut parameter = Vec::new();
    put_bytes(&mut parameter, 1, b"screen"); // no value
    let mut payload = sample_payload(1);
    payload.parameters.clear();
    let mut payload_bytes = payload.encode_to_vec();
    put_bytes(&mut payload_bytes, 9, &parameter);
    let mut body = sample_collection(0).encode_to_vec();
    put_bytes(&mut body, 15, &payload_bytes);
    assert_eq!(post_signed(&collector, PROTOBUF, &body), 400);
    assert!(last_error(&collector).contains("Parameter.value"));

    // A collection without env (field 6), session still matching env 0.
    let collection = sample_collection(1);
    let mut body = Vec::new();
    put_bytes(&mut body, 1, collection.device_id.as_bytes());
    put_bytes(&mut body, 2, collection.client_id.as_bytes());
    put_bytes(&mut body, 3, collection.session.as_bytes());
    put_bytes(&mut body, 4, collection.system_version.as_bytes());
    put_bytes(&mut body, 5, collection.product_version.as_bytes());
    put_bytes(&mut body, 15, &collection.payloads[0].encode_to_vec());
    assert_eq!(post_signed(&collector, PROTOBUF, &body), 400);
    assert!(last_error(&collector).contains("Collection.env"));

    // The same bytes plus env are fine: the scan itself is not too strict.
    put_varint(&mut body, 6, 0);
    assert_eq!(post_signed(&collector, PROTOBUF, &body), 200);
}

#[test]
fn garbage_protobuf_is_400() {
    let collector = Collector::start(SECRET);
    assert_eq!(post_signed(&collector, PROTOBUF, b"orange"), 400);
    assert_eq!(post_signed(&collector, PROTOBUF, b""), 400);
}

#[test]
fn empty_payloads_are_204_and_not_recorded() {
    let collector = Collector::start(SECRET);
    let body = sample_collection(0).encode_to_vec();
    assert_eq!(post_signed(&collector, PROTOBUF, &body), 204);
    let json = json_body("0", "").replace(r#"[{"at":1454514001,"event":"opened","nr":1}]"#, "[]");
    assert_eq!(post_signed(&collector, JSON, json.as_bytes()), 204);
    assert!(collector.collections().is_empty());
    assert_eq!(collector.requests().len(), 2);
}

#[test]
fn scripted_replies_come_first_then_normal_behaviour_resumes() {
    let collector = Collector::start(SECRET);
    collector.script([
        Reply::StatusRetryAfter(503, 7),
        Reply::Status(500),
        Reply::Validate,
    ]);
    let body = sample_collection(1).encode_to_vec();
    let signature = sign(TIME, &body, SECRET);

    let first = agent()
        .post(collector.track_url())
        .header("Content-Type", PROTOBUF)
        .header("X-Hamustro-Time", TIME)
        .header("X-Hamustro-Signature", &signature)
        .send(&body[..])
        .unwrap();
    assert_eq!(first.status().as_u16(), 503);
    assert_eq!(first.headers().get("retry-after").unwrap(), "7");
    assert!(
        collector.events().is_empty(),
        "a scripted reply records nothing"
    );

    assert_eq!(post_signed(&collector, PROTOBUF, &body), 500);
    assert_eq!(post_signed(&collector, PROTOBUF, &body), 200);
    assert_eq!(post_signed(&collector, PROTOBUF, &body), 200);

    let statuses: Vec<_> = collector
        .requests()
        .iter()
        .map(|r| (r.status, r.scripted))
        .collect();
    assert_eq!(
        statuses,
        [(503, true), (500, true), (200, false), (200, false)]
    );
    assert_eq!(collector.events().len(), 2);
}

#[test]
fn scripted_replies_apply_even_to_invalid_requests() {
    let collector = Collector::start(SECRET);
    collector.script([Reply::Status(503)]);
    assert_eq!(post_with(&collector.track_url(), &[], b"junk"), 503);
    assert_eq!(post_with(&collector.track_url(), &[], b"junk"), 405);
}

#[test]
fn wait_for_events_times_out_when_nothing_arrives() {
    let collector = Collector::start(SECRET);
    let started = Instant::now();
    assert!(!collector.wait_for_events(1, Duration::from_millis(200)));
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert!(!collector.wait_for_requests(1, Duration::from_millis(10)));
}

#[test]
fn wait_for_events_wakes_up_when_events_arrive() {
    let collector = Collector::start(SECRET);
    let body = sample_collection(3).encode_to_vec();
    let url = collector.track_url();
    let signature = sign(TIME, &body, SECRET);
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        let headers = [
            ("Content-Type", PROTOBUF),
            ("X-Hamustro-Time", TIME),
            ("X-Hamustro-Signature", signature.as_str()),
        ];
        post_with(&url, &headers, &body)
    });

    assert!(collector.wait_for_events(3, Duration::from_secs(10)));
    assert!(collector.wait_for_requests(1, Duration::from_secs(10)));
    assert_eq!(sender.join().unwrap(), 200);
    assert!(
        collector.wait_for_events(3, Duration::ZERO),
        "already satisfied"
    );
}

#[test]
fn hooks_see_events_and_requests() {
    use std::sync::{Arc, Mutex};
    let collector = Collector::start(SECRET);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let events_seen = seen.clone();
    collector.on_event(Box::new(move |e, _| {
        events_seen.lock().unwrap().push(e.event.clone());
    }));
    let requests_seen = seen.clone();
    collector.on_request(Box::new(move |r| {
        requests_seen.lock().unwrap().push(r.status.to_string());
    }));

    let body = sample_collection(2).encode_to_vec();
    assert_eq!(post_signed(&collector, PROTOBUF, &body), 200);
    assert_eq!(*seen.lock().unwrap(), ["event-1", "event-2", "200"]);
}

#[test]
fn start_on_a_taken_port_fails_with_addr_in_use() {
    let collector = Collector::start(SECRET);
    let port = collector.port();
    assert_eq!(collector.url(), format!("http://127.0.0.1:{port}"));
    let err = Collector::start_on(port, SECRET)
        .err()
        .expect("port should be taken");
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
}

// ---------------------------------------------------------------------------------------
// Fault modes and the HTTP server under them
// ---------------------------------------------------------------------------------------

/// An agent that gives up after `timeout`, like a tracker does.
fn impatient_agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .new_agent()
}

/// POSTs a signed two-event collection; the status, or the error's text.
fn post_sample(agent: &ureq::Agent, collector: &Collector) -> Result<u16, String> {
    let body = sample_collection(2).encode_to_vec();
    let signature = sign(TIME, &body, SECRET);
    agent
        .post(collector.track_url())
        .header("Content-Type", PROTOBUF)
        .header("X-Hamustro-Time", TIME)
        .header("X-Hamustro-Signature", &signature)
        .send(&body[..])
        .map(|response| response.status().as_u16())
        .map_err(|error| error.to_string())
}

#[test]
fn a_slow_reply_records_at_once_and_answers_after_the_delay() {
    let collector = Collector::start(SECRET);
    let delay = Duration::from_millis(300);
    collector.script([Reply::slow(delay)]);
    let started = Instant::now();
    assert_eq!(post_sample(&agent(), &collector), Ok(200));
    assert!(started.elapsed() >= delay);
    let request = &collector.requests()[0];
    assert_eq!(
        (request.status, request.delay, request.dropped),
        (200, Some(delay), false)
    );
    assert!(
        request.at >= started && request.at < started + delay,
        "`at` is the arrival"
    );
    assert_eq!(collector.events().len(), 2);
}

#[test]
fn a_slow_reply_past_the_client_timeout_still_stores_the_events() {
    let collector = Collector::start(SECRET);
    collector.script([Reply::slow(Duration::from_secs(30))]);
    let timeout = Duration::from_millis(300);
    assert!(post_sample(&impatient_agent(timeout), &collector).is_err());
    // The client may give up before the collector has read the body (a loaded
    // machine, Wine): waited for, not assumed.
    assert!(
        collector.wait_for_events(2, Duration::from_secs(10)),
        "stored although never answered in time"
    );
    assert_eq!(collector.events().len(), 2);
    // Stopping cuts the held-back answer short instead of waiting 30 s for it.
    let stopping = Instant::now();
    drop(collector);
    assert!(stopping.elapsed() < Duration::from_secs(2));
}

#[test]
fn reset_before_store_closes_the_connection_and_records_no_events() {
    let collector = Collector::start(SECRET);
    collector.script([Reply::ResetBeforeStore]);
    let error = post_sample(&agent(), &collector).unwrap_err();
    assert!(collector.events().is_empty(), "{error}");
    let request = &collector.requests()[0];
    assert_eq!(
        (request.status, request.dropped, request.scripted),
        (0, true, true)
    );
    assert_eq!(
        post_sample(&agent(), &collector),
        Ok(200),
        "serves on afterwards"
    );
}

#[test]
fn reset_after_store_records_the_events_but_never_answers() {
    let collector = Collector::start(SECRET);
    collector.script([Reply::ResetAfterStore]);
    assert!(post_sample(&agent(), &collector).is_err());
    assert_eq!(collector.events().len(), 2);
    let request = &collector.requests()[0];
    assert_eq!(
        (request.status, request.dropped, request.scripted),
        (200, true, false)
    );
}

#[test]
fn hang_answers_nothing_until_the_client_gives_up_or_the_collector_stops() {
    let collector = Collector::start(SECRET);
    collector.set_default_reply(Reply::Hang);
    let timeout = Duration::from_millis(300);
    let started = Instant::now();
    assert!(post_sample(&impatient_agent(timeout), &collector).is_err());
    assert!(started.elapsed() >= timeout);
    let request = &collector.requests()[0];
    assert_eq!((request.status, request.dropped), (0, true));
    assert!(collector.events().is_empty());

    // A client without a timeout is released when the collector stops.
    let patient = std::thread::spawn({
        let agent = agent();
        let url = collector.track_url();
        move || agent.post(url).send(&b"x"[..]).is_err()
    });
    assert!(collector.wait_for_requests(2, Duration::from_secs(10)));
    let stopping = Instant::now();
    drop(collector);
    assert!(stopping.elapsed() < Duration::from_secs(2));
    assert!(
        patient.join().unwrap(),
        "the hanging request ends in an error"
    );
}

#[test]
fn a_stopped_collector_frees_its_port_and_can_come_back_on_it() {
    let collector = Collector::start(SECRET);
    let port = collector.port();
    let agent = agent();
    assert_eq!(post_sample(&agent, &collector), Ok(200));
    assert_eq!(post_sample(&agent, &collector), Ok(200), "kept alive");
    drop(collector);

    let back = Collector::restart_on(port, SECRET).unwrap();
    assert_eq!(back.port(), port);
    // The agent's pooled connection went with the old collector: at most one failure.
    let first = post_sample(&agent, &back);
    assert!(
        first == Ok(200) || post_sample(&agent, &back) == Ok(200),
        "{first:?}"
    );
    assert_eq!(back.events().len(), 2, "a restarted collector starts empty");
}

#[test]
fn chunked_bodies_expect_continue_and_malformed_requests_on_the_wire() {
    use std::io::{BufRead as _, BufReader, Write as _};
    use std::net::TcpStream;

    let collector = Collector::start(SECRET);
    let body = sample_collection(1).encode_to_vec();
    let signature = sign(TIME, &body, SECRET);
    let mut stream = TcpStream::connect(("127.0.0.1", collector.port())).unwrap();
    let head = format!(
        "POST /api/v1/track?x=1 HTTP/1.1\r\nHost: t\r\nContent-Type: {PROTOBUF}\r\n\
         X-Hamustro-Time: {TIME}\r\nX-Hamustro-Signature: {signature}\r\n\
         Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert_eq!(line, "HTTP/1.1 100 Continue\r\n");
    reader.read_line(&mut line).unwrap();
    let (first, second) = body.split_at(body.len() / 2);
    for chunk in [first, second] {
        write!(stream, "{:x};ext=1\r\n", chunk.len()).unwrap();
        stream.write_all(chunk).unwrap();
        stream.write_all(b"\r\n").unwrap();
    }
    stream.write_all(b"0\r\nTrailer: t\r\n\r\n").unwrap();
    line.clear();
    reader.read_line(&mut line).unwrap();
    assert_eq!(line, "HTTP/1.1 200 OK\r\n", "{:?}", collector.requests());
    assert_eq!(collector.events().len(), 1);
    assert_eq!(collector.requests()[0].path, "/api/v1/track");

    let mut garbage = TcpStream::connect(("127.0.0.1", collector.port())).unwrap();
    garbage.write_all(b"NOT HTTP\r\n\r\n").unwrap();
    let mut line = String::new();
    BufReader::new(garbage).read_line(&mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 400"), "{line:?}");
    assert_eq!(collector.requests().len(), 1, "not a request the log shows");
}
