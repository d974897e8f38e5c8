//! `hamustro_set_log_callback`: routes the library's log messages to the app.

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

use super::boundary::guard;
use super::status::HamustroStatus;
use crate::error::Error;
use crate::log::{set_logger, Level};

/// Receives one log message: `level` is 1 (error), 2 (warning), 3 (info) or 4
/// (debug); `message` is valid only during the call; `user_data` is what was given to
/// `hamustro_set_log_callback`. Called on library threads (the delivery thread among
/// them), possibly concurrently: it must be thread-safe, return quickly and not throw.
pub type HamustroLogCallback =
    Option<unsafe extern "C" fn(level: u32, message: *const c_char, user_data: *mut c_void)>;

/// The app's pointer, passed back untouched; the app vouches for its thread safety.
struct UserData(*mut c_void);
// SAFETY: hamustro never dereferences it; the callback's contract makes the app
// responsible for using it from any thread.
unsafe impl Send for UserData {}
// SAFETY: as for Send: shared references give nothing but the pointer's value.
unsafe impl Sync for UserData {}

impl UserData {
    // A method, so closures capture the whole (Send) wrapper, not its raw field.
    fn get(&self) -> *mut c_void {
        self.0
    }
}

/// Installs `callback` for messages up to `max_level` (1 error … 4 debug), for every
/// tracker in the process; NULL turns logging off (the default). Messages never hold
/// the shared secret, user ids or event parameters. The callback may call hamustro
/// functions, including this one. A thread that picked up the previous callback just
/// before it was replaced may still call it once more, so keep its `user_data` valid
/// (for example, never free it).
///
/// # Safety
/// `callback` is NULL or a function that stays valid until it is replaced.
#[no_mangle]
pub unsafe extern "C" fn hamustro_set_log_callback(
    callback: HamustroLogCallback,
    user_data: *mut c_void,
    max_level: u32,
) -> HamustroStatus {
    guard(|| {
        let Some(callback) = callback else {
            set_logger(None);
            return Ok(());
        };
        let max_level = Level::from_u32(max_level).ok_or_else(|| {
            Error::invalid(format!(
                "log level {max_level} is not 1 (error) to 4 (debug)"
            ))
        })?;
        let user_data = UserData(user_data);
        set_logger(Some((
            max_level,
            Arc::new(move |level, message: &str| {
                let text = CString::new(message.replace('\0', " ")).unwrap_or_default();
                // SAFETY: the app gave a valid callback; the message outlives the call.
                unsafe { callback(level as u32, text.as_ptr(), user_data.get()) };
            }),
        )));
        Ok(())
    })
}
