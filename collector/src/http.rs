//! The test collector's HTTP/1.1 server: a listener on 127.0.0.1 and one thread per
//! connection, with keep-alive, `Content-Length` and chunked bodies, and
//! `Expect: 100-continue`.
//!
//! Hand-written rather than a crate so that the collector can misbehave the way real
//! servers and networks do: answer late, close a connection without answering, or never
//! answer at all. Stopping the server closes every open connection, so a client's pooled
//! connection never reaches a stopped collector, and frees the port at once.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The longest request line or header line accepted.
const MAX_LINE: u64 = 64 * 1024;
const MAX_HEADERS: usize = 200;
/// Far above anything a tracker sends (about 512 KiB per request).
const MAX_BODY: usize = 64 * 1024 * 1024;
/// How often a connection's blocked read looks at `stopping`, where shutting the
/// socket down does not wake it (Windows; under Wine neither `shutdown` nor closing a
/// duplicate handle ends a pending `recv`).
const STOP_CHECK: Duration = Duration::from_millis(50);

/// One request, read completely.
pub struct Request {
    pub method: String,
    /// The path without the query string.
    pub path: String,
    /// Header names lowercased, values trimmed, in arrival order.
    pub headers: Vec<(String, String)>,
    /// As read: shorter than announced when the client closed mid-body.
    pub body: Vec<u8>,
    /// When the request had been read completely.
    pub at: Instant,
}

impl Request {
    /// The first value of header `name`, as Go's `Header.Get` returns it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An answer; `Content-Length` (and `Connection: close` when closing) is added on sending.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What the handler wants done with a request's connection.
pub enum Answer {
    Respond(Response),
    /// Close the connection without answering.
    Close,
    /// Send nothing and keep the connection open until the client closes it.
    Hang,
}

pub type Handler = Box<dyn Fn(&Request) -> Answer + Send + Sync>;

/// A running server; dropping it closes the listener and every connection, and waits
/// for their threads (a handler that is still running is waited for).
pub struct Server {
    port: u16,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    stopping: AtomicBool,
    /// A second handle on each open connection, to close it when stopping.
    connections: Mutex<HashMap<usize, TcpStream>>,
}

impl Shared {
    fn connections(&self) -> MutexGuard<'_, HashMap<usize, TcpStream>> {
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Server {
    /// Listens on 127.0.0.1:`port` (0 = ephemeral). A taken port fails with
    /// `ErrorKind::AddrInUse`.
    pub fn start(port: u16, handler: Handler) -> io::Result<Server> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared {
            stopping: AtomicBool::new(false),
            connections: Mutex::new(HashMap::new()),
        });
        let thread = thread::Builder::new()
            .name("hamustro-collector".into())
            .spawn({
                let shared = shared.clone();
                move || accept_loop(&listener, &shared, &Arc::new(handler))
            })?;
        Ok(Server {
            port,
            shared,
            thread: Some(thread),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then closes the connections and joins their threads.
        let woken = TcpStream::connect(("127.0.0.1", self.port)).is_ok();
        if let Some(thread) = self.thread.take() {
            if woken {
                let _ = thread.join();
            }
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>, handler: &Arc<Handler>) {
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    for (id, stream) in listener.incoming().enumerate() {
        if shared.stopping.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let Ok(handle) = stream.try_clone() else {
            continue;
        };
        shared.connections().insert(id, handle);
        workers.retain(|worker| !worker.is_finished());
        let spawned = thread::Builder::new()
            .name("hamustro-collector-connection".into())
            .spawn({
                let (shared, handler) = (shared.clone(), handler.clone());
                move || {
                    serve_connection(stream, &shared, &handler);
                    shared.connections().remove(&id);
                }
            });
        match spawned {
            Ok(worker) => workers.push(worker),
            Err(_) => drop(shared.connections().remove(&id)),
        }
    }
    for connection in shared.connections().values() {
        let _ = connection.shutdown(Shutdown::Both);
    }
    for worker in workers {
        let _ = worker.join();
    }
}

/// A connection's reading side, which gives up when the server stops.
struct Incoming<'a> {
    stream: TcpStream,
    stopping: &'a AtomicBool,
}

impl Read for Incoming<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.stream.read(buf) {
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if self.stopping.load(Ordering::SeqCst) {
                        return Err(io::ErrorKind::ConnectionAborted.into());
                    }
                }
                result => return result,
            }
        }
    }
}

type Reader<'a> = BufReader<Incoming<'a>>;

fn serve_connection(stream: TcpStream, shared: &Shared, handler: &Handler) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    if cfg!(windows) && stream.set_read_timeout(Some(STOP_CHECK)).is_err() {
        return;
    }
    let mut reader = BufReader::new(Incoming {
        stream,
        stopping: &shared.stopping,
    });
    loop {
        let (request, keep_alive) = match read_request(&mut reader, &mut writer) {
            Ok(Some(read)) => read,
            Err(error) if error.kind() == io::ErrorKind::InvalidData => {
                let _ = writer.write_all(&bad_request(&error.to_string()));
                return;
            }
            Ok(None) | Err(_) => return,
        };
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        match handler(&request) {
            Answer::Respond(response) => {
                let bytes = response.to_bytes(request.method == "HEAD", !keep_alive);
                let sent = writer.write_all(&bytes).and_then(|()| writer.flush());
                if sent.is_err() || !keep_alive {
                    return;
                }
            }
            Answer::Close => {
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Answer::Hang => {
                // The client sends nothing more before an answer: wait for it to give up.
                let mut sink = [0u8; 1024];
                while matches!(reader.read(&mut sink), Ok(n) if n > 0) {}
                return;
            }
        }
    }
}

/// Reads the next request and whether the connection stays open after it. `None` is a
/// connection closed cleanly between requests.
fn read_request(
    reader: &mut Reader<'_>,
    writer: &mut TcpStream,
) -> io::Result<Option<(Request, bool)>> {
    // Empty lines before a request line are allowed (RFC 9112, 2.2).
    let line = loop {
        match read_line(reader)? {
            None => return Ok(None),
            Some(line) if line.is_empty() => continue,
            Some(line) => break line,
        }
    };
    let parts: Vec<&str> = line.split(' ').collect();
    let [method, target, version] = parts[..] else {
        return Err(invalid(format!("malformed request line {line:?}")));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(invalid(format!("unsupported version {version:?}")));
    }
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader)?.ok_or_else(|| invalid("connection closed in the headers"))?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| invalid(format!("malformed header line {line:?}")))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        if headers.len() > MAX_HEADERS {
            return Err(invalid("too many headers"));
        }
    }
    let mut request = Request {
        method: method.to_owned(),
        path: target.split('?').next().unwrap_or(target).to_owned(),
        headers,
        body: Vec::new(),
        at: Instant::now(),
    };
    let has = |name: &str, token: &str| {
        request
            .header(name)
            .is_some_and(|value| value.to_ascii_lowercase().contains(token))
    };
    let http_1_0 = version == "HTTP/1.0";
    let keep_alive = if http_1_0 {
        has("connection", "keep-alive")
    } else {
        !has("connection", "close")
    };
    if !http_1_0 && has("expect", "100-continue") {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let complete = if has("transfer-encoding", "chunked") {
        read_chunked(reader, &mut request.body)?
    } else if let Some(length) = request.header("content-length") {
        let length: usize = length
            .parse()
            .ok()
            .filter(|&length| length <= MAX_BODY)
            .ok_or_else(|| invalid(format!("unusable Content-Length {length:?}")))?;
        read_at_most(reader, length, &mut request.body)?
    } else {
        true
    };
    request.at = Instant::now();
    Ok(Some((request, keep_alive && complete)))
}

/// Appends up to `length` body bytes; false when the client closed before sending them.
fn read_at_most(reader: &mut impl BufRead, length: usize, body: &mut Vec<u8>) -> io::Result<bool> {
    let before = body.len();
    reader.take(length as u64).read_to_end(body)?;
    Ok(body.len() - before == length)
}

/// Appends a chunked body; false when the client closed before its end.
fn read_chunked(reader: &mut Reader<'_>, body: &mut Vec<u8>) -> io::Result<bool> {
    loop {
        let Some(line) = read_line(reader)? else {
            return Ok(false);
        };
        let size = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16)
            .ok()
            .filter(|&size| body.len() + size <= MAX_BODY)
            .ok_or_else(|| invalid(format!("malformed chunk size {line:?}")))?;
        if size == 0 {
            // Trailer fields, ignored, up to the empty line.
            while let Some(line) = read_line(reader)? {
                if line.is_empty() {
                    return Ok(true);
                }
            }
            return Ok(false);
        }
        if !read_at_most(reader, size, body)? || read_line(reader)?.is_none() {
            return Ok(false);
        }
    }
}

/// One line without its CRLF (or bare LF); `None` at the end of the stream.
fn read_line(reader: &mut impl BufRead) -> io::Result<Option<String>> {
    let mut line = Vec::new();
    reader.take(MAX_LINE).read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Ok(None);
    }
    if line.pop() != Some(b'\n') {
        return Err(invalid("line too long or cut off"));
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

fn bad_request(reason: &str) -> Vec<u8> {
    Response {
        status: 400,
        headers: Vec::new(),
        body: reason.as_bytes().to_vec(),
    }
    .to_bytes(false, true)
}

impl Response {
    fn to_bytes(&self, head_only: bool, close: bool) -> Vec<u8> {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        // 1xx, 204 and 304 answers have no body and must not announce one.
        let bodyless = self.status < 200 || self.status == 204 || self.status == 304;
        if !bodyless {
            head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        if close {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        if !head_only && !bodyless {
            bytes.extend_from_slice(&self.body);
        }
        bytes
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}
