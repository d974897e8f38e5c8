//! Test helpers shared by the integration tests (`tests/it/`, and the few binaries of
//! their own beside it): the test collector, tracker fixtures and the library's log.

pub mod c_program;
pub mod child;
/// The test collector, a dev-only crate of the workspace (`collector/`).
pub use hamustro_collector as collector;
pub mod figures;
pub mod log;
pub mod proxy;
pub mod tiny_fs;
pub mod tls;
pub mod xorshift;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use std::ffi::{c_char, CStr, CString};

use hamustro::ffi::{
    hamustro_config_new, hamustro_config_set_client_id, hamustro_config_set_collector_url,
    hamustro_config_set_database_path, hamustro_config_set_device_id,
    hamustro_config_set_product_version, hamustro_config_set_shared_secret_key,
    hamustro_config_set_system_version, hamustro_last_error_message, HamustroConfig,
    HamustroStatus,
};
use hamustro::{Tracker, TrackerConfig};

pub const SECRET: &str = "test-secret";
pub const WAIT: Duration = Duration::from_secs(10);

/// A complete configuration for a tracker delivering to `url` with its queue in `db`.
pub fn config(url: &str, db: &Path) -> TrackerConfig {
    with(
        TrackerConfig::new(url, SECRET, "device-1", "test-app", "2.0.0"),
        |c| {
            c.system_version = "14.1".to_string();
            c.database_path = Some(db.to_path_buf());
            c.request_timeout = Duration::from_secs(5);
        },
    )
}

/// `config` changed by `change`: `TrackerConfig` is `#[non_exhaustive]`, so code
/// outside the crate (these tests, an app) changes fields of a built value instead of
/// writing a struct literal.
pub fn with<T>(mut value: T, change: impl FnOnce(&mut T)) -> T {
    change(&mut value);
    value
}

/// A fresh directory and the queue database path inside it.
pub fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.db");
    (dir, path)
}

/// A URL where nothing listens: connections are refused at once.
pub fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// Another connection to the queue database at `db`, as another program would have.
pub fn sqlite(db: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(db).unwrap()
}

/// Tracks `n` events named `name` with parameter `i` = their index.
pub fn track_n(tracker: &Tracker, name: &str, n: usize) {
    for i in 0..n {
        tracker.track_event(name, &[("i", i.to_string())]).unwrap();
    }
}

/// The C API's counterpart of `config`: a configuration handle with every required
/// field set, built through the setters as a C program would.
pub fn c_config(url: &str, db: &Path) -> HamustroConfig {
    type Setter = unsafe extern "C" fn(HamustroConfig, *const c_char) -> HamustroStatus;
    let mut config = HamustroConfig::default();
    // SAFETY: valid out-pointer and NUL-terminated strings that outlive each call.
    unsafe {
        assert_eq!(hamustro_config_new(&raw mut config), HamustroStatus::Ok);
        let fields: [(Setter, &str); 7] = [
            (hamustro_config_set_collector_url, url),
            (hamustro_config_set_shared_secret_key, SECRET),
            (hamustro_config_set_device_id, "device-1"),
            (hamustro_config_set_client_id, "test-app"),
            (hamustro_config_set_system_version, "14.1"),
            (hamustro_config_set_product_version, "2.0.0"),
            (hamustro_config_set_database_path, db.to_str().unwrap()),
        ];
        for (setter, value) in fields {
            let value = CString::new(value).unwrap();
            assert_eq!(setter(config, value.as_ptr()), HamustroStatus::Ok);
        }
    }
    config
}

/// The calling thread's last error message from the C API, read whole.
pub fn last_error() -> String {
    // SAFETY: NULL with length 0 asks for the length only.
    let len = unsafe { hamustro_last_error_message(std::ptr::null_mut(), 0) };
    let mut buffer = vec![0u8; len + 1];
    // SAFETY: the buffer has len + 1 writable bytes.
    unsafe { hamustro_last_error_message(buffer.as_mut_ptr().cast(), buffer.len()) };
    CStr::from_bytes_until_nul(&buffer)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string()
}
