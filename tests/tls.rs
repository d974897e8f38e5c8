//! HTTPS: certificates are verified, and the only way around it is an explicit opt-in
//! that works for a loopback collector alone.

mod support;

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use hamustro::{ErrorKind, Tracker, TrackerConfig};
use support::{config, temp_db, WAIT};

/// An HTTPS server on 127.0.0.1 with a self-signed certificate that answers every
/// POST with 200: `tests/support/tls_server.py`, started for the test, or the one
/// `HAMUSTRO_TEST_TLS_URL` names (started by scripts/windows-test.sh on the host, since
/// a test under Wine cannot start Linux programs).
struct SelfSignedServer {
    child: Option<Child>,
    url: String,
}

impl SelfSignedServer {
    fn start(dir: &Path) -> SelfSignedServer {
        if let Ok(url) = std::env::var("HAMUSTRO_TEST_TLS_URL") {
            return SelfSignedServer { child: None, url };
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/tls_server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(dir)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut port = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut port)
            .unwrap();
        assert!(!port.trim().is_empty(), "the TLS server did not start");
        let url = format!("https://127.0.0.1:{}", port.trim());
        SelfSignedServer {
            child: Some(child),
            url,
        }
    }
}

impl Drop for SelfSignedServer {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
fn an_untrusted_certificate_is_refused_by_default() {
    let (dir, db) = temp_db();
    let server = SelfSignedServer::start(dir.path());
    let tracker = Tracker::new(config(&server.url, &db)).unwrap();
    tracker.track_event("E", &[] as &[(&str, &str)]).unwrap();
    let error = tracker.flush(WAIT).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Network);
    assert!(error.message().contains("certificate"), "{error}");
    assert_eq!(tracker.queued(), 1, "the event is kept");
}

#[test]
fn the_loopback_opt_out_accepts_a_self_signed_development_collector() {
    let (dir, db) = temp_db();
    let server = SelfSignedServer::start(dir.path());
    let tracker = Tracker::new(TrackerConfig {
        accept_invalid_certs_for_loopback: true,
        ..config(&server.url, &db)
    })
    .unwrap();
    tracker.track_event("E", &[] as &[(&str, &str)]).unwrap();
    tracker.flush(WAIT).unwrap();
    assert_eq!(tracker.queued(), 0);
}

#[test]
fn the_opt_out_is_refused_for_any_other_host() {
    let (_dir, db) = temp_db();
    let error = Tracker::new(TrackerConfig {
        accept_invalid_certs_for_loopback: true,
        ..config("https://collector.example.com", &db)
    })
    .err()
    .unwrap();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
}
