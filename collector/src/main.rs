//! `hamustro-collector`, the development Hamustro collector: validates requests exactly
//! like the genuine one, shows what arrives on a live page, answers a test API, injects
//! faults, and prints every event it receives and every request it rejects, one line
//! each.
//!
//! ```text
//! hamustro-collector --port 8080 --secret mysecret [--jsonl] [--fault status=503,count=3]
//! ```
//!
//! Point the client at `http://127.0.0.1:8080` with the same shared secret, and open
//! the same address in a browser.

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use hamustro_collector::workbench::faults::FaultSpec;
use hamustro_collector::workbench::store::{Event, Request};
use hamustro_collector::workbench::{Options, Workbench};
use hamustro_collector::TRACK_PATH;

const DEFAULT_PORT: u16 = 8080;
const DEFAULT_SECRET: &str = "dev-secret";

const USAGE: &str = "\
Usage: hamustro-collector [--port PORT] [--secret SECRET] [--listen ADDRESS]
                          [--max-events N] [--db FILE] [--fault SPEC]... [--jsonl]

The development Hamustro collector. It validates each request like the genuine
collector (signature, content type, required fields, session), shows the events and
rejections on a live page at http://127.0.0.1:PORT/, answers a test API under /api/,
and prints one line per received event and one per rejected request.

Options:
  --port PORT          port to listen on (default 8080; 0 picks a free one)
  --secret SECRET      shared secret the client signs with (default: dev-secret)
  --listen ADDRESS     address to listen on (default 127.0.0.1); anything else lets
                       other machines in: this is a development tool, not a server
  --max-events N       events (and requests) kept in memory (default 10000)
  --db FILE            keep every accepted event in this SQLite file, and show them
                       again after a restart
  --fault SPEC         start with a fault: status=503[,retry-after=2][,count=3],
                       delay-ms=500, drop=before|after, refuse-seconds=5 (parts of
                       one fault are comma-separated; several --fault flags merge)
  --fail-with STATUS   the same as --fault status=STATUS
  --jsonl              after the start line, print each received event and each
                       rejected request as one JSON object per line (for scripts
                       and tests)
  -h, --help           print this help";

struct Args {
    options: Options,
    secret_given: bool,
    jsonl: bool,
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let Args {
        mut options,
        secret_given,
        jsonl,
    } = args;
    let fault = options.fault.as_ref().map(FaultSpec::describe);
    let (address, port) = (options.address, options.port);
    options.output = Some(if jsonl {
        Box::new(|request, events| {
            if request.status == 200 {
                for event in events {
                    emit(&event_json(event, request));
                }
            } else {
                emit(&rejection_json(request));
            }
        })
    } else {
        Box::new(|request, events| {
            if request.status == 200 {
                for event in events {
                    emit(&describe_event(event));
                }
            } else {
                emit(&describe_unaccepted(request));
            }
        })
    });
    let workbench = match Workbench::start(options) {
        Ok(workbench) => workbench,
        Err(error) => {
            eprintln!("error: cannot listen on {address}:{port}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let secret = if secret_given { "given" } else { "default" };
    let url = workbench.url();
    // The first line names the track URL: scripts/dev-collector.sh and the bindings'
    // tests read it.
    let mut banner =
        format!("hamustro development collector listening on {url}{TRACK_PATH} (secret: {secret})");
    if let Some(fault) = fault.filter(|fault| !fault.is_empty()) {
        banner.push_str(&format!(", fault: {fault}"));
    }
    if jsonl {
        // Every later line is JSON; the page's address goes on the first.
        banner.push_str(&format!(", live view {url}/"));
        emit(&banner);
    } else {
        emit(&banner);
        emit(&format!(
            "live view: {url}/ (the events, rejections and faults; test API under {url}/api/)"
        ));
    }
    if !address.is_loopback() {
        eprintln!(
            "WARNING: listening on {}, reachable from other machines. hamustro-collector is \
             a development tool: anyone who reaches it can read every event and inject faults.",
            workbench.address()
        );
    }
    // Everything happens on the collector's threads; stay alive until killed.
    loop {
        std::thread::park();
    }
}

/// Parses the arguments; `Ok(None)` means help was asked for.
fn parse_args(args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut options = Options::new(DEFAULT_SECRET);
    options.port = DEFAULT_PORT;
    let mut secret_given = false;
    let mut jsonl = false;
    let mut fault: Option<FaultSpec> = None;
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
        let mut more = |spec: FaultSpec| {
            let merged = fault.get_or_insert_with(FaultSpec::default);
            merged.merge(spec);
            merged.check()
        };
        match flag.as_str() {
            "--jsonl" => jsonl = true,
            "--port" => options.port = parse_number(&flag, &value()?)?,
            "--secret" => {
                options.secret = value()?;
                secret_given = true;
            }
            "--listen" => {
                let address = value()?;
                options.address = address.parse::<IpAddr>().map_err(|_| {
                    format!("--listen needs an IP address (e.g. 0.0.0.0), got {address:?}")
                })?;
            }
            "--max-events" => {
                options.max_events = parse_number(&flag, &value()?)?;
                if options.max_events == 0 {
                    return Err("--max-events must be at least 1".to_owned());
                }
            }
            "--db" => options.db = Some(PathBuf::from(value()?)),
            "--fault" => more(FaultSpec::parse(&value()?).map_err(|e| format!("--fault: {e}"))?)?,
            "--fail-with" => {
                let status: u16 = parse_number(&flag, &value()?)?;
                if !(100..=599).contains(&status) {
                    return Err(format!(
                        "--fail-with needs an HTTP status (100-599), got {status}"
                    ));
                }
                more(FaultSpec {
                    status: Some(status),
                    ..FaultSpec::default()
                })?;
            }
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    options.fault = fault;
    Ok(Some(Args {
        options,
        secret_given,
        jsonl,
    }))
}

fn parse_number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag} needs a number, got {value:?}"))
}

/// `event session=1a2b3c4d nr=3 "app_open" {screen="home"} user=u-1 at=1454514001s`
fn describe_event(event: &Event) -> String {
    let session: String = event.session.chars().take(8).collect();
    let params: Vec<String> = event
        .parameters
        .iter()
        .map(|p| format!("{}={:?}", p.name, p.value))
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
    for flag in &event.flags {
        line.push_str(&format!(" ({}: {})", flag.kind, flag.note));
    }
    line
}

/// A line for every request not answered 200 (those print their events instead).
fn describe_unaccepted(request: &Request) -> String {
    let what = format!("{} {}", request.method, request.path);
    let reason = request.reason.as_deref().unwrap_or("");
    match (request.status, request.hint.as_deref()) {
        (0, _) => format!("dropped {what}: {reason}"),
        (status, _) if request.kind == "fault" => format!("answered {status} {what}: {reason}"),
        (204, _) => format!("answered 204 {what}: collection had no payloads"),
        (status, Some(hint)) => format!("rejected {status} {what}: {reason}\n  fix: {hint}"),
        (status, None) => format!("rejected {status} {what}: {reason}"),
    }
}

/// An accepted event as one JSON object, with its collection's attributes and the
/// request's content type and headers.
fn event_json(event: &Event, request: &Request) -> String {
    let params: serde_json::Map<String, serde_json::Value> = event
        .parameters
        .iter()
        .map(|p| (p.name.clone(), p.value.clone().into()))
        .collect();
    let headers: serde_json::Map<String, serde_json::Value> = request
        .headers
        .iter()
        .map(|(name, value)| (name.clone(), value.clone().into()))
        .collect();
    let content_type = match request.format.as_str() {
        "protobuf" => "application/protobuf",
        "json" => "application/json",
        other => other,
    };
    // The number, as the collection carried it.
    let env = hamustro_collector::wire::Environment::from_str_name(&event.env)
        .map_or_else(|| event.env.parse().unwrap_or(-1), |env| env as i32);
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
        "device_id": event.device_id,
        "client_id": event.client_id,
        "system_version": event.system_version,
        "product_version": event.product_version,
        "env": env,
        "device_make": event.device_make,
        "device_model": event.device_model,
        "system": event.system,
        "system_language": event.system_language,
        "browser": event.browser,
        "browser_version": event.browser_version,
        "product_git_hash": event.product_git_hash,
        "product_language": event.product_language,
        "content_type": content_type,
        "headers": headers,
    })
    .to_string()
}

/// A request not answered 200, as one JSON object.
fn rejection_json(request: &Request) -> String {
    let reason = match (&request.reason, &request.fault) {
        (_, Some(_)) if request.kind == "fault" => "--fail-with".to_string(),
        (Some(reason), _) => reason.clone(),
        (None, _) => String::new(),
    };
    serde_json::json!({
        "rejected": request.status,
        "reason": reason,
        "hint": request.hint,
    })
    .to_string()
}

/// Prints one line and flushes, so a script watching the output sees it at once.
fn emit(line: &str) {
    let mut out = std::io::stdout().lock();
    // A closed stdout must not kill the collector's thread.
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}
