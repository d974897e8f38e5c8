//! Identity on the wire: the hashed device id, the session and the collection header
//! (the tracker attributes every event is stored and sent with).

use md5::{Digest as _, Md5};
use sha2::Sha256;

use crate::config::TrackerConfig;
use crate::context::{detected_system, detected_system_language};
use crate::wire::Collection;

/// sha256 hex (lowercase) of the app's raw device id, as the collector expects it.
pub fn hash_device_id(raw: &str) -> String {
    hex(&Sha256::digest(raw.as_bytes()))
}

/// `md5hex(device_hash:client_id:system_version:product_version:env)`; the collector
/// recomputes it and refuses a collection whose session differs.
pub fn session_id(
    device_hash: &str,
    client_id: &str,
    system_version: &str,
    product_version: &str,
    env: i32,
) -> String {
    let text = format!("{device_hash}:{client_id}:{system_version}:{product_version}:{env}");
    hex(&Md5::digest(text.as_bytes()))
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

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0xf)] as char);
    }
    out
}

/// `sha256hex(user_id + salt)`: a stable pseudonym that cannot be reversed without
/// the salt.
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
    fn device_id_is_sha256_hex() {
        assert_eq!(
            hash_device_id("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn session_is_md5_of_colon_joined_fields_with_env_number() {
        // md5("d:c:1:2:0"), computed independently with `printf d:c:1:2:0 | md5sum`.
        assert_eq!(
            session_id("d", "c", "1", "2", 0),
            "bdadba11928a30525e3a5b4033e4d81a"
        );
        assert_ne!(
            session_id("d", "c", "1", "2", 0),
            session_id("d", "c", "1", "2", 4)
        );
    }
}
