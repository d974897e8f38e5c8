//! A small forward proxy on 127.0.0.1 for the proxy tests: `CONNECT host:port` tunnels,
//! absolute-form requests (`POST http://host:port/path`) forwarded in origin form, an
//! optional Basic credential it demands (407 without it), and a log of every request
//! line it was sent. It runs in the test process, so it works under Wine too.

use std::io::{self, BufReader, Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use base64::Engine as _;

/// A running proxy; dropping it stops accepting.
pub struct TestProxy {
    pub port: u16,
    log: Arc<Mutex<Vec<String>>>,
    stopping: Arc<AtomicBool>,
}

impl TestProxy {
    /// A proxy that forwards anything.
    pub fn start() -> TestProxy {
        TestProxy::start_with(None)
    }

    /// A proxy that forwards only requests carrying `user:password` as Basic
    /// `Proxy-Authorization`, and answers others 407.
    pub fn start_with(credentials: Option<&str>) -> TestProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stopping = Arc::new(AtomicBool::new(false));
        let expected = credentials.map(|c| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(c)
            )
        });
        let (logged, stop) = (Arc::clone(&log), Arc::clone(&stopping));
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let (logged, expected) = (Arc::clone(&logged), expected.clone());
                thread::spawn(move || {
                    let _ = serve(stream, expected.as_deref(), &logged);
                });
            }
        });
        TestProxy {
            port,
            log,
            stopping,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request line received, with what the proxy did: `CONNECT 127.0.0.1:8443
    /// HTTP/1.1 -> 200`.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// One request's head: its request line and headers, as sent.
struct Head {
    line: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn read(reader: &mut impl io::BufRead) -> io::Result<Option<Head>> {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let mut headers = Vec::new();
        loop {
            let mut header = String::new();
            reader.read_line(&mut header)?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                headers.push((name.trim().to_string(), value.trim().to_string()));
            }
        }
        Ok(Some(Head {
            line: line.trim_end().to_string(),
            headers,
        }))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn content_length(&self) -> usize {
        self.header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

fn serve(client: TcpStream, expected: Option<&str>, log: &Mutex<Vec<String>>) -> io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut writer = client;
    let mut upstream: Option<(BufReader<TcpStream>, TcpStream)> = None;
    while let Some(head) = Head::read(&mut reader)? {
        let mut body = vec![0; head.content_length()];
        reader.read_exact(&mut body)?;
        let authorized = expected.is_none() || head.header("proxy-authorization") == expected;
        let (method, rest) = head.line.split_once(' ').unwrap_or((&head.line, ""));
        let target = rest.split(' ').next().unwrap_or_default().to_string();
        if !authorized {
            log.lock().unwrap().push(format!("{} -> 407", head.line));
            writer.write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                  Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n",
            )?;
            continue;
        }
        if method == "CONNECT" {
            log.lock().unwrap().push(format!("{} -> 200", head.line));
            let server = TcpStream::connect(&target)?;
            writer.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
            // Anything the client sent after its CONNECT head is already buffered.
            let mut to_server = server.try_clone()?;
            to_server.write_all(reader.buffer())?;
            let mut from_server = server;
            let mut to_client = writer;
            let upward = thread::spawn(move || {
                let _ = io::copy(&mut reader.into_inner(), &mut to_server);
                let _ = to_server.shutdown(Shutdown::Write);
            });
            let _ = io::copy(&mut from_server, &mut to_client);
            let _ = to_client.shutdown(Shutdown::Both);
            let _ = upward.join();
            return Ok(());
        }
        // Absolute form: `POST http://host:port/path HTTP/1.1`.
        let Some(after_scheme) = target.strip_prefix("http://") else {
            log.lock().unwrap().push(format!("{} -> 400", head.line));
            writer.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")?;
            continue;
        };
        let (authority, path) = after_scheme.split_at(after_scheme.find('/').unwrap_or(0));
        log.lock()
            .unwrap()
            .push(format!("{} -> forwarded", head.line));
        if upstream.is_none() {
            let server = TcpStream::connect(authority)?;
            upstream = Some((BufReader::new(server.try_clone()?), server));
        }
        let (from_server, to_server) = upstream.as_mut().unwrap();
        let version = head.line.rsplit(' ').next().unwrap_or("HTTP/1.1");
        let mut forwarded = format!("{method} {path} {version}\r\n");
        for (name, value) in &head.headers {
            if !name.eq_ignore_ascii_case("proxy-authorization") {
                forwarded.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        forwarded.push_str("\r\n");
        to_server.write_all(forwarded.as_bytes())?;
        to_server.write_all(&body)?;
        let answer = Head::read(from_server)?.ok_or(io::ErrorKind::UnexpectedEof)?;
        let mut answer_body = vec![0; answer.content_length()];
        from_server.read_exact(&mut answer_body)?;
        let mut back = format!("{}\r\n", answer.line);
        for (name, value) in &answer.headers {
            back.push_str(&format!("{name}: {value}\r\n"));
        }
        back.push_str("\r\n");
        writer.write_all(back.as_bytes())?;
        writer.write_all(&answer_body)?;
    }
    Ok(())
}
