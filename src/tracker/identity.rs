//! Who a tracker's events are from: the configuration completed with what the system
//! says (the OS version, name and language the app left unset), the collection header
//! every event is stored and sent with, and the pseudonym a salted user id becomes.

use sha2::{Digest as _, Sha256};

use crate::config::TrackerConfig;
use crate::context::{detected_system, detected_system_language, detected_system_version};
use crate::wire::session::{hash_device_id, session_id};
use crate::wire::{hex, Collection};

/// Fills what the app left to the library to find out: the OS version.
pub fn with_detected(mut config: TrackerConfig) -> TrackerConfig {
    if config.system_version.is_empty() {
        config.system_version = detected_system_version().unwrap_or_default();
    }
    config
}

/// The collection header (every field but the payloads) for this configuration,
/// computed once per tracker.
pub fn collection_header(config: &TrackerConfig) -> Collection {
    let device_id = hash_device_id(&config.device_id);
    let env = config.env as i32;
    let session = session_id(
        &device_id,
        &config.client_id,
        &config.system_version,
        &config.product_version,
        env,
    );
    Collection {
        device_id,
        client_id: config.client_id.clone(),
        session,
        system_version: config.system_version.clone(),
        product_version: config.product_version.clone(),
        env,
        device_make: config.device_make.clone(),
        device_model: config.device_model.clone(),
        system: or_detected(config.system.as_deref(), detected_system),
        system_language: or_detected(config.system_language.as_deref(), detected_system_language),
        browser: config.browser.clone(),
        browser_version: config.browser_version.clone(),
        product_git_hash: config.product_git_hash.clone(),
        product_language: config.product_language.clone(),
        payloads: Vec::new(),
    }
}

/// The app's value when it set one, nothing when it set "", else what the OS says.
fn or_detected(value: Option<&str>, detect: fn() -> Option<String>) -> Option<String> {
    match value {
        Some("") => None,
        Some(value) => Some(value.to_string()),
        None => detect(),
    }
}

/// `sha256hex(user_id + salt)`: a stable pseudonym that cannot be reversed without
/// the salt. The library's own option (`user_id_salt`), not the protocol's: the
/// collector sees only the result.
pub fn hash_user_id(user_id: &str, salt: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(user_id.as_bytes());
    digest.update(salt.as_bytes());
    hex(&digest.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_hash_with_the_salt_appended() {
        // printf 'u1salt' | sha256sum
        assert_eq!(
            hash_user_id("u1", "salt"),
            "f9ae7b1cbfe50baf3c62a789384fd378f2f8fef693d1f682a6ecaaaee285b595"
        );
    }

    #[test]
    fn os_detection_fills_only_what_the_app_left_unset() {
        let config = TrackerConfig {
            system: Some("CustomOS".into()),
            system_language: Some(String::new()),
            ..TrackerConfig::default()
        };
        let header = collection_header(&config);
        assert_eq!(header.system.as_deref(), Some("CustomOS"));
        assert_eq!(header.system_language, None);
        let detected = collection_header(&TrackerConfig::default());
        assert_eq!(detected.system, detected_system());
    }

    #[test]
    fn the_os_version_is_detected_only_when_the_app_set_none() {
        let set = with_detected(TrackerConfig {
            system_version: "17.1".into(),
            ..TrackerConfig::default()
        });
        assert_eq!(set.system_version, "17.1");
        let detected = with_detected(TrackerConfig::default());
        assert_eq!(
            detected.system_version,
            detected_system_version().unwrap_or_default()
        );
    }
}
