//! HTTPS: certificates are verified, and the only way around it is an explicit opt-in
//! that works for a loopback collector alone.

mod support;

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use hamustro::{ErrorKind, Tracker, TrackerConfig};
use support::{config, temp_db, WAIT};

/// An HTTPS server on 127.0.0.1 with a self-signed certificate that answers every
/// POST with 200 (python3's http.server over ssl; the certificate comes from openssl).
struct SelfSignedServer {
    child: Child,
    url: String,
}

impl SelfSignedServer {
    fn start(dir: &Path) -> SelfSignedServer {
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        let made = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args([
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(Stdio::null())
            .status()
            .expect("openssl runs");
        assert!(made.success());
        let script = "import http.server, ssl, sys\n\
            class H(http.server.BaseHTTPRequestHandler):\n\
            \x20   def do_POST(self):\n\
            \x20       self.rfile.read(int(self.headers['Content-Length']))\n\
            \x20       self.send_response(200)\n\
            \x20       self.send_header('Content-Length', '0')\n\
            \x20       self.end_headers()\n\
            \x20   def log_message(self, *args):\n\
            \x20       pass\n\
            server = http.server.HTTPServer(('127.0.0.1', 0), H)\n\
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n\
            context.load_cert_chain(sys.argv[1], sys.argv[2])\n\
            server.socket = context.wrap_socket(server.socket, server_side=True)\n\
            print(server.server_address[1], flush=True)\n\
            server.serve_forever()\n";
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(&cert)
            .arg(&key)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut port = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut port)
            .unwrap();
        let url = format!("https://127.0.0.1:{}", port.trim());
        SelfSignedServer { child, url }
    }
}

impl Drop for SelfSignedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
