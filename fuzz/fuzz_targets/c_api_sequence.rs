//! The C API driven by arbitrary sequences of calls, as a careless or hostile app
//! would make them: every setter with any string (NULL, empty, huge, invalid UTF-8),
//! the queue given as a database path, a database directory or both, trackers
//! opened, used, freed twice and reopened on the same database, made-up, stale and
//! wrong-kind handles, buffers of every size.
//!
//! What must hold after every call:
//! - the status is a defined one and never HAMUSTRO_STATUS_INTERNAL (and no panic
//!   anywhere: libfuzzer-sys aborts on any panic, caught or not);
//! - a failed call leaves a non-empty last error message; a successful one does not
//!   change it; no message or log line carries the shared secret;
//! - out-parameters are written only on success, and only as far as documented;
//! - a dead handle (freed, made up, zero, the wrong kind) never gives OK;
//! - no event is lost or invented: a tracker's stats show exactly the events tracked
//!   OK while enabled, less those discarded and those dropped at the queue cap,
//!   across frees and reopens; nothing is delivered (the collector refuses every
//!   connection), and flush is OK only when nothing is queued;
//! - a small event on a live, enabled tracker is always accepted;
//! - nothing is printed to stdout or stderr.
//!
//! Every input starts from an empty scratch directory with one complete
//! configuration and one tracker, and frees whatever it created at the end.
#![no_main]

use std::collections::HashMap;
use std::ffi::{c_char, c_void, CStr, CString};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

use arbitrary::Arbitrary;
use hamustro::ffi::*;
use hamustro::internals::tracker::{
    database_path_in, default_database_directory, legacy_database_path, use_legacy,
};
use hamustro::TrackerConfig;
use hamustro_fuzz::{capture, refused_url, scratch_dir, wipe};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "fz-Secret-4b1d9e";
const SENTINEL: u64 = 0xA5A5_A5A5_A5A5_A5A5;

#[derive(Arbitrary, Debug, Clone)]
enum Text {
    Null,
    Empty,
    Utf8(String),
    /// Any bytes but NUL: often invalid UTF-8.
    Bytes(Vec<u8>),
    /// Up to 640 KiB: around the limits on names (1 KiB) and events (256 KiB).
    Long {
        len: u32,
        wide: bool,
    },
}

impl Text {
    fn c_string(&self) -> Option<CString> {
        let bytes = match self {
            Text::Null => return None,
            Text::Empty => Vec::new(),
            Text::Utf8(s) => s.as_bytes().to_vec(),
            Text::Bytes(b) => b.clone(),
            Text::Long { len, wide } => {
                let unit = if *wide { "é" } else { "x" };
                let len = *len as usize % (640 * 1024);
                unit.repeat(len / unit.len()).into_bytes()
            }
        };
        let bytes: Vec<u8> = bytes.into_iter().filter(|b| *b != 0).collect();
        Some(CString::new(bytes).expect("NULs were removed"))
    }
}

/// How a C string argument will be read: NULL, not UTF-8, empty, or its text.
enum Arg {
    Null,
    NotUtf8,
    Str(String),
}

fn classify(text: &Option<CString>) -> Arg {
    match text {
        None => Arg::Null,
        Some(c) => match c.to_str() {
            Ok(s) => Arg::Str(s.to_string()),
            Err(_) => Arg::NotUtf8,
        },
    }
}

fn ptr(text: &Option<CString>) -> *const c_char {
    text.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Handle {
    Config(u8),
    Tracker(u8),
    Zero,
    Raw(u64),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum TextField {
    SharedSecretKey,
    DeviceId,
    ClientId,
    SystemVersion,
    ProductVersion,
    DeviceMake,
    DeviceModel,
    System,
    SystemLanguage,
    Browser,
    BrowserVersion,
    ProductGitHash,
    ProductLanguage,
    Ip,
    Country,
    UserIdSalt,
}

type Setter = unsafe extern "C" fn(HamustroConfig, *const c_char) -> HamustroStatus;

impl TextField {
    fn setter(self) -> (Setter, bool) {
        match self {
            TextField::SharedSecretKey => (hamustro_config_set_shared_secret_key, true),
            TextField::DeviceId => (hamustro_config_set_device_id, true),
            TextField::ClientId => (hamustro_config_set_client_id, true),
            TextField::SystemVersion => (hamustro_config_set_system_version, true),
            TextField::ProductVersion => (hamustro_config_set_product_version, true),
            TextField::DeviceMake => (hamustro_config_set_device_make, false),
            TextField::DeviceModel => (hamustro_config_set_device_model, false),
            TextField::System => (hamustro_config_set_system, false),
            TextField::SystemLanguage => (hamustro_config_set_system_language, false),
            TextField::Browser => (hamustro_config_set_browser, false),
            TextField::BrowserVersion => (hamustro_config_set_browser_version, false),
            TextField::ProductGitHash => (hamustro_config_set_product_git_hash, false),
            TextField::ProductLanguage => (hamustro_config_set_product_language, false),
            TextField::Ip => (hamustro_config_set_ip, false),
            TextField::Country => (hamustro_config_set_country, false),
            TextField::UserIdSalt => (hamustro_config_set_user_id_salt, false),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Number {
    QueueSize(u32),
    QueueRetention(u32),
    PayloadFormat(u32),
    RequestTimeoutMs(u32),
    MaxQueuedEvents(u8),
    Env(i32),
    AcceptInvalidCertsForLoopback(bool),
    CaCertificatesOnly(bool),
    ProxyFromEnvironment(bool),
}

/// A CA certificate that parses (made with openssl for the fuzzer; it signs nothing).
const FUZZ_CA_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBjTCCATOgAwIBAgIUZYNzRLiF0tSVE2Vi4tNadbmeoggwCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQaGFtdXN0cm8gZnV6eiBDQTAgFw0yNjEyMDcxNTAzMDVaGA8y
MTI2MTExMzE1MDMwNVowGzEZMBcGA1UEAwwQaGFtdXN0cm8gZnV6eiBDQTBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABGaYfWjnysqVNNV5fkm+3cSqTBdggnJ1e9oY
iSsGLiWGqqkUqyl5dFnT/MBgn+0h79h8K9hclLDDFIWHVEL9QTyjUzBRMB0GA1Ud
DgQWBBTxPIB4vJleIeMVQUNeRVTVU5ma7TAfBgNVHSMEGDAWgBTxPIB4vJleIeMV
QUNeRVTVU5ma7TAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIBto
RthZjE7d6Trp49AZppu09aUKTWZqh67FZdfmsERsAiEA+mY/Ls44mRo76WZm3KqJ
l00WApLhP6Zk/UgDLoXzDjQ=
-----END CERTIFICATE-----
";

/// `hamustro_config_set_ca_certificates` and `_proxy` arguments. A proxy that is
/// accepted is only ever the refusing loopback socket, so nothing reaches a network.
#[derive(Arbitrary, Debug, Clone)]
enum NetworkArg {
    CaValid,
    /// The valid PEM with `Text` spliced in at `at`: broken in every way a PEM can be.
    CaMangled { at: u16, text: Text },
    Ca(Text),
    ProxyRefused { credentials: bool },
    Proxy(Text),
}

/// Collector URLs that can never reach anything but the refusing loopback socket.
#[derive(Arbitrary, Debug, Clone)]
enum UrlArg {
    Refused,
    /// The refused URL with a path of URL-safe characters.
    RefusedWithPath(String),
    /// Anything without a ':' (so with no scheme): must be refused at tracker_new.
    NoScheme(String),
    NotUtf8(Vec<u8>),
    Null,
    Empty,
}

impl UrlArg {
    fn c_string(&self) -> Option<CString> {
        let text = match self {
            UrlArg::Refused => refused_url().to_string(),
            UrlArg::RefusedWithPath(path) => {
                let path: String = path
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || "-._~/".contains(*c))
                    .collect();
                format!("{}/{path}", refused_url())
            }
            UrlArg::NoScheme(text) => text.replace([':', '\0'], ""),
            UrlArg::NotUtf8(bytes) => {
                let mut bytes: Vec<u8> = bytes.iter().copied().filter(|b| *b != 0).collect();
                bytes.push(0xff);
                return Some(CString::new(bytes).expect("NULs were removed"));
            }
            UrlArg::Null => return None,
            UrlArg::Empty => String::new(),
        };
        Some(CString::new(text).expect("NULs were removed"))
    }
}

/// Database paths, all inside the scratch directory.
#[derive(Arbitrary, Debug, Clone)]
enum DbArg {
    Null,
    Empty,
    Named(u8),
    Nested(u8, u8),
    /// Sanitised to components of [A-Za-z0-9._-], never "." or "..".
    Text(String),
    NotUtf8(Vec<u8>),
}

impl DbArg {
    /// The C string passed, and the path it means (`None` for NULL: the default).
    fn resolve(&self, dir: &Path) -> (Option<CString>, Option<PathBuf>) {
        let path = match self {
            DbArg::Null => return (None, None),
            DbArg::Empty => return (Some(CString::default()), None),
            DbArg::NotUtf8(bytes) => {
                let mut path = dir.to_str().unwrap().as_bytes().to_vec();
                path.push(b'/');
                path.extend(bytes.iter().copied().filter(|b| *b != 0 && *b != b'/'));
                path.push(0xff);
                return (Some(CString::new(path).expect("NULs were removed")), None);
            }
            DbArg::Named(n) => dir.join(format!("q{}.sqlite3", n % 4)),
            DbArg::Nested(a, b) => dir
                .join(format!("d{}", a % 2))
                .join(format!("q{}.sqlite3", b % 2)),
            DbArg::Text(text) => {
                let mut path = dir.to_path_buf();
                for part in text.split('/').take(3) {
                    let part: String = part
                        .chars()
                        .take(300)
                        .map(|c| {
                            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                                c
                            } else {
                                '_'
                            }
                        })
                        .collect();
                    if !part.is_empty() && part != "." && part != ".." {
                        path.push(part);
                    }
                }
                if path == dir {
                    path.push("_");
                }
                path
            }
        };
        let c = CString::new(path.to_str().unwrap()).unwrap();
        (Some(c), Some(path))
    }
}

/// Which of the two database options a setter call sets.
#[derive(Debug, Clone, Copy)]
enum Location {
    Path,
    Directory,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Arrays {
    Given,
    NullNames,
    NullValues,
    NullBoth,
    /// A count past the 100,000 pairs accepted, with NULL arrays.
    HugeCount(u16),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum StatsSize {
    Exact,
    TooSmall(u8),
    /// A struct from a newer header: larger than the library's.
    Larger(u8),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Suffix {
    Database,
    Wal,
    Journal0,
    Journal1,
}

#[derive(Arbitrary, Debug, Clone)]
enum Op {
    ConfigNew {
        null_out: bool,
    },
    ConfigFree(Handle),
    /// Every required field set, a refused collector and this database.
    ConfigComplete(Handle, DbArg),
    SetText(Handle, TextField, Text),
    SetCollectorUrl(Handle, UrlArg),
    SetDatabasePath(Handle, DbArg),
    /// A directory for the library's own file name (its `DbArg` path as a directory).
    SetDatabaseDirectory(Handle, DbArg),
    SetNumber(Handle, Number),
    /// The trust and proxy options (issue 22).
    SetNetwork(Handle, NetworkArg),
    TrackerNew {
        config: Handle,
        null_out: bool,
    },
    TrackEvent {
        tracker: Handle,
        name: Text,
        parameters: Vec<(Text, Text)>,
        arrays: Arrays,
    },
    /// Small, valid events: they must be accepted.
    TrackMany {
        tracker: Handle,
        count: u8,
    },
    SetUser {
        tracker: Handle,
        tenant_id: Text,
        user_id: Text,
    },
    SetGlobalParameter {
        tracker: Handle,
        name: Text,
        value: Text,
    },
    ClearGlobalParameters(Handle),
    SetHeaders {
        tracker: Handle,
        headers: Vec<(Text, Text)>,
        arrays: Arrays,
    },
    SetEnabled(Handle, bool),
    IsEnabled {
        tracker: Handle,
        null_out: bool,
    },
    DiscardQueued {
        tracker: Handle,
        null_out: bool,
    },
    GetStats {
        tracker: Handle,
        size: StatsSize,
        null_out: bool,
    },
    Flush {
        tracker: Handle,
        timeout_ms: u8,
    },
    TrackerFree(Handle),
    LastErrorMessage {
        buffer_len: u16,
        null_buffer: bool,
    },
    LastDeliveryError {
        tracker: Handle,
        buffer_len: u16,
        null_buffer: bool,
        null_len: bool,
    },
    StatusName(u32),
    /// Foreign bytes where a queue database or its companion files live.
    WriteFile {
        db: DbArg,
        suffix: Suffix,
        bytes: Vec<u8>,
    },
}

struct ConfigShadow {
    handle: u64,
    live: bool,
    url: Option<String>,
    database: Option<PathBuf>,
    directory: Option<PathBuf>,
    client_id: String,
}

struct TrackerShadow {
    handle: u64,
    live: bool,
    database: PathBuf,
}

/// What a queue database must hold, as far as this input can know.
struct DbModel {
    /// Events tracked OK while enabled, since the database was created or emptied.
    tracked: u64,
    /// The lifetime `dropped` counter when `tracked` started counting.
    dropped_base: u64,
    enabled: bool,
    /// False once foreign bytes were written over it: then nothing is predicted.
    known: bool,
}

enum Kind {
    Config(usize),
    Tracker(usize),
    Dead,
}

struct State {
    dir: &'static Path,
    configs: Vec<ConfigShadow>,
    trackers: Vec<TrackerShadow>,
    databases: HashMap<PathBuf, DbModel>,
    /// Some input text contains the secret: messages may then legitimately hold it.
    tainted: bool,
    last_message: String,
}

static BAD_LOG: AtomicBool = AtomicBool::new(false);
static SECRET_LOGGED: AtomicBool = AtomicBool::new(false);

unsafe extern "C" fn on_log(level: u32, message: *const c_char, _user_data: *mut c_void) {
    if !(1..=4).contains(&level) || message.is_null() {
        BAD_LOG.store(true, Ordering::SeqCst);
        return;
    }
    // SAFETY: the library passes a NUL-terminated string valid during the call.
    let text = unsafe { CStr::from_ptr(message) }.to_bytes();
    if text.is_empty() || std::str::from_utf8(text).is_err() {
        BAD_LOG.store(true, Ordering::SeqCst);
    }
    if contains(text, SECRET.as_bytes()) {
        SECRET_LOGGED.store(true, Ordering::SeqCst);
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn last_error_message() -> String {
    // SAFETY: NULL with length 0 asks for the length only.
    let len = unsafe { hamustro_last_error_message(std::ptr::null_mut(), 0) };
    let mut buffer = vec![0u8; len + 1];
    // SAFETY: the buffer has len + 1 writable bytes.
    let full = unsafe { hamustro_last_error_message(buffer.as_mut_ptr().cast(), buffer.len()) };
    assert_eq!(full, len, "the message length changed between two reads");
    assert_eq!(buffer[len], 0, "the message is not NUL-terminated");
    String::from_utf8(buffer[..len].to_vec()).expect("the last error message is not UTF-8")
}

fn setup() -> &'static Path {
    static INIT: Once = Once::new();
    let dir = scratch_dir("c_api_sequence");
    INIT.call_once(|| {
        // The default database path lives under XDG_DATA_HOME: keep it in scratch.
        std::env::set_var("XDG_DATA_HOME", dir);
        std::env::set_var("HOME", dir);
        // SAFETY: on_log is a valid callback for the life of the process.
        let status = unsafe { hamustro_set_log_callback(Some(on_log), std::ptr::null_mut(), 4) };
        assert_eq!(status, HamustroStatus::Ok);
        capture::install(dir);
    });
    dir
}

fuzz_target!(|ops: Vec<Op>| {
    let dir = setup();
    wipe(dir);
    let mut state = State {
        dir,
        configs: Vec::new(),
        trackers: Vec::new(),
        databases: HashMap::new(),
        tainted: false,
        last_message: last_error_message(),
    };
    capture::begin();
    // Every input starts with a complete configuration and a live tracker, so that
    // even a short input reaches tracking; the ops can make more of either.
    for op in [
        Op::ConfigNew { null_out: false },
        Op::ConfigComplete(Handle::Config(0), DbArg::Named(0)),
        Op::TrackerNew {
            config: Handle::Config(0),
            null_out: false,
        },
    ] {
        state.run(&op);
    }
    assert!(state.trackers[0].live, "the first tracker did not open");
    for op in ops.iter().take(48) {
        state.run(op);
    }
    state.finish();
    let printed = capture::end();
    assert!(
        printed.is_empty(),
        "the library printed to stdout/stderr: {:?}",
        String::from_utf8_lossy(&printed)
    );
    assert!(
        !BAD_LOG.swap(false, Ordering::SeqCst),
        "a malformed log message"
    );
    let leaked = SECRET_LOGGED.swap(false, Ordering::SeqCst);
    assert!(
        state.tainted || !leaked,
        "a log message holds the shared secret"
    );
});

impl State {
    fn kind(&self, handle: Handle) -> (u64, Kind) {
        let raw = match handle {
            Handle::Config(i) if !self.configs.is_empty() => {
                self.configs[usize::from(i) % self.configs.len()].handle
            }
            Handle::Tracker(i) if !self.trackers.is_empty() => {
                self.trackers[usize::from(i) % self.trackers.len()].handle
            }
            Handle::Config(_) | Handle::Tracker(_) | Handle::Zero => 0,
            Handle::Raw(raw) => raw,
        };
        if let Some(i) = self.configs.iter().position(|c| c.live && c.handle == raw) {
            return (raw, Kind::Config(i));
        }
        if let Some(i) = self.trackers.iter().position(|t| t.live && t.handle == raw) {
            return (raw, Kind::Tracker(i));
        }
        (raw, Kind::Dead)
    }

    fn taint(&mut self, texts: &[&Option<CString>]) {
        for text in texts.iter().copied().flatten() {
            if contains(text.as_bytes(), SECRET.as_bytes()) {
                self.tainted = true;
            }
        }
    }

    /// The checks every status gets.
    fn check(&mut self, status: HamustroStatus, call: &str) -> HamustroStatus {
        let value = status as u32;
        assert!(value <= 8, "{call} returned the undefined status {value}");
        let message = last_error_message();
        assert_ne!(
            status,
            HamustroStatus::Internal,
            "{call} returned INTERNAL: {message}"
        );
        if status == HamustroStatus::Ok {
            assert_eq!(
                message, self.last_message,
                "{call} succeeded and changed the last error message"
            );
        } else {
            assert!(
                !message.is_empty(),
                "{call} failed with {status:?} and no message"
            );
            assert!(
                self.tainted || !message.contains(SECRET),
                "{call}'s message holds the shared secret: {message}"
            );
        }
        self.last_message = message;
        status
    }

    fn model(&mut self, tracker: usize) -> Option<&mut DbModel> {
        let database = &self.trackers[tracker].database;
        self.databases.get_mut(database).filter(|m| m.known)
    }

    fn run(&mut self, op: &Op) {
        match op {
            Op::ConfigNew { null_out } => {
                let mut out = SENTINEL;
                let target = if *null_out {
                    std::ptr::null_mut()
                } else {
                    &mut out
                };
                // SAFETY: target is NULL or a writable u64, which a handle (a repr(C) struct of
                // one u64) is laid out as.
                let status =
                    self.check(unsafe { hamustro_config_new(target.cast()) }, "config_new");
                if *null_out {
                    assert_ne!(status, HamustroStatus::Ok, "config_new(NULL) succeeded");
                    return;
                }
                assert_eq!(status, HamustroStatus::Ok, "config_new failed");
                assert!(out != 0 && out != SENTINEL, "config_new wrote no handle");
                self.configs.push(ConfigShadow {
                    handle: out,
                    live: true,
                    url: None,
                    database: None,
                    directory: None,
                    client_id: String::new(),
                });
            }
            Op::ConfigFree(handle) => {
                let (raw, kind) = self.kind(*handle);
                let status = self.check(
                    hamustro_config_free(HamustroConfig { id: raw }),
                    "config_free",
                );
                match kind {
                    Kind::Config(i) => {
                        assert_eq!(status, HamustroStatus::Ok, "config_free of a live config");
                        self.configs[i].live = false;
                    }
                    _ => assert_eq!(status, HamustroStatus::InvalidHandle, "config_free"),
                }
            }
            Op::ConfigComplete(handle, db) => {
                let url = UrlArg::Refused;
                self.set_url(*handle, &url);
                let secret = Some(CString::new(SECRET).unwrap());
                for (field, value) in [
                    (TextField::SharedSecretKey, &secret),
                    (TextField::DeviceId, &Some(CString::new("device").unwrap())),
                    (TextField::ClientId, &Some(CString::new("fuzz").unwrap())),
                    (TextField::SystemVersion, &Some(CString::new("1").unwrap())),
                    (TextField::ProductVersion, &Some(CString::new("1").unwrap())),
                ] {
                    self.set_text(*handle, field, value);
                }
                self.set_location(*handle, db, Location::Path);
            }
            Op::SetText(handle, field, text) => {
                let value = text.c_string();
                self.taint(&[&value]);
                self.set_text(*handle, *field, &value);
            }
            Op::SetCollectorUrl(handle, url) => self.set_url(*handle, url),
            Op::SetDatabasePath(handle, db) => self.set_location(*handle, db, Location::Path),
            Op::SetDatabaseDirectory(handle, db) => {
                self.set_location(*handle, db, Location::Directory);
            }
            Op::SetNumber(handle, number) => self.set_number(*handle, *number),
            Op::SetNetwork(handle, arg) => self.set_network(*handle, arg),
            Op::TrackerNew { config, null_out } => self.tracker_new(*config, *null_out),
            Op::TrackEvent {
                tracker,
                name,
                parameters,
                arrays,
            } => self.track_event(*tracker, name, parameters, *arrays),
            Op::TrackMany { tracker, count } => self.track_many(*tracker, *count),
            Op::SetUser {
                tracker,
                tenant_id,
                user_id,
            } => {
                let (raw, kind) = self.kind(*tracker);
                let (tenant, user) = (tenant_id.c_string(), user_id.c_string());
                self.taint(&[&tenant, &user]);
                // SAFETY: NULL or NUL-terminated strings.
                let status = unsafe {
                    hamustro_tracker_set_user(HamustroTracker { id: raw }, ptr(&tenant), ptr(&user))
                };
                let status = self.check(status, "tracker_set_user");
                let not_utf8 = matches!(classify(&tenant), Arg::NotUtf8)
                    || matches!(classify(&user), Arg::NotUtf8);
                self.expect_handle(&kind, status, "tracker_set_user");
                if matches!(kind, Kind::Tracker(_)) && not_utf8 {
                    assert_eq!(
                        status,
                        HamustroStatus::InvalidArgument,
                        "set_user, not UTF-8"
                    );
                }
            }
            Op::SetGlobalParameter {
                tracker,
                name,
                value,
            } => {
                let (raw, kind) = self.kind(*tracker);
                let (name, value) = (name.c_string(), value.c_string());
                self.taint(&[&name, &value]);
                // SAFETY: NULL or NUL-terminated strings.
                let status = unsafe {
                    hamustro_tracker_set_global_parameter(
                        HamustroTracker { id: raw },
                        ptr(&name),
                        ptr(&value),
                    )
                };
                let status = self.check(status, "tracker_set_global_parameter");
                self.expect_handle(&kind, status, "tracker_set_global_parameter");
                let bad_name = !matches!(classify(&name), Arg::Str(s) if !s.is_empty());
                if matches!(kind, Kind::Tracker(_)) && bad_name {
                    assert_eq!(
                        status,
                        HamustroStatus::InvalidArgument,
                        "global parameter name"
                    );
                }
            }
            Op::ClearGlobalParameters(tracker) => {
                let (raw, kind) = self.kind(*tracker);
                let status = hamustro_tracker_clear_global_parameters(HamustroTracker { id: raw });
                let status = self.check(status, "tracker_clear_global_parameters");
                self.expect_handle(&kind, status, "tracker_clear_global_parameters");
                if let Kind::Tracker(i) = kind {
                    if self.model(i).is_some() {
                        assert_eq!(status, HamustroStatus::Ok, "clear_global_parameters");
                    }
                }
            }
            Op::SetHeaders {
                tracker,
                headers,
                arrays,
            } => {
                let (raw, kind) = self.kind(*tracker);
                let pairs = Pairs::new(headers, *arrays);
                self.taint(&pairs.texts());
                // SAFETY: the arrays hold `count` pointers, or are NULL.
                let status = unsafe {
                    hamustro_tracker_set_headers(
                        HamustroTracker { id: raw },
                        pairs.names(),
                        pairs.values(),
                        pairs.count,
                    )
                };
                let status = self.check(status, "tracker_set_headers");
                self.expect_handle(&kind, status, "tracker_set_headers");
            }
            Op::SetEnabled(tracker, enabled) => {
                let (raw, kind) = self.kind(*tracker);
                let status = self.check(
                    hamustro_tracker_set_enabled(HamustroTracker { id: raw }, *enabled),
                    "set_enabled",
                );
                self.expect_handle(&kind, status, "tracker_set_enabled");
                if let Kind::Tracker(i) = kind {
                    if let Some(model) = self.model(i) {
                        assert_eq!(status, HamustroStatus::Ok, "set_enabled failed");
                        model.enabled = *enabled;
                    }
                }
            }
            Op::IsEnabled { tracker, null_out } => {
                let (raw, kind) = self.kind(*tracker);
                let mut out = 0xA5u8;
                let target: *mut bool = if *null_out {
                    std::ptr::null_mut()
                } else {
                    (&mut out as *mut u8).cast()
                };
                // SAFETY: NULL or a writable byte.
                let status =
                    unsafe { hamustro_tracker_is_enabled(HamustroTracker { id: raw }, target) };
                let status = self.check(status, "tracker_is_enabled");
                self.expect_handle(&kind, status, "tracker_is_enabled");
                if status != HamustroStatus::Ok {
                    assert_eq!(out, 0xA5, "is_enabled wrote its out-parameter and failed");
                    return;
                }
                assert!(!*null_out, "is_enabled(NULL) succeeded");
                assert!(out <= 1, "is_enabled wrote {out}, not a bool");
                if let Kind::Tracker(i) = kind {
                    if let Some(model) = self.model(i) {
                        assert_eq!(out == 1, model.enabled, "is_enabled disagrees");
                    }
                }
            }
            Op::DiscardQueued { tracker, null_out } => self.discard(*tracker, *null_out),
            Op::GetStats {
                tracker,
                size,
                null_out,
            } => {
                let (raw, kind) = self.kind(*tracker);
                let _ = self.stats(raw, &kind, *size, *null_out);
            }
            Op::Flush {
                tracker,
                timeout_ms,
            } => {
                let (raw, kind) = self.kind(*tracker);
                let status = hamustro_tracker_flush(
                    HamustroTracker { id: raw },
                    u32::from(*timeout_ms % 20),
                );
                let status = self.check(status, "tracker_flush");
                self.expect_handle(&kind, status, "tracker_flush");
                assert_ne!(
                    status,
                    HamustroStatus::Rejected,
                    "nothing could have answered"
                );
                let Kind::Tracker(i) = kind else { return };
                let Some(enabled) = self.model(i).map(|m| m.enabled) else {
                    return;
                };
                assert_eq!(
                    status == HamustroStatus::Disabled,
                    !enabled,
                    "flush is DISABLED exactly when tracking is off"
                );
                if status == HamustroStatus::Ok {
                    let stats = self.stats(raw, &kind, StatsSize::Exact, false);
                    let queued = stats.map(|s| s.queued);
                    assert_eq!(queued, Some(0), "flush OK with events still queued");
                }
            }
            Op::TrackerFree(tracker) => {
                let (raw, kind) = self.kind(*tracker);
                let status = self.check(
                    hamustro_tracker_free(HamustroTracker { id: raw }),
                    "tracker_free",
                );
                match kind {
                    Kind::Tracker(i) => {
                        assert_eq!(status, HamustroStatus::Ok, "tracker_free of a live tracker");
                        self.trackers[i].live = false;
                    }
                    _ => assert_eq!(status, HamustroStatus::InvalidHandle, "tracker_free"),
                }
            }
            Op::LastErrorMessage {
                buffer_len,
                null_buffer,
            } => {
                let len = usize::from(*buffer_len % 600);
                let mut buffer = vec![0xA5u8; len + 8];
                let target = if *null_buffer {
                    std::ptr::null_mut()
                } else {
                    buffer.as_mut_ptr().cast()
                };
                // SAFETY: NULL, or a buffer of at least `len` bytes.
                let full = unsafe { hamustro_last_error_message(target, len) };
                assert_eq!(full, self.last_message.len(), "last_error_message length");
                check_copy(&buffer, len, !*null_buffer, &self.last_message);
            }
            Op::LastDeliveryError {
                tracker,
                buffer_len,
                null_buffer,
                null_len,
            } => {
                let (raw, kind) = self.kind(*tracker);
                let len = usize::from(*buffer_len % 600);
                let mut buffer = vec![0xA5u8; len + 8];
                let target = if *null_buffer {
                    std::ptr::null_mut()
                } else {
                    buffer.as_mut_ptr().cast()
                };
                let mut out_len = SENTINEL as usize;
                let len_target = if *null_len {
                    std::ptr::null_mut()
                } else {
                    &mut out_len
                };
                // SAFETY: NULL or a buffer of `len` bytes; NULL or a writable usize.
                let status = unsafe {
                    hamustro_tracker_last_delivery_error(
                        HamustroTracker { id: raw },
                        target,
                        len,
                        len_target,
                    )
                };
                let status = self.check(status, "tracker_last_delivery_error");
                self.expect_handle(&kind, status, "tracker_last_delivery_error");
                if status != HamustroStatus::Ok {
                    assert_eq!(out_len, SENTINEL as usize, "out_len written on failure");
                    assert!(
                        buffer.iter().all(|b| *b == 0xA5),
                        "buffer written on failure"
                    );
                    return;
                }
                if *null_len {
                    return;
                }
                assert!(out_len != SENTINEL as usize, "out_len not written");
                // Read the whole message to check the copy against it.
                let mut whole = vec![0u8; out_len + 1];
                let mut again = 0usize;
                // SAFETY: a buffer of out_len + 1 bytes, a writable usize.
                let status = unsafe {
                    hamustro_tracker_last_delivery_error(
                        HamustroTracker { id: raw },
                        whole.as_mut_ptr().cast(),
                        whole.len(),
                        &mut again,
                    )
                };
                assert_eq!(
                    self.check(status, "tracker_last_delivery_error"),
                    HamustroStatus::Ok
                );
                if again == out_len {
                    let message = String::from_utf8(whole[..out_len].to_vec())
                        .expect("the delivery error is not UTF-8");
                    assert!(
                        self.tainted || !message.contains(SECRET),
                        "the delivery error holds the shared secret"
                    );
                    check_copy(&buffer, len, !*null_buffer, &message);
                }
            }
            Op::StatusName(value) => {
                let name = hamustro_status_name(*value);
                assert!(!name.is_null());
                // SAFETY: a static NUL-terminated string.
                let name = unsafe { CStr::from_ptr(name) }.to_str().unwrap();
                assert!(name.starts_with("HAMUSTRO_STATUS_"), "status name {name}");
                // SAFETY: a static NUL-terminated string.
                let version = unsafe { CStr::from_ptr(hamustro_version()) };
                assert!(!version.to_bytes().is_empty());
            }
            Op::WriteFile { db, suffix, bytes } => {
                let (_, Some(database)) = db.resolve(self.dir) else {
                    return;
                };
                let mut path = database.clone().into_os_string();
                path.push(match suffix {
                    Suffix::Database => "",
                    Suffix::Wal => "-wal",
                    Suffix::Journal0 => ".journal0",
                    Suffix::Journal1 => ".journal1",
                });
                let held = self
                    .trackers
                    .iter()
                    .any(|t| t.live && t.database == database);
                if held {
                    return;
                }
                if let Some(parent) = database.parent() {
                    let _ = std::fs::create_dir_all(parent);
                }
                if std::fs::write(&path, &bytes[..bytes.len().min(4096)]).is_ok() {
                    self.databases
                        .entry(database)
                        .or_insert(DbModel {
                            tracked: 0,
                            dropped_base: 0,
                            enabled: true,
                            known: false,
                        })
                        .known = false;
                }
            }
        }
    }

    /// A dead handle never gives OK; a tracker call with one is INVALID_HANDLE.
    fn expect_handle(&self, kind: &Kind, status: HamustroStatus, call: &str) {
        if !matches!(kind, Kind::Tracker(_)) {
            assert!(
                matches!(
                    status,
                    HamustroStatus::InvalidHandle | HamustroStatus::InvalidArgument
                ),
                "{call} with a dead or wrong-kind handle gave {status:?}"
            );
        }
    }

    fn set_text(&mut self, handle: Handle, field: TextField, value: &Option<CString>) {
        let (raw, kind) = self.kind(handle);
        let (setter, required) = field.setter();
        // SAFETY: NULL or a NUL-terminated string.
        let status = self.check(
            unsafe { setter(HamustroConfig { id: raw }, ptr(value)) },
            "config_set_<text>",
        );
        let Kind::Config(i) = kind else {
            assert_eq!(
                status,
                HamustroStatus::InvalidHandle,
                "setter on a dead config"
            );
            return;
        };
        let expected = match classify(value) {
            Arg::NotUtf8 => HamustroStatus::InvalidArgument,
            Arg::Null if required => HamustroStatus::InvalidArgument,
            Arg::Str(s) if required && s.is_empty() => HamustroStatus::InvalidArgument,
            _ => HamustroStatus::Ok,
        };
        assert_eq!(status, expected, "config setter {field:?}");
        if let (TextField::ClientId, Arg::Str(s)) = (field, classify(value)) {
            if status == HamustroStatus::Ok {
                self.configs[i].client_id = s;
            }
        }
    }

    fn set_url(&mut self, handle: Handle, url: &UrlArg) {
        let (raw, kind) = self.kind(handle);
        let value = url.c_string();
        self.taint(&[&value]);
        // SAFETY: NULL or a NUL-terminated string.
        let status =
            unsafe { hamustro_config_set_collector_url(HamustroConfig { id: raw }, ptr(&value)) };
        let status = self.check(status, "config_set_collector_url");
        let Kind::Config(i) = kind else {
            assert_eq!(
                status,
                HamustroStatus::InvalidHandle,
                "setter on a dead config"
            );
            return;
        };
        match classify(&value) {
            Arg::Str(s) if !s.is_empty() => {
                assert_eq!(status, HamustroStatus::Ok, "set_collector_url({s:?})");
                self.configs[i].url = Some(s);
            }
            _ => assert_eq!(status, HamustroStatus::InvalidArgument, "set_collector_url"),
        }
    }

    /// `hamustro_config_set_database_path` or `_directory`: the same strings, the same
    /// answers.
    fn set_location(&mut self, handle: Handle, db: &DbArg, location: Location) {
        let (raw, kind) = self.kind(handle);
        let (value, path) = db.resolve(self.dir);
        let config = HamustroConfig { id: raw };
        // SAFETY: NULL or a NUL-terminated string.
        let status = unsafe {
            match location {
                Location::Path => hamustro_config_set_database_path(config, ptr(&value)),
                Location::Directory => hamustro_config_set_database_directory(config, ptr(&value)),
            }
        };
        let status = self.check(status, "config_set_database_<location>");
        let Kind::Config(i) = kind else {
            assert_eq!(
                status,
                HamustroStatus::InvalidHandle,
                "setter on a dead config"
            );
            return;
        };
        let shadow = &mut self.configs[i];
        let field = match location {
            Location::Path => &mut shadow.database,
            Location::Directory => &mut shadow.directory,
        };
        match (&value, path) {
            (None, _) => {
                assert_eq!(status, HamustroStatus::Ok, "{location:?}(NULL)");
                *field = None;
            }
            (Some(_), Some(path)) => {
                assert_eq!(status, HamustroStatus::Ok, "{location:?}({path:?})");
                *field = Some(path);
            }
            (Some(_), None) => {
                assert_eq!(status, HamustroStatus::InvalidArgument, "{location:?}");
            }
        }
    }

    fn set_number(&mut self, handle: Handle, number: Number) {
        let (raw, kind) = self.kind(handle);
        let (status, valid) = match number {
            Number::QueueSize(n) => (
                hamustro_config_set_queue_size(HamustroConfig { id: raw }, n),
                true,
            ),
            Number::QueueRetention(n) => (
                hamustro_config_set_queue_retention(HamustroConfig { id: raw }, n),
                true,
            ),
            Number::PayloadFormat(n) => (
                hamustro_config_set_payload_format(HamustroConfig { id: raw }, n),
                n <= 1,
            ),
            Number::RequestTimeoutMs(n) => (
                hamustro_config_set_request_timeout_ms(HamustroConfig { id: raw }, n),
                n > 0,
            ),
            Number::MaxQueuedEvents(n) => (
                hamustro_config_set_max_queued_events(HamustroConfig { id: raw }, u64::from(n)),
                n > 0,
            ),
            Number::Env(n) => (
                hamustro_config_set_env(HamustroConfig { id: raw }, n),
                (0..=11).contains(&n),
            ),
            Number::AcceptInvalidCertsForLoopback(b) => (
                hamustro_config_set_accept_invalid_certs_for_loopback(
                    HamustroConfig { id: raw },
                    b,
                ),
                true,
            ),
            Number::CaCertificatesOnly(b) => (
                hamustro_config_set_ca_certificates_only(HamustroConfig { id: raw }, b),
                true,
            ),
            Number::ProxyFromEnvironment(b) => (
                hamustro_config_set_proxy_from_environment(HamustroConfig { id: raw }, b),
                true,
            ),
        };
        let status = self.check(status, "config_set_<number>");
        let expected = match kind {
            Kind::Config(_) if valid => HamustroStatus::Ok,
            Kind::Config(_) => HamustroStatus::InvalidArgument,
            _ => HamustroStatus::InvalidHandle,
        };
        assert_eq!(status, expected, "config setter {number:?}");
    }

    /// A PEM is refused unless it holds a certificate block; a proxy unless it is an
    /// http:// URL. One accepted that is not the refusing socket is unset at once.
    fn set_network(&mut self, handle: Handle, arg: &NetworkArg) {
        let (raw, kind) = self.kind(handle);
        let config = HamustroConfig { id: raw };
        let refused = refused_url();
        let (value, is_proxy) = match arg {
            NetworkArg::CaValid => (Some(CString::new(FUZZ_CA_PEM).unwrap()), false),
            NetworkArg::CaMangled { at, text } => {
                let at = usize::from(*at) % FUZZ_CA_PEM.len();
                let inserted = text.c_string().map(CString::into_bytes).unwrap_or_default();
                let bytes = [&FUZZ_CA_PEM.as_bytes()[..at], &inserted, &FUZZ_CA_PEM.as_bytes()[at..]]
                    .concat();
                (Some(CString::new(bytes).expect("no NUL")), false)
            }
            NetworkArg::Ca(text) => (text.c_string(), false),
            NetworkArg::ProxyRefused { credentials } => {
                let url = if *credentials {
                    refused.replacen("http://", &format!("http://user:{SECRET}@"), 1)
                } else {
                    refused.to_string()
                };
                (Some(CString::new(url).unwrap()), true)
            }
            NetworkArg::Proxy(text) => (text.c_string(), true),
        };
        // SAFETY: NULL or a NUL-terminated string.
        let status = unsafe {
            if is_proxy {
                hamustro_config_set_proxy(config, ptr(&value))
            } else {
                hamustro_config_set_ca_certificates(config, ptr(&value))
            }
        };
        let status = self.check(status, "config_set_<network>");
        if !matches!(kind, Kind::Config(_)) {
            assert_eq!(status, HamustroStatus::InvalidHandle, "setter on a dead config");
            return;
        }
        let text = match classify(&value) {
            Arg::Null => {
                assert_eq!(status, HamustroStatus::Ok, "NULL unsets {arg:?}");
                return;
            }
            Arg::NotUtf8 => {
                assert_eq!(status, HamustroStatus::InvalidArgument, "{arg:?}");
                return;
            }
            Arg::Str(text) => text,
        };
        match arg {
            NetworkArg::CaValid | NetworkArg::ProxyRefused { .. } => {
                assert_eq!(status, HamustroStatus::Ok, "{arg:?}");
            }
            _ if status != HamustroStatus::Ok => {
                assert_eq!(status, HamustroStatus::InvalidArgument, "{arg:?}");
            }
            _ if is_proxy => {
                assert!(
                    text.get(..7).is_some_and(|s| s.eq_ignore_ascii_case("http://")),
                    "proxy {text:?} accepted"
                );
                if text != refused {
                    // SAFETY: NULL is a valid argument.
                    let unset = unsafe { hamustro_config_set_proxy(config, std::ptr::null()) };
                    assert_eq!(unset, HamustroStatus::Ok);
                }
            }
            _ => assert!(
                text.contains("-----BEGIN CERTIFICATE-----"),
                "ca_certificates {text:?} accepted"
            ),
        }
    }

    fn tracker_new(&mut self, config: Handle, null_out: bool) {
        let (raw, kind) = self.kind(config);
        let mut database = None;
        let mut both = false;
        if let Kind::Config(i) = kind {
            let shadow = &self.configs[i];
            let url = shadow.url.clone().unwrap_or_default();
            let refused = refused_url();
            let safe = url == refused || url.starts_with(&format!("{refused}/"));
            if !safe && !url.is_empty() {
                // Only URLs without a scheme get here; never let one reach the network.
                let mut probe = TrackerConfig::new(url.clone(), "s", "d", "c", "1");
                probe.system_version = "1".into();
                assert!(
                    probe.validate().is_err(),
                    "collector_url {url:?}, which has no scheme, was accepted"
                );
            }
            // A path and a directory together are refused; else the path, or the
            // library's name in the directory, or the name of earlier versions there
            // while no file has the new one (unless it is another app's: then the
            // new name, which the library creates).
            both = shadow.database.is_some() && shadow.directory.is_some();
            database = Some(match &shadow.database {
                Some(path) => (path.clone(), None),
                None => {
                    let directory = shadow
                        .directory
                        .clone()
                        .unwrap_or_else(default_database_directory);
                    let path = database_path_in(&directory, &shadow.client_id);
                    let legacy = legacy_database_path(&directory, &shadow.client_id);
                    let legacy = use_legacy(&path, &legacy).then_some(legacy);
                    (path, legacy)
                }
            });
        }
        let mut out = SENTINEL;
        let target = if null_out {
            std::ptr::null_mut()
        } else {
            &mut out
        };
        // SAFETY: target is NULL or a writable u64, which a handle (a repr(C) struct of
        // one u64) is laid out as.
        let status = unsafe { hamustro_tracker_new(HamustroConfig { id: raw }, target.cast()) };
        let status = self.check(status, "tracker_new");
        if both {
            assert_eq!(
                status,
                HamustroStatus::InvalidArgument,
                "tracker_new with a database path and directory"
            );
        }
        if status != HamustroStatus::Ok {
            assert_eq!(
                out, SENTINEL,
                "tracker_new wrote its out-parameter and failed"
            );
            if !matches!(kind, Kind::Config(_)) && !null_out {
                assert_eq!(status, HamustroStatus::InvalidHandle, "tracker_new");
            }
            return;
        }
        assert!(!null_out, "tracker_new(NULL) succeeded");
        let Some((path, legacy)) = database else {
            panic!("tracker_new succeeded with a dead or wrong-kind config");
        };
        let database = match legacy {
            Some(legacy) if !path.exists() => legacy,
            _ => path,
        };
        assert!(out != 0 && out != SENTINEL, "tracker_new wrote no handle");
        assert!(
            !self
                .trackers
                .iter()
                .any(|t| t.live && t.database == database),
            "two live trackers were opened on {}",
            database.display()
        );
        self.databases.entry(database.clone()).or_insert(DbModel {
            tracked: 0,
            dropped_base: 0,
            enabled: true,
            known: true,
        });
        self.trackers.push(TrackerShadow {
            handle: out,
            live: true,
            database,
        });
        // A reopened queue holds what the last tracker on it left.
        let index = self.trackers.len() - 1;
        let kind = Kind::Tracker(index);
        let _ = self.stats(out, &kind, StatsSize::Exact, false);
    }

    fn track_event(
        &mut self,
        tracker: Handle,
        name: &Text,
        parameters: &[(Text, Text)],
        arrays: Arrays,
    ) {
        let (raw, kind) = self.kind(tracker);
        let name = name.c_string();
        let pairs = Pairs::new(parameters, arrays);
        self.taint(&[&name]);
        self.taint(&pairs.texts());
        // SAFETY: NULL or a NUL-terminated name; the arrays hold `count` pointers or
        // are NULL.
        let status = unsafe {
            hamustro_tracker_track_event(
                HamustroTracker { id: raw },
                ptr(&name),
                pairs.names(),
                pairs.values(),
                pairs.count,
            )
        };
        let status = self.check(status, "tracker_track_event");
        self.expect_handle(&kind, status, "tracker_track_event");
        let Kind::Tracker(i) = kind else { return };
        let bad_name = match classify(&name) {
            Arg::Str(s) => s.is_empty() || s.len() > 1024,
            _ => true,
        };
        if bad_name {
            assert_eq!(
                status,
                HamustroStatus::InvalidArgument,
                "track_event, bad name"
            );
        }
        if status == HamustroStatus::Ok {
            if let Some(model) = self.model(i) {
                if model.enabled {
                    model.tracked += 1;
                }
            }
        }
    }

    fn track_many(&mut self, tracker: Handle, count: u8) {
        let (raw, kind) = self.kind(tracker);
        for index in 0..count % 64 {
            let value = CString::new(index.to_string()).unwrap();
            let names = [c"i".as_ptr()];
            let values = [value.as_ptr()];
            // SAFETY: one valid name and value.
            let status = unsafe {
                hamustro_tracker_track_event(
                    HamustroTracker { id: raw },
                    c"Fuzz.Many".as_ptr(),
                    names.as_ptr(),
                    values.as_ptr(),
                    1,
                )
            };
            let status = self.check(status, "tracker_track_event");
            self.expect_handle(&kind, status, "tracker_track_event");
            let Kind::Tracker(i) = kind else { return };
            if self.model(i).is_none() {
                continue;
            }
            assert_eq!(
                status,
                HamustroStatus::Ok,
                "a small valid event was refused: {}",
                self.last_message
            );
            let model = self.model(i).unwrap();
            if model.enabled {
                model.tracked += 1;
            }
        }
    }

    fn discard(&mut self, tracker: Handle, null_out: bool) {
        let (raw, kind) = self.kind(tracker);
        let mut out = SENTINEL;
        let target = if null_out {
            std::ptr::null_mut()
        } else {
            &mut out
        };
        // SAFETY: NULL or a writable u64.
        let status =
            unsafe { hamustro_tracker_discard_queued(HamustroTracker { id: raw }, target) };
        let status = self.check(status, "tracker_discard_queued");
        self.expect_handle(&kind, status, "tracker_discard_queued");
        if status != HamustroStatus::Ok {
            assert_eq!(
                out, SENTINEL,
                "discard_queued wrote its out-parameter and failed"
            );
        }
        let Kind::Tracker(i) = kind else { return };
        if self.model(i).is_none() {
            return;
        }
        assert_eq!(status, HamustroStatus::Ok, "discard_queued failed");
        let stats = self
            .stats_against(raw, &kind, StatsSize::Exact, false, false)
            .expect("stats of a live tracker");
        assert_eq!(stats.queued, 0, "events are queued right after a discard");
        let model = self.model(i).unwrap();
        if !null_out {
            assert!(out != SENTINEL, "discard_queued wrote no count");
            let dropped = stats.dropped - model.dropped_base;
            assert_eq!(
                out + dropped,
                model.tracked,
                "discard_queued counted {out} with {} tracked and {dropped} dropped",
                model.tracked
            );
        }
        model.tracked = 0;
        model.dropped_base = stats.dropped;
    }

    /// Calls get_stats and checks it against the model; the stats when OK.
    fn stats(
        &mut self,
        raw: u64,
        kind: &Kind,
        size: StatsSize,
        null_out: bool,
    ) -> Option<HamustroStats> {
        self.stats_against(raw, kind, size, null_out, true)
    }

    /// Calls get_stats, checks what holds of any stats and, with `against_model`,
    /// compares them with the model; the stats when OK.
    fn stats_against(
        &mut self,
        raw: u64,
        kind: &Kind,
        size: StatsSize,
        null_out: bool,
        against_model: bool,
    ) -> Option<HamustroStats> {
        // The first version of the struct (64 bytes) is the least accepted; today's is
        // larger and a newer app's may be larger still.
        let current = std::mem::size_of::<HamustroStats>() as u32;
        let size = match size {
            StatsSize::Exact => current,
            StatsSize::TooSmall(n) => u32::from(n % 64),
            StatsSize::Larger(n) => 64 + u32::from(n % 32) * 8,
        };
        let mut buffer = [SENTINEL; 48];
        buffer[0] = u64::from(size);
        let target: *mut HamustroStats = if null_out {
            std::ptr::null_mut()
        } else {
            buffer.as_mut_ptr().cast()
        };
        // SAFETY: NULL or a buffer of 384 bytes, at least `size`.
        let status = unsafe { hamustro_tracker_get_stats(HamustroTracker { id: raw }, target) };
        let status = self.check(status, "tracker_get_stats");
        self.expect_handle(kind, status, "tracker_get_stats");
        let untouched_from = if status == HamustroStatus::Ok {
            (size.min(current) as usize).div_ceil(8)
        } else {
            1
        };
        assert!(
            buffer[untouched_from..].iter().all(|w| *w == SENTINEL),
            "get_stats wrote beyond what it may ({status:?})"
        );
        if status != HamustroStatus::Ok {
            assert_eq!(
                buffer[0],
                u64::from(size),
                "get_stats failed and wrote size"
            );
            return None;
        }
        assert!(
            !null_out && size >= 64,
            "get_stats succeeded with size {size}"
        );
        // SAFETY: the buffer holds a HamustroStats, filled up to `size` by the library.
        let stats: HamustroStats = unsafe { std::ptr::read(buffer.as_ptr().cast()) };
        assert_eq!(stats.size, current, "stats.size");
        assert!(stats.enabled <= 1);
        assert!(stats.last_error_status <= 8 && stats.last_error_status != 7);
        let Kind::Tracker(i) = kind else {
            panic!("get_stats succeeded with a dead or wrong-kind handle")
        };
        let Some(model) = self.model(*i).filter(|_| against_model) else {
            return Some(stats);
        };
        assert_eq!(
            stats.delivered, 0,
            "events delivered to a refusing collector"
        );
        assert_eq!(stats.last_sync_time, 0, "a sync with a refusing collector");
        assert_eq!(stats.enabled == 1, model.enabled, "stats.enabled");
        let dropped = stats.dropped.checked_sub(model.dropped_base);
        let dropped = dropped.expect("the dropped counter went down");
        assert!(
            stats.queued <= model.tracked,
            "{} queued, but only {} tracked",
            stats.queued,
            model.tracked
        );
        assert!(
            stats.queued + dropped >= model.tracked,
            "events lost: {} tracked, {} queued, {dropped} dropped",
            model.tracked,
            stats.queued
        );
        Some(stats)
    }

    /// Frees what the input left alive; every free must succeed.
    fn finish(&mut self) {
        for i in 0..self.trackers.len() {
            if self.trackers[i].live {
                let kind = Kind::Tracker(i);
                let _ = self.stats(self.trackers[i].handle, &kind, StatsSize::Exact, false);
                let status = hamustro_tracker_free(HamustroTracker {
                    id: self.trackers[i].handle,
                });
                assert_eq!(self.check(status, "tracker_free"), HamustroStatus::Ok);
                self.trackers[i].live = false;
            }
        }
        for i in 0..self.configs.len() {
            if self.configs[i].live {
                let status = hamustro_config_free(HamustroConfig {
                    id: self.configs[i].handle,
                });
                assert_eq!(self.check(status, "config_free"), HamustroStatus::Ok);
                self.configs[i].live = false;
            }
        }
    }
}

/// Parallel C arrays for `count` name/value pairs, as an app passes them.
struct Pairs {
    strings: Vec<(Option<CString>, Option<CString>)>,
    names: Vec<*const c_char>,
    values: Vec<*const c_char>,
    arrays: Arrays,
    count: usize,
}

impl Pairs {
    fn new(pairs: &[(Text, Text)], arrays: Arrays) -> Pairs {
        let strings: Vec<_> = pairs
            .iter()
            .take(16)
            .map(|(n, v)| (n.c_string(), v.c_string()))
            .collect();
        let names = strings.iter().map(|(n, _)| ptr(n)).collect();
        let values = strings.iter().map(|(_, v)| ptr(v)).collect();
        let count = match arrays {
            Arrays::HugeCount(extra) => 100_001 + usize::from(extra),
            _ => strings.len(),
        };
        Pairs {
            strings,
            names,
            values,
            arrays,
            count,
        }
    }

    fn names(&self) -> *const *const c_char {
        match self.arrays {
            Arrays::Given | Arrays::NullValues => self.names.as_ptr(),
            _ => std::ptr::null(),
        }
    }

    fn values(&self) -> *const *const c_char {
        match self.arrays {
            Arrays::Given | Arrays::NullNames => self.values.as_ptr(),
            _ => std::ptr::null(),
        }
    }

    fn texts(&self) -> Vec<&Option<CString>> {
        self.strings.iter().flat_map(|(n, v)| [n, v]).collect()
    }
}

/// A copy into a caller's buffer of `len` bytes: the longest prefix of `message`
/// that fits with its NUL and ends on a character boundary, and nothing written
/// past the NUL.
fn check_copy(buffer: &[u8], len: usize, given: bool, message: &str) {
    if !given || len == 0 {
        assert!(
            buffer.iter().all(|b| *b == 0xA5),
            "a NULL or empty buffer was written"
        );
        return;
    }
    let mut end = message.len().min(len - 1);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    assert_eq!(
        &buffer[..end],
        &message.as_bytes()[..end],
        "the copied message"
    );
    assert_eq!(buffer[end], 0, "the copy is not NUL-terminated at {end}");
    assert!(
        buffer[end + 1..].iter().all(|b| *b == 0xA5),
        "bytes past the NUL were written"
    );
}
