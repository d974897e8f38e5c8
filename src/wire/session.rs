//! Identity on the wire: the hashed device id and the session id, which the collector
//! recomputes from the collection's own fields.

use md5::{Digest as _, Md5};
use sha2::Sha256;

use super::hex;

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

/// The first characters of a session id: enough to tell sessions apart in a message,
/// and what every message about a collection names it by.
pub fn short_session(session: &str) -> String {
    let prefix: String = session.chars().take(8).collect();
    format!("{prefix}…")
}

#[cfg(test)]
mod tests {
    use super::*;

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
