//! Tracks a few events and delivers them to the collector named on the command line:
//! the library's Rust API end to end, in one small program.
//!
//! ```text
//! cargo run -p hamustro-collector -- --port 8080 --secret dev-secret   # in one terminal
//! cargo run --example track -- http://127.0.0.1:8080 --secret dev-secret --count 3
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use hamustro::log::{set_logger, Level};
use hamustro::{Tracker, TrackerConfig};

const USAGE: &str = "\
Usage: cargo run --example track -- COLLECTOR_URL [--secret SECRET] [--count N] [--db PATH]

Tracks N events (default 3) named Example.Tracked and waits up to 10 seconds for the
collector at COLLECTOR_URL (e.g. http://127.0.0.1:8080) to accept them. Events it
does not accept stay queued in the database and go out on the next run.

Options:
  --secret SECRET   the secret shared with the collector (default: dev-secret)
  --count N         how many events to track (default 3)
  --db PATH         the queue's SQLite file (default: hamustro-example.sqlite in the
                    temporary directory)
  -h, --help        this text";

struct Options {
    collector_url: String,
    secret: String,
    count: u32,
    database: PathBuf,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut collector_url = None;
    let mut secret = "dev-secret".to_string();
    let mut count = 3;
    let mut database = std::env::temp_dir().join("hamustro-example.sqlite");
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--secret" => secret = value("--secret")?,
            "--count" => {
                let given = value("--count")?;
                count = given
                    .parse()
                    .map_err(|_| format!("--count {given:?} is not a number"))?;
            }
            "--db" => database = value("--db")?.into(),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            url if collector_url.is_none() => collector_url = Some(url.to_string()),
            extra => return Err(format!("unexpected argument {extra:?}")),
        }
    }
    let collector_url = collector_url.ok_or("the collector's URL is missing")?;
    Ok(Some(Options {
        collector_url,
        secret,
        count,
        database,
    }))
}

fn run(options: Options) -> hamustro::Result<()> {
    // The library never prints; this shows what it does.
    set_logger(Some((
        Level::Info,
        Arc::new(|level, message: &str| eprintln!("[{level:?}] {message}")),
    )));
    let mut config = TrackerConfig::new(
        options.collector_url,
        options.secret,
        "example-device",
        "hamustro-example",
        env!("CARGO_PKG_VERSION"),
    );
    config.database_path = Some(options.database);
    let tracker = Tracker::new(config)?;
    for n in 1..=options.count {
        tracker.track_event("Example.Tracked", &[("n", n.to_string())])?;
    }
    tracker.flush(Duration::from_secs(10))?;
    let stats = tracker.stats()?;
    println!(
        "delivered {} events in all; {} queued",
        stats.delivered, stats.queued
    );
    Ok(())
}

fn main() -> ExitCode {
    match parse(std::env::args().skip(1)) {
        Ok(None) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Err(problem) => {
            eprintln!("{problem}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Ok(Some(options)) => match run(options) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error ({:?}): {error}", error.kind());
                ExitCode::FAILURE
            }
        },
    }
}
