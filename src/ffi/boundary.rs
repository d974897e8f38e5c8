//! The panic boundary every exported function runs its body inside.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::status::{record, HamustroStatus};
use crate::error::{Error, Result};

/// Runs `body`, turning its error or panic into a status and this thread's last error.
pub(crate) fn guard(body: impl FnOnce() -> Result<()>) -> HamustroStatus {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => HamustroStatus::Ok,
        Ok(Err(error)) => record(&error),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            record(&Error::internal(format!(
                "internal error in hamustro: {what}"
            )))
        }
    }
}
