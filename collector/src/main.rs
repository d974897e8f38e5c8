//! `hamustro-collector`, the development Hamustro collector: validates requests exactly
//! like the genuine one and prints every event it receives and every request it
//! rejects, one line each.
//!
//! ```text
//! hamustro-collector --port 8080 --secret mysecret [--fail-with 503] [--jsonl]
//! ```
//!
//! Point the client at `http://127.0.0.1:8080` with the same shared secret.

use hamustro_collector as collector;

use std::io::Write;
use std::process::ExitCode;

use collector::{Collector, ReceivedEvent, Reply, RequestRecord, TRACK_PATH};

const DEFAULT_PORT: u16 = 8080;
const DEFAULT_SECRET: &str = "dev-secret";

const USAGE: &str = "\
Usage: hamustro-collector [--port PORT] [--secret SECRET] [--fail-with STATUS] [--jsonl]

A development Hamustro collector on 127.0.0.1. It validates each request like the
genuine collector (signature, content type, required fields, session) and prints one
line per received event and one per rejected request.

Options:
  --port PORT          port to listen on (default 8080; 0 picks a free one)
  --secret SECRET      shared secret the client signs with (default: dev-secret)
  --fail-with STATUS   answer every request with STATUS instead (e.g. 503), to try
                       how the client keeps and retries its events
  --jsonl              after the start line, print each received event and each
                       rejected request as one JSON object per line (for scripts
                       and tests)
  -h, --help           print this help";

struct Options {
    port: u16,
    secret: Option<String>,
    fail_with: Option<u16>,
    jsonl: bool,
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let secret = options.secret.as_deref().unwrap_or(DEFAULT_SECRET);
    let collector = match Collector::start_on(options.port, secret) {
        Ok(collector) => collector,
        Err(error) => {
            eprintln!(
                "error: cannot listen on 127.0.0.1:{}: {error}",
                options.port
            );
            return ExitCode::FAILURE;
        }
    };
    if let Some(status) = options.fail_with {
        collector.set_default_reply(Reply::Status(status));
    }
    if options.jsonl {
        collector.on_event(Box::new(|event, request| emit(&event_json(event, request))));
        collector.on_request(Box::new(|request| {
            if request.status != 200 {
                emit(&rejection_json(request));
            }
        }));
    } else {
        collector.on_event(Box::new(|event, _| emit(&describe_event(event))));
        collector.on_request(Box::new(|request| {
            if let Some(line) = describe_unaccepted(request) {
                emit(&line);
            }
        }));
    }
    emit(&banner(&collector, &options));
    // Everything happens on the collector's thread; stay alive until killed.
    loop {
        std::thread::park();
    }
}

/// Parses the arguments; `Ok(None)` means help was asked for.
fn parse_args(args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options {
        port: DEFAULT_PORT,
        secret: None,
        fail_with: None,
        jsonl: false,
    };
    let mut args = args;
    while let Some(arg) = args.next() {
        // Accept both `--port 8080` and `--port=8080`.
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg, None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--jsonl" => options.jsonl = true,
            "--port" => options.port = parse_number(&flag, &value()?)?,
            "--secret" => options.secret = Some(value()?),
            "--fail-with" => {
                let status: u16 = parse_number(&flag, &value()?)?;
                if !(100..=599).contains(&status) {
                    return Err(format!(
                        "--fail-with needs an HTTP status (100-599), got {status}"
                    ));
                }
                options.fail_with = Some(status);
            }
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    Ok(Some(options))
}

fn parse_number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag} needs a number, got {value:?}"))
}

/// The start line. It tells whether a secret was given, never the secret itself.
fn banner(collector: &Collector, options: &Options) -> String {
    let secret = if options.secret.is_some() {
        "given"
    } else {
        "default"
    };
    let mut line = format!(
        "hamustro development collector listening on {}{TRACK_PATH} (secret: {secret})",
        collector.url()
    );
    if let Some(status) = options.fail_with {
        line.push_str(&format!(", answering every request with {status}"));
    }
    line
}

/// `event session=1a2b3c4d nr=3 "app_open" {screen="home"} user=u-1 at=1454514001s`
fn describe_event(event: &ReceivedEvent) -> String {
    let session: String = event.session.chars().take(8).collect();
    let params: Vec<String> = event
        .params
        .iter()
        .map(|(name, value)| format!("{name}={value:?}"))
        .collect();
    let mut line = format!(
        "event session={session} nr={} {:?} {{{}}}",
        event.nr,
        event.event,
        params.join(", ")
    );
    if let Some(user) = &event.user_id {
        line.push_str(&format!(" user={user}"));
    }
    if let Some(tenant) = &event.tenant_id {
        line.push_str(&format!(" tenant={tenant}"));
    }
    line.push_str(&format!(" at={}s", event.at));
    // A common client bug; the collector accepts it, the data is wrong downstream.
    if event.at >= 100_000_000_000 {
        line.push_str(" (looks like milliseconds, should be seconds)");
    }
    line
}

/// A line for every request not answered 200 (those print their events instead).
fn describe_unaccepted(request: &RequestRecord) -> Option<String> {
    let what = format!("{} {}", request.method, request.path);
    match (request.status, &request.error) {
        (200, _) => None,
        (204, _) => Some(format!("answered 204 {what}: collection had no payloads")),
        (status, _) if request.scripted => Some(format!("answered {status} {what}: --fail-with")),
        (status, Some(reason)) => Some(format!("rejected {status} {what}: {reason}")),
        (status, None) => Some(format!("rejected {status} {what}")),
    }
}

/// An accepted event as one JSON object, with its collection's attributes and the
/// request's content type and headers.
fn event_json(event: &ReceivedEvent, request: &RequestRecord) -> String {
    let header = &event.collection_header;
    let params: serde_json::Map<String, serde_json::Value> = event
        .params
        .iter()
        .map(|(name, value)| (name.clone(), value.clone().into()))
        .collect();
    let headers: serde_json::Map<String, serde_json::Value> = request
        .headers
        .iter()
        .map(|(name, value)| (name.clone(), value.clone().into()))
        .collect();
    serde_json::json!({
        "session": event.session,
        "nr": event.nr,
        "at": event.at,
        "event": event.event,
        "params": params,
        "tenant_id": event.tenant_id,
        "user_id": event.user_id,
        "timezone": event.timezone,
        "ip": event.ip,
        "country": event.country,
        "device_id": header.device_id,
        "client_id": header.client_id,
        "system_version": header.system_version,
        "product_version": header.product_version,
        "env": header.env,
        "device_make": header.device_make,
        "device_model": header.device_model,
        "system": header.system,
        "system_language": header.system_language,
        "browser": header.browser,
        "browser_version": header.browser_version,
        "product_git_hash": header.product_git_hash,
        "product_language": header.product_language,
        "content_type": request.content_type,
        "headers": headers,
    })
    .to_string()
}

/// A request not answered 200, as one JSON object.
fn rejection_json(request: &RequestRecord) -> String {
    let reason = match (&request.error, request.scripted) {
        (Some(reason), _) => reason.clone(),
        (None, true) => "--fail-with".to_string(),
        (None, false) => String::new(),
    };
    serde_json::json!({ "rejected": request.status, "reason": reason }).to_string()
}

/// Prints one line and flushes, so a script watching the output sees it at once.
fn emit(line: &str) {
    let mut out = std::io::stdout().lock();
    // A closed stdout must not kill the collector's thread.
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}
