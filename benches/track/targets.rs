//! The targets, printed beside the figures for reference.

pub const P50_US: f64 = 5.0;
pub const P99_US: f64 = 50.0;
pub const P999_US: f64 = 500.0;
pub const TRACKED_PER_S: f64 = 200_000.0;
pub const DELIVERED_PER_S: f64 = 50_000.0;
pub const FLUSH_10K_MS: f64 = 1000.0;
pub const STARTUP_MS: f64 = 50.0;
pub const RSS_MB: f64 = 16.0;
pub const CDYLIB_MB: f64 = 3.0;
