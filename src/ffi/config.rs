//! `hamustro_config_*`: the configuration builder. One setter per option, so that an
//! option added later is a new function and never changes a compiled app's ABI.

use std::ffi::c_char;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::boundary::guard;
use super::convert::{optional_str, required_str, write_out};
use super::registry::CONFIGS;
use super::status::HamustroStatus;
use crate::config::{environment_from_i32, IpSource, PayloadFormat, TrackerConfig};
use crate::error::{Error, Result};

/// A configuration handle: an opaque non-zero integer in a struct of its own, so that
/// passing a tracker where a configuration is expected does not compile. An `id` of 0
/// is never valid. Passed by value, it is ABI-identical to a `uint64_t`.
#[repr(C)]
// `Default` is the never-valid handle 0, for out-parameters (Rust only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct HamustroConfig {
    /// The registry's number for the configuration; 0 is never valid.
    pub id: u64,
}

/// The environment an app build runs in (the collector's `env`).
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HamustroEnvironment {
    /// A released build, in users' hands (the default).
    Production = 0,
    /// A generally available release.
    GeneralAvailability = 1,
    /// A build released to marketing.
    ReleaseToMarketing = 2,
    /// A release candidate.
    ReleaseCandidate = 3,
    /// A beta build.
    Beta = 4,
    /// An alpha build.
    Alpha = 5,
    /// A weekly build.
    Weekly = 6,
    /// A nightly build.
    Nightly = 7,
    /// A build on a staging system.
    Staging = 8,
    /// A build under quality assurance.
    QualityAssurance = 9,
    /// A build under test.
    Testing = 10,
    /// A developer's own build.
    Development = 11,
}

/// How request bodies are encoded.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HamustroPayloadFormat {
    /// `application/protobuf` (the default: smaller, faster).
    Protobuf = 0,
    /// `application/json` (protobuf JSON mapping).
    Json = 1,
}

pub(crate) fn lock(config: &Mutex<TrackerConfig>) -> MutexGuard<'_, TrackerConfig> {
    config.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(super) fn update(
    config: HamustroConfig,
    apply: impl FnOnce(&mut TrackerConfig) -> Result<()>,
) -> HamustroStatus {
    guard(|| {
        let entry = CONFIGS.get(config.id)?;
        let mut config = lock(&entry);
        apply(&mut config)
    })
}

/// Sets a required text field: NULL and "" are refused.
///
/// # Safety
/// `value` is NULL or a NUL-terminated string.
unsafe fn set_required(
    config: HamustroConfig,
    value: *const c_char,
    name: &'static str,
    field: fn(&mut TrackerConfig) -> &mut String,
) -> HamustroStatus {
    update(config, |c| {
        // SAFETY: forwarded from the exported function's contract.
        let value = unsafe { required_str(value, name) }?;
        if value.is_empty() {
            return Err(Error::invalid(format!("{name} must not be empty")));
        }
        *field(c) = value.to_string();
        Ok(())
    })
}

/// Sets an optional text field: NULL unsets it.
///
/// # Safety
/// `value` is NULL or a NUL-terminated string.
unsafe fn set_optional(
    config: HamustroConfig,
    value: *const c_char,
    name: &'static str,
    field: fn(&mut TrackerConfig) -> &mut Option<String>,
) -> HamustroStatus {
    update(config, |c| {
        // SAFETY: forwarded from the exported function's contract.
        let value = unsafe { optional_str(value, name) }?;
        *field(c) = value.map(str::to_string);
        Ok(())
    })
}

/// Sets a path option: NULL unsets it, "" is refused.
unsafe fn set_path(
    config: HamustroConfig,
    value: *const c_char,
    name: &'static str,
    field: fn(&mut TrackerConfig) -> &mut Option<PathBuf>,
) -> HamustroStatus {
    update(config, |c| {
        // SAFETY: forwarded from the exported function's contract.
        let value = unsafe { optional_str(value, name) }?;
        if value == Some("") {
            return Err(Error::invalid(format!("{name} must not be empty")));
        }
        *field(c) = value.map(PathBuf::from);
        Ok(())
    })
}

/// Creates a configuration with every option at its default and writes its handle to
/// `*out_config`. Set at least the five required fields (collector_url,
/// shared_secret_key, device_id, client_id, product_version), create
/// trackers from it with `hamustro_tracker_new`, then free it with
/// `hamustro_config_free` (a tracker keeps its own copy).
///
/// # Safety
/// `out_config` is NULL (an error) or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn hamustro_config_new(out_config: *mut HamustroConfig) -> HamustroStatus {
    guard(|| {
        if out_config.is_null() {
            return Err(Error::invalid("out_config must not be NULL"));
        }
        let handle = CONFIGS.insert(Mutex::new(TrackerConfig::default()));
        // SAFETY: checked non-null; writable by contract.
        unsafe { write_out(out_config, HamustroConfig { id: handle }, "out_config") }
    })
}

/// Frees a configuration. Trackers created from it are not affected. Freeing it again
/// gives HAMUSTRO_STATUS_INVALID_HANDLE.
#[no_mangle]
pub extern "C" fn hamustro_config_free(config: HamustroConfig) -> HamustroStatus {
    guard(|| CONFIGS.remove(config.id).map(drop))
}

/// Required. The collector's base URL, e.g. "https://t.example.com"; events are
/// posted to `<url>/api/v1/track`. http:// or https:// (in any case; certificates
/// are verified), a host name or IPv4 address or bracketed IPv6 address, an optional
/// port (1 to 65535), optional `user:password@` credentials (sent as Basic
/// authorization, never logged) and an optional path. At most 2048 bytes, ASCII,
/// without white space, control characters, backslashes, a query or a fragment.
/// Checked by `hamustro_tracker_new`, which refuses anything else with
/// HAMUSTRO_STATUS_INVALID_ARGUMENT naming the problem.
///
/// # Safety
/// `value` is NULL or a NUL-terminated string (copied before the call returns).
#[no_mangle]
pub unsafe extern "C" fn hamustro_config_set_collector_url(
    config: HamustroConfig,
    value: *const c_char,
) -> HamustroStatus {
    // SAFETY: `value` is NULL or a NUL-terminated string, as this function's contract
    // requires and `set_required` relies on.
    unsafe { set_required(config, value, "collector_url", |c| &mut c.collector_url) }
}

/// Required. The secret shared with the collector, used to sign every request.
/// Never logged nor put in an error message.
///
/// # Safety
/// As for `hamustro_config_set_collector_url`.
#[no_mangle]
pub unsafe extern "C" fn hamustro_config_set_shared_secret_key(
    config: HamustroConfig,
    value: *const c_char,
) -> HamustroStatus {
    // SAFETY: `value` is NULL or a NUL-terminated string, as this function's contract
    // requires and `set_required` relies on.
    unsafe {
        set_required(config, value, "shared_secret_key", |c| {
            &mut c.shared_secret_key
        })
    }
}

/// Required. The device's raw identifier; only its SHA-256 hex is sent.
///
/// # Safety
/// As for `hamustro_config_set_collector_url`.
#[no_mangle]
pub unsafe extern "C" fn hamustro_config_set_device_id(
    config: HamustroConfig,
    value: *const c_char,
) -> HamustroStatus {
    // SAFETY: `value` is NULL or a NUL-terminated string, as this function's contract
    // requires and `set_required` relies on.
    unsafe { set_required(config, value, "device_id", |c| &mut c.device_id) }
}

/// Required. The app's identifier at the collector.
///
/// # Safety
/// As for `hamustro_config_set_collector_url`.
#[no_mangle]
pub unsafe extern "C" fn hamustro_config_set_client_id(
    config: HamustroConfig,
    value: *const c_char,
) -> HamustroStatus {
    // SAFETY: `value` is NULL or a NUL-terminated string, as this function's contract
    // requires and `set_required` relies on.
    unsafe { set_required(config, value, "client_id", |c| &mut c.client_id) }
}

/// The operating system's version, e.g. "14.1". Part of the session. When never set,
/// the running system's is sent: "10.0.22631" (Windows: major.minor.build),
/// "14.4.1" (macOS, iOS), the kernel release (Linux, e.g. "6.1.0-18-amd64"); an
/// empty value is refused.
///
/// # Safety
/// As for `hamustro_config_set_collector_url`.
#[no_mangle]
pub unsafe extern "C" fn hamustro_config_set_system_version(
    config: HamustroConfig,
    value: *const c_char,
) -> HamustroStatus {
    // SAFETY: `value` is NULL or a NUL-terminated string, as this function's contract
    // requires and `set_required` relies on.
    unsafe { set_required(config, value, "system_version", |c| &mut c.system_version) }
}

/// Required. The app's version, e.g. "2.0.0". Part of the session.
///
/// # Safety
/// As for `hamustro_config_set_collector_url`.
#[no_mangle]
pub unsafe extern "C" fn hamustro_config_set_product_version(
    config: HamustroConfig,
    value: *const c_char,
) -> HamustroStatus {
    // SAFETY: `value` is NULL or a NUL-terminated string, as this function's contract
    // requires and `set_required` relies on.
    unsafe { set_required(config, value, "product_version", |c| &mut c.product_version) }
}

/// The environment, a `hamustro_environment` value (0 to 11). Default:
/// HAMUSTRO_ENVIRONMENT_PRODUCTION. Part of the session.
#[no_mangle]
pub extern "C" fn hamustro_config_set_env(config: HamustroConfig, env: i32) -> HamustroStatus {
    update(config, |c| {
        c.env = environment_from_i32(env)?;
        Ok(())
    })
}

/// Optional device maker, e.g. "Apple". NULL unsets. Like every text option but the
/// collector URL and the database path, at most 1024 bytes (checked by
/// `hamustro_tracker_new`).
///
/// # Safety
/// `value` is NULL or a NUL-terminated string (copied before the call returns).
#[no_mangle]
pub unsafe extern "C" fn hamustro_config_set_device_make(
    config: HamustroConfig,
    value: *const c_char,
) -> HamustroStatus {
    // SAFETY: `value` is NULL or a NUL-terminated string, as this function's contract
    // requires and `set_optional` relies on.
    unsafe { set_optional(config, value, "device_make", |c| &mut c.device_make) }
}

/// Optional device model, e.g. "iPhone15,2". NULL unsets.
///
/// # Safety
/// As for `hamustro_config_set_device_make`.
#[no_mangle]
pub unsafe extern "C" fn hamustro_config_set_device_model(
    config: HamustroConfig,
    value: *const c_char,
) -> HamustroStatus {
    // SAFETY: `value` is NULL or a NUL-terminated string, as this function's contract
    // requires and `set_optional` relies on.
    unsafe { set_optional(config, value, "device_model", |c| &mut c.device_model) }
}

/// Optional operating system name, e.g. "iOS". NULL (the default) detects it
/// ("Linux", "macOS", "iOS"…); "" sends none.
///
/// # Safety
/// As for `hamustro_config_set_device_make`.
#[no_mangle]
pub unsafe extern "C" fn hamustro_config_set_system(
    config: HamustroConfig,
    value: *const c_char,
) -> HamustroStatus {
    // SAFETY: `value` is NULL or a NUL-terminated string, as this function's contract
    // requires and `set_optional` relies on.
    unsafe { set_optional(config, value, "system", |c| &mut c.system) }
}

/// Optional system language, e.g. "en-US". NULL (the default) takes it from the
/// process locale (LC_ALL, LC_MESSAGES, LANG); "" sends none.
///
/// # Safety
/// As for `hamustro_config_set_device_make`.
#[no_mangle]
pub unsafe extern "C" fn hamustro_config_set_system_language(
    config: HamustroConfig,
    value: *const c_char,
) -> HamustroStatus {
    // SAFETY: `value` is NULL or a NUL-terminated string, as this function's contract
    // requires and `set_optional` relies on.
    unsafe { set_optional(config, value, "system_language", |c| &mut c.system_language) }
}

/// Optional browser name. NULL unsets.
///
/// # Safety
/// As for `hamustro_config_set_device_make`.
#[no_mangle]
pub unsafe extern "C" fn hamustro_config_set_browser(
    config: HamustroConfig,
    value: *const c_char,
) -> HamustroStatus {
    // SAFETY: `value` is NULL or a NUL-terminated string, as this function's contract
    // requires and `set_optional` relies on.
    unsafe { set_optional(config, value, "browser", |c| &mut c.browser) }
}

/// Optional browser version. NULL unsets.
///
/// # Safety
/// As for `hamustro_config_set_device_make`.
#[no_mangle]
pub unsafe extern "C" fn hamustro_config_set_browser_version(
    config: HamustroConfig,
    value: *const c_char,
) -> HamustroStatus {
    // SAFETY: `value` is NULL or a NUL-terminated string, as this function's contract
    // requires and `set_optional` relies on.
    unsafe { set_optional(config, value, "browser_version", |c| &mut c.browser_version) }
}

/// Optional git hash of the app build. NULL unsets.
///
/// # Safety
/// As for `hamustro_config_set_device_make`.
#[no_mangle]
pub unsafe extern "C" fn hamustro_config_set_product_git_hash(
    config: HamustroConfig,
    value: *const c_char,
) -> HamustroStatus {
    // SAFETY: `value` is NULL or a NUL-terminated string, as this function's contract
    // requires and `set_optional` relies on.
    unsafe {
        set_optional(config, value, "product_git_hash", |c| {
            &mut c.product_git_hash
        })
    }
}

/// Optional language of the app's UI, e.g. "de". NULL unsets.
///
/// # Safety
/// As for `hamustro_config_set_device_make`.
#[no_mangle]
pub unsafe extern "C" fn hamustro_config_set_product_language(
    config: HamustroConfig,
    value: *const c_char,
) -> HamustroStatus {
    // SAFETY: `value` is NULL or a NUL-terminated string, as this function's contract
    // requires and `set_optional` relies on.
    unsafe {
        set_optional(config, value, "product_language", |c| {
            &mut c.product_language
        })
    }
}

/// Send when this many events are queued. Default 20; 0 or 1 sends on every event.
#[no_mangle]
pub extern "C" fn hamustro_config_set_queue_size(
    config: HamustroConfig,
    queue_size: u32,
) -> HamustroStatus {
    update(config, |c| {
        c.queue_size = queue_size;
        Ok(())
    })
}

/// Send when the last successful delivery is older than this many minutes. Default
/// 1440 (a day); 0 sends on every event.
#[no_mangle]
pub extern "C" fn hamustro_config_set_queue_retention(
    config: HamustroConfig,
    minutes: u32,
) -> HamustroStatus {
    update(config, |c| {
        c.queue_retention_minutes = minutes;
        Ok(())
    })
}

/// The SQLite file holding the queue (created with its directory, mode 0600). NULL
/// restores the default: a file named after the client id in the directory of
/// `hamustro_config_set_database_directory`, by default `<data dir>/hamustro`, where
/// the data dir is `$XDG_DATA_HOME` or `~/.local/share` (Linux), `~/Library/Application
/// Support` (Apple) or `%LOCALAPPDATA%` (Windows). The name is
/// `<name>-<hash>.sqlite3`: `<name>` is the client id's first 64 characters with each
/// one outside A-Z, a-z, 0-9, `-` and `_` replaced by `_`; and `<hash>` is the first
/// 16 hex digits (lower case) of the SHA-256 of the whole client id (UTF-8), so that
/// every client id has a file of its own (`com.example.game` gives
/// `com_example_game-c3460848847eb4b4.sqlite3`). A queue that an earlier version kept
/// in that directory at `<name>.sqlite3` (the whole id, no hash: a name several client
/// ids shared) is used while no file has the new name and it is this app's. At most
/// 4096 bytes; "" is refused with HAMUSTRO_STATUS_INVALID_ARGUMENT. Setting both this
/// and the database directory is refused by `hamustro_tracker_new`.
///
/// A queue belongs to the app that created it: it records its client id, and a
/// tracker of another client id gets HAMUSTRO_STATUS_STORAGE ("belongs to client
/// …") and leaves it untouched. A queue of an earlier version without that record is
/// adopted by the first tracker that opens it, unless it holds events tracked under
/// another client id. A changed collector URL or secret keeps the queue.
///
/// One tracker at a time may use a file, whatever name it is reached by (a symlink, a
/// hard link, `..`, another process): a second gets HAMUSTRO_STATUS_STORAGE. The file
/// must be hamustro's own: a new or empty file becomes a queue, marked as hamustro's
/// (SQLite application_id); a file without that mark (a text file, the app's own
/// SQLite database, a database of a newer hamustro) is refused with
/// HAMUSTRO_STATUS_STORAGE and left untouched, and so is anything that is not a
/// regular file (a directory, a FIFO, a device), without blocking. The same holds for
/// every file beside it (`<path>-wal`, `-shm`, `-journal`, `.journal0`, `.journal1`):
/// each must be a regular file with one name, owned by the user the process runs as;
/// a link is never followed. Only a hamustro queue damaged beyond opening is moved
/// aside to `<path>.corrupt-<time>` and replaced by a new one.
///
/// # Safety
/// As for `hamustro_config_set_device_make`.
#[no_mangle]
pub unsafe extern "C" fn hamustro_config_set_database_path(
    config: HamustroConfig,
    path: *const c_char,
) -> HamustroStatus {
    // SAFETY: forwarded from this function's contract.
    unsafe { set_path(config, path, "database_path", |c| &mut c.database_path) }
}

/// The directory in which the library keeps the queue under its own name for the
/// client id (`<name>-<hash>.sqlite3`, and the name of earlier versions while it is
/// this app's, as `hamustro_config_set_database_path` describes), instead of
/// `<data dir>/hamustro`. For an app or an engine binding with a place of its own for
/// data (Unity's `Application.persistentDataPath`, Godot's `user://` as
/// `ProjectSettings.globalize_path` gives it, Apple's Application Support) in which
/// each client id must still get a queue of its own: the file name is the library's
/// to choose, never computed by the app. Created with its missing parents (mode 0700
/// where the platform has modes) when a tracker opens. NULL (the default) restores
/// `<data dir>/hamustro`; "" is refused with HAMUSTRO_STATUS_INVALID_ARGUMENT. At most
/// 4096 bytes. The queue in it is checked, locked and bound to its app as a
/// `database_path` is.
///
/// A configuration names either the file or the directory: `hamustro_tracker_new`
/// refuses one with both a database path and a database directory set, with
/// HAMUSTRO_STATUS_INVALID_ARGUMENT naming both (set the other to NULL to choose).
///
/// # Safety
/// As for `hamustro_config_set_device_make`.
#[no_mangle]
pub unsafe extern "C" fn hamustro_config_set_database_directory(
    config: HamustroConfig,
    dir: *const c_char,
) -> HamustroStatus {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        set_path(config, dir, "database_directory", |c| {
            &mut c.database_directory
        })
    }
}

/// The body encoding, a `hamustro_payload_format` value. Default protobuf.
#[no_mangle]
pub extern "C" fn hamustro_config_set_payload_format(
    config: HamustroConfig,
    format: u32,
) -> HamustroStatus {
    update(config, |c| {
        c.payload_format = match format {
            0 => PayloadFormat::Protobuf,
            1 => PayloadFormat::Json,
            other => {
                return Err(Error::invalid(format!(
                    "payload_format {other} is not 0 (protobuf) or 1 (json)"
                )))
            }
        };
        Ok(())
    })
}

/// The limit on each HTTP request, connecting included, in milliseconds. Default
/// 10000; must be positive. `hamustro_tracker_free` waits at most this long.
#[no_mangle]
pub extern "C" fn hamustro_config_set_request_timeout_ms(
    config: HamustroConfig,
    timeout_ms: u32,
) -> HamustroStatus {
    update(config, |c| {
        if timeout_ms == 0 {
            return Err(Error::invalid("request_timeout_ms must be positive"));
        }
        c.request_timeout = Duration::from_millis(u64::from(timeout_ms));
        Ok(())
    })
}

/// The `ip` sent with each event: NULL (the default) detects the device's primary
/// IPv4 address; "" sends none (the collector then records the request's address);
/// anything else must be an IPv4 address and is sent as given.
///
/// # Safety
/// As for `hamustro_config_set_device_make`.
#[no_mangle]
pub unsafe extern "C" fn hamustro_config_set_ip(
    config: HamustroConfig,
    ip: *const c_char,
) -> HamustroStatus {
    update(config, |c| {
        // SAFETY: forwarded from this function's contract.
        c.ip = match unsafe { optional_str(ip, "ip") }? {
            None => IpSource::Detect,
            Some("") => IpSource::Omit,
            Some(ip) => IpSource::Fixed(ip.to_string()),
        };
        Ok(())
    })
}

/// The `country` sent with each event, e.g. "HU". NULL (the default) takes the region
/// of the process's locale (LC_ALL, LC_MESSAGES, LANG), if it names one.
///
/// # Safety
/// As for `hamustro_config_set_device_make`.
#[no_mangle]
pub unsafe extern "C" fn hamustro_config_set_country(
    config: HamustroConfig,
    country: *const c_char,
) -> HamustroStatus {
    // SAFETY: `country` is NULL or a NUL-terminated string, as this function's contract
    // requires and `set_optional` relies on.
    unsafe { set_optional(config, country, "country", |c| &mut c.country) }
}

/// When set, user ids given to `hamustro_tracker_set_user` are stored and sent as
/// `sha256hex(user_id + salt)`, so raw user ids never leave the device. Keep the salt
/// constant for an app, or the same user gets a new id. NULL (the default) sends user
/// ids as given.
///
/// # Safety
/// As for `hamustro_config_set_device_make`.
#[no_mangle]
pub unsafe extern "C" fn hamustro_config_set_user_id_salt(
    config: HamustroConfig,
    salt: *const c_char,
) -> HamustroStatus {
    // SAFETY: `salt` is NULL or a NUL-terminated string, as this function's contract
    // requires and `set_optional` relies on.
    unsafe { set_optional(config, salt, "user_id_salt", |c| &mut c.user_id_salt) }
}

/// The most events kept queued on the device. When tracking one more would exceed
/// it, the oldest events are dropped and counted (`hamustro_stats.dropped`). Default
/// 100000; must be positive.
#[no_mangle]
pub extern "C" fn hamustro_config_set_max_queued_events(
    config: HamustroConfig,
    max_events: u64,
) -> HamustroStatus {
    update(config, |c| {
        if max_events == 0 {
            return Err(Error::invalid("max_queued_events must be positive"));
        }
        c.max_queued_events = max_events;
        Ok(())
    })
}

/// `true` skips TLS certificate verification, for a development collector with a
/// self-signed certificate. Only allowed when the collector_url's host is 127.0.0.1,
/// ::1 or localhost: `hamustro_tracker_new` refuses it for any other host. Default
/// `false`: certificates are verified (see `hamustro_config_set_ca_certificates`).
#[no_mangle]
pub extern "C" fn hamustro_config_set_accept_invalid_certs_for_loopback(
    config: HamustroConfig,
    accept: bool,
) -> HamustroStatus {
    update(config, |c| {
        c.accept_invalid_certs_for_loopback = accept;
        Ok(())
    })
}
