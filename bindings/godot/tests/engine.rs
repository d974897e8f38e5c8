//! What the development collector received from the addon running in headless Godot,
//! field by field. `bindings/godot/run-tests.sh` runs the GDScript test project
//! (`test.gd`) against the collector (`--jsonl`), then this test over what both printed:
//!
//! - `HAMUSTRO_GODOT_COLLECTOR`: the collector's output (a start line, then JSON lines);
//! - `HAMUSTRO_GODOT_OUTPUT`: Godot's output (`expect KEY=VALUE` lines among others).
//!
//! Ignored by a plain `cargo test`: it needs the Godot chroot (root) and that run.

use std::collections::BTreeMap;

use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// Checks that all run: each prints "ok - NAME" or "not ok - NAME: DETAIL", as the
/// GDScript checks do, so the suite counts both alike.
#[derive(Default)]
struct Checks {
    failed: usize,
}

impl Checks {
    fn check(&mut self, name: &str, ok: bool, detail: impl std::fmt::Debug) {
        if ok {
            println!("ok - {name}");
        } else {
            self.failed += 1;
            println!("not ok - {name}: {detail:?}");
        }
    }

    fn equal<T: PartialEq + std::fmt::Debug>(&mut self, name: &str, got: &T, want: &T) {
        let ok = got == want;
        self.check(name, ok, format!("got {got:?}, want {want:?}"));
    }
}

fn read(variable: &str) -> String {
    let path = std::env::var(variable)
        .unwrap_or_else(|_| panic!("{variable} is not set: run bindings/godot/run-tests.sh"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn text<'a>(event: &'a Value, field: &str) -> Option<&'a str> {
    event.get(field).and_then(Value::as_str)
}

fn params(event: &Value) -> BTreeMap<String, String> {
    event["params"]
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(name, value)| (name.clone(), value.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
#[ignore = "needs the Godot chroot's run: bindings/godot/run-tests.sh"]
fn the_collector_received_what_gdscript_tracked() {
    let collector = read("HAMUSTRO_GODOT_COLLECTOR");
    let godot = read("HAMUSTRO_GODOT_OUTPUT");
    let expect: BTreeMap<&str, &str> = godot
        .lines()
        .filter_map(|line| line.strip_prefix("expect ")?.split_once('='))
        .collect();
    let lines: Vec<Value> = collector
        .lines()
        .skip(1)
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let mut events: Vec<&Value> = lines.iter().filter(|v| v.get("event").is_some()).collect();
    events.sort_by_key(|event| event["nr"].as_u64());
    let rejected = lines.iter().filter(|v| v.get("rejected").is_some()).count();
    let mut c = Checks::default();

    c.equal("no request was rejected", &rejected, &0);
    let names: Vec<&str> = events.iter().filter_map(|e| text(e, "event")).collect();
    c.equal(
        "the events tracked while enabled arrived, in order, once each",
        &names,
        &vec!["szint_kész", "app_start", "window_closing"],
    );
    if events.len() == 3 {
        parameters(&mut c, &events);
        attributes(&mut c, &events, &expect);
    }
    assert_eq!(c.failed, 0, "{} checks failed", c.failed);
}

/// Each parameter as GDScript's `str()` makes it, names and values in UTF-8.
fn parameters(c: &mut Checks, events: &[&Value]) {
    let want: BTreeMap<String, String> = [
        ("pálya", "Erdő 🌲"),
        ("score", "1234"),
        ("ratio", "0.5"),
        ("perfect", "true"),
        ("nothing", "<null>"),
        ("pos", "(3, 4)"),
        ("tags", "[\"a\", \"b\"]"),
        ("name", "Ünnep"),
        ("build", "éjszakai"),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    c.equal(
        "szint_kész's parameters, str() of each type, and the global one",
        &params(events[0]),
        &want,
    );
    let want = BTreeMap::from([("build".to_string(), "éjszakai".to_string())]);
    c.equal(
        "an event without parameters carries the global one",
        &params(events[1]),
        &want,
    );
    c.equal(
        "the event flushed by the close request",
        &params(events[2]).get("reason").cloned(),
        &Some("close request".to_string()),
    );
}

/// The user, the collection's attributes (Godot's defaults and the library's) and the
/// request's header.
fn attributes(c: &mut Checks, events: &[&Value], expect: &BTreeMap<&str, &str>) {
    for event in events {
        let name = text(event, "event").unwrap_or("?");
        let fields = [
            ("user_id", "játékos-42", "the user"),
            ("tenant_id", "csapat-7", "the tenant"),
            ("country", "HU", "the country, from OS.get_locale()"),
            ("client_id", "com.hamustro.godot-tests", "the client id"),
        ];
        for (field, want, what) in fields {
            c.equal(&format!("{name}: {what}"), &text(event, field), &Some(want));
        }
    }
    let first = events[0];
    let device: String = Sha256::digest(b"godot-device-1")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    c.equal(
        "the device id, hashed",
        &text(first, "device_id"),
        &Some(device.as_str()),
    );
    c.equal(
        "the product version, from application/config/version",
        &text(first, "product_version"),
        &expect.get("product_version").copied(),
    );
    c.equal(
        "the system, from OS.get_name()",
        &text(first, "system"),
        &expect.get("system").copied(),
    );
    let system_version = text(first, "system_version").unwrap_or("");
    match expect.get("system_version").copied() {
        // OS.get_version() is empty on some rolling distributions: the library's own.
        Some("") | None => c.check(
            "the system version, the library's where Godot has none",
            !system_version.is_empty(),
            system_version,
        ),
        Some(godot) => c.equal(
            "the system version, from OS.get_version()",
            &system_version,
            &godot,
        ),
    }
    c.equal(
        "Godot's locale is the test's LANG",
        &expect.get("locale").copied(),
        &Some("hu_HU"),
    );
    c.equal(
        "the system language, from OS.get_locale()",
        &text(first, "system_language"),
        &Some("hu-HU"),
    );
    c.equal(
        "the environment, the library's default",
        &first["env"].as_i64(),
        &Some(0),
    );
    c.equal(
        "the payload format, the library's default",
        &text(first, "content_type"),
        &Some("application/protobuf"),
    );
    let header = first["headers"]
        .as_object()
        .and_then(|headers| {
            headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("x-godot-test"))
        })
        .and_then(|(_, value)| value.as_str());
    c.equal("the header set_headers added", &header, &Some("igen"));
}
