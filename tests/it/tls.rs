//! HTTPS: certificates are verified, against the system's store and the app's own CA
//! certificates (or those alone), and the only way around it is an explicit opt-in
//! that works for a loopback collector alone.

use crate::support;

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use std::ffi::{CStr, CString};

use hamustro::ffi::{
    hamustro_config_free, hamustro_config_set_ca_certificates, hamustro_last_error_message,
    HamustroStatus,
};
use hamustro::{ErrorKind, Tracker, TrackerConfig};
use support::child;
use support::tls::TestCa;
use support::{c_config, config, temp_db, WAIT};

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
    let tracker = Tracker::new(support::with(config(&server.url, &db), |c| {
        c.accept_invalid_certs_for_loopback = true;
    }))
    .unwrap();
    tracker.track_event("E", &[] as &[(&str, &str)]).unwrap();
    tracker.flush(WAIT).unwrap();
    assert_eq!(tracker.queued(), 0);
}

#[test]
fn the_opt_out_is_refused_for_any_other_host() {
    let (_dir, db) = temp_db();
    let error = Tracker::new(support::with(
        config("https://collector.example.com", &db),
        |c| c.accept_invalid_certs_for_loopback = true,
    ))
    .err()
    .unwrap();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
}

// A collector whose certificate a private CA signed (`support::tls::TestCa`).

fn deliver_one(config: TrackerConfig) -> hamustro::Result<()> {
    let tracker = Tracker::new(config)?;
    tracker.track_event("E", &[] as &[(&str, &str)]).unwrap();
    let result = tracker.flush(WAIT);
    if result.is_err() {
        assert_eq!(tracker.queued(), 1, "the event is kept");
    }
    result
}

#[test]
fn a_private_ca_is_refused_by_default() {
    let (_dir, db) = temp_db();
    let ca = TestCa::new("hamustro test CA");
    let collector = ca.collector();
    let error = deliver_one(config(&collector.url, &db)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Network);
    assert!(error.message().contains("UnknownIssuer"), "{error}");
    assert_eq!(collector.requests(), 0);
}

#[test]
fn a_private_ca_given_as_ca_certificates_is_trusted_besides_the_system_store() {
    let (_dir, db) = temp_db();
    let ca = TestCa::new("hamustro test CA");
    let collector = ca.collector();
    deliver_one(support::with(config(&collector.url, &db), |c| {
        c.ca_certificates = Some(ca.pem());
    }))
    .unwrap();
    assert_eq!(collector.requests(), 1);
}

#[test]
fn only_these_anchors_delivers_with_the_collectors_ca_and_refuses_another() {
    let ca = TestCa::new("hamustro test CA");
    let other = TestCa::new("another CA");
    let collector = ca.collector();
    let pinned = |pem: String, db: &Path| {
        support::with(config(&collector.url, db), |c| {
            c.ca_certificates = Some(pem);
            c.ca_certificates_only = true;
        })
    };
    let (_dir, db) = temp_db();
    deliver_one(pinned(ca.pem(), &db)).unwrap();
    let (_dir, db) = temp_db();
    let error = deliver_one(pinned(other.pem(), &db)).unwrap_err();
    assert!(error.message().contains("UnknownIssuer"), "{error}");
    assert_eq!(collector.requests(), 1);
}

#[test]
fn only_these_anchors_without_anchors_is_refused() {
    let (_dir, db) = temp_db();
    let error = Tracker::new(support::with(
        config("https://collector.example.com", &db),
        |c| c.ca_certificates_only = true,
    ))
    .err()
    .unwrap();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    assert!(error.message().contains("ca_certificates"), "{error}");
}

#[test]
fn malformed_pem_is_refused_when_set() {
    let (_dir, db) = temp_db();
    let config = c_config("https://collector.example.com", &db);
    for (pem, named) in [
        ("not a certificate", "holds no certificate"),
        ("-----BEGIN CERTIFICATE-----\nAAAA\n", "no END line"),
        (
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "cannot be a trust anchor",
        ),
    ] {
        let pem = CString::new(pem).unwrap();
        // SAFETY: a live configuration and a NUL-terminated string.
        let status = unsafe { hamustro_config_set_ca_certificates(config, pem.as_ptr()) };
        assert_eq!(status, HamustroStatus::InvalidArgument);
        let message = last_error();
        assert!(message.contains(named), "{message}");
    }
    let ca = CString::new(TestCa::new("ok").pem()).unwrap();
    // SAFETY: as above.
    let status = unsafe { hamustro_config_set_ca_certificates(config, ca.as_ptr()) };
    assert_eq!(status, HamustroStatus::Ok);
    assert_eq!(hamustro_config_free(config), HamustroStatus::Ok);
}

/// The thread's last error message, through the C API.
fn last_error() -> String {
    let mut buffer = vec![0u8; 1100];
    // SAFETY: a buffer of the size given.
    unsafe { hamustro_last_error_message(buffer.as_mut_ptr().cast(), buffer.len()) };
    CStr::from_bytes_until_nul(&buffer)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// On Linux the platform verifier reads the system's CA bundle through
/// rustls-native-certs, which takes `SSL_CERT_FILE` (or `SSL_CERT_DIR`) instead of the
/// usual places when it is set: a CA put there is trusted with no option at all. The
/// variable is process-wide, so a child process of this binary sets it.
#[cfg(all(unix, not(target_vendor = "apple")))]
#[test]
fn a_ca_in_the_system_store_is_trusted_by_default() {
    let ca = TestCa::new("hamustro system-store CA");
    let collector = ca.collector();
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle.pem");
    std::fs::write(&bundle, ca.pem()).unwrap();
    let env = [("SSL_CERT_FILE", bundle.to_str().unwrap())];
    let child = child::Child::spawn_with_env("tls::system_store_child", &collector.url, &env);
    let (status, said) = child.finish(WAIT * 3);
    assert!(status.success(), "{said:?}");
    assert_eq!(said, [("delivered".to_string(), "1".to_string())]);
    assert_eq!(collector.requests(), 1);
}

/// The child of `a_ca_in_the_system_store_is_trusted_by_default`: delivers one event to
/// the collector its job names, with the default trust.
#[test]
fn system_store_child() {
    let Some(url) = child::job() else { return };
    let (_dir, db) = temp_db();
    match deliver_one(config(&url, &db)) {
        Ok(()) => child::say("delivered", 1),
        Err(error) => child::say("error", error),
    }
}
