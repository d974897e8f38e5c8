//! The panic boundary every exported function runs its body inside.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::status::{record, HamustroStatus};
use crate::error::{Error, Result};
use crate::quiet_panics::InLibrary;

/// Runs `body`, turning its error or panic into a status and this thread's last error.
/// A panic is not printed: the status and message report it.
pub(crate) fn guard(body: impl FnOnce() -> Result<()>) -> HamustroStatus {
    let _quiet = InLibrary::enter();
    super::fork::watch();
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => HamustroStatus::Ok,
        Ok(Err(error)) => record(&error),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(ToString::to_string)
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            record(&Error::internal(format!(
                "internal error in hamustro: {what}"
            )))
        }
    }
}
