//! Handles: opaque non-zero integers mapped to objects, so that a stale, freed or
//! made-up handle is an error instead of undefined behaviour.

use std::any::Any;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError, RwLock};

use crate::config::TrackerConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::tracker::Tracker;

/// The configurations `hamustro_config_new` made, by handle.
pub(crate) static CONFIGS: LazyLock<Registry<Mutex<TrackerConfig>>> =
    LazyLock::new(|| Registry::new("configuration"));

/// The trackers `hamustro_tracker_new` made, by handle. Both registries are here, below
/// the functions that use them and `fork`, which holds their locks across a fork.
pub(crate) static TRACKERS: LazyLock<Registry<Tracker>> =
    LazyLock::new(|| Registry::new("tracker"));

/// One counter for every registry: a handle is never reused, and a configuration
/// handle is never mistaken for a tracker handle.
static NEXT_HANDLE: AtomicU64 = AtomicU64::new(1);

pub struct Registry<T> {
    kind: &'static str,
    entries: RwLock<HashMap<u64, Arc<T>, BuildHasherDefault<HandleHasher>>>,
}

/// Handles are the library's own numbers, counted up: std's SipHash, made for keys an
/// attacker chooses, would cost more than the rest of a lookup on every call. A
/// multiplication by an odd constant spreads them over the table's bits instead.
#[derive(Default)]
struct HandleHasher(u64);

impl Hasher for HandleHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u64(&mut self, handle: u64) {
        self.0 = handle.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl<T> Registry<T> {
    pub fn new(kind: &'static str) -> Registry<T> {
        Registry {
            kind,
            entries: RwLock::new(HashMap::default()),
        }
    }

    pub fn insert(&self, value: T) -> u64 {
        let handle = NEXT_HANDLE.fetch_add(1, Ordering::Relaxed);
        self.entries
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(handle, Arc::new(value));
        handle
    }

    pub fn get(&self, handle: u64) -> Result<Arc<T>> {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&handle)
            .cloned()
            .ok_or_else(|| self.invalid(handle))
    }

    pub fn remove(&self, handle: u64) -> Result<Arc<T>> {
        self.entries
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&handle)
            .ok_or_else(|| self.invalid(handle))
    }

    /// Holds the registry across a fork (`fork.rs`): no other thread is inside it
    /// until the guard is dropped.
    pub fn lock_for_fork(&'static self) -> impl Any {
        self.entries.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn invalid(&self, handle: u64) -> Error {
        Error::new(
            ErrorKind::InvalidHandle,
            format!("{handle} is not a live {} handle", self.kind),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freed_and_unknown_handles_are_errors() {
        let registry = Registry::new("thing");
        let handle = registry.insert(5);
        assert_eq!(*registry.get(handle).unwrap(), 5);
        registry.remove(handle).unwrap();
        assert_eq!(
            registry.get(handle).unwrap_err().kind(),
            ErrorKind::InvalidHandle
        );
        assert!(registry.remove(handle).is_err());
        assert!(registry.get(0).is_err());
        assert_ne!(registry.insert(6), handle, "handles are never reused");
    }
}
