//! The Hamustro wire format, as one part: what a request to the collector is made
//! of, and nothing else. The schema generated from `proto/hamustro.proto` (the
//! `Collection`, `Payload`, `Parameter` and `Environment` here), the device id and
//! session formulas (`session`), the request signature (`signature`), the JSON body
//! (`json`), and the request itself: its path, headers, body types, the header names
//! an app may not set, and what each status means (`request`).
//!
//! `proto/README.md` describes the protocol in prose; this folder is its code. It
//! knows nothing of the tracker's configuration, its storage or its transport: every
//! value comes in as an argument, including the time a request is signed at.

pub mod json;
pub mod request;
pub mod session;
pub mod signature;

// The wire schema, generated from `proto/hamustro.proto` by prost (build.rs).
include!(concat!(env!("OUT_DIR"), "/hamustro.rs"));

/// Lower-case hexadecimal, as the protocol writes every digest (the device id, the
/// session, the body's MD5 inside the signature).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0xf)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use prost::Message as _;

    use super::request::{signed_headers, PayloadFormat};
    use super::session::{hash_device_id, session_id};
    use super::*;

    /// The worked example of `proto/README.md`, so that its numbers stay true.
    #[test]
    fn the_protocol_documents_worked_example_holds() {
        let device_id = hash_device_id("device-42");
        assert_eq!(
            device_id,
            "03eb6abfefd46cd099f54e630936fb95d0148182475cac947533270eeb111269"
        );
        let session = session_id(&device_id, "com.example.game", "14", "2.3.0", 0);
        assert_eq!(session, "0d2d3c5b9c315b3b779f11e8b3724a9f");
        let collection = Collection {
            device_id,
            client_id: "com.example.game".into(),
            session,
            system_version: "14".into(),
            product_version: "2.3.0".into(),
            env: Environment::Production as i32,
            system: Some("Android".into()),
            payloads: vec![Payload {
                at: 1_700_000_000,
                event: "level_up".into(),
                nr: 1,
                timezone: Some("+01:00".into()),
                user_id: Some("u-7".into()),
                parameters: vec![Parameter {
                    name: "level".into(),
                    value: "3".into(),
                }],
                ..Payload::default()
            }],
            ..Collection::default()
        };
        let json = json::encode_collection(&collection);
        assert_eq!(json.len(), 379);
        let [_, _, (_, signature)] =
            signed_headers(PayloadFormat::Json, 1_700_000_005, &json, "s3cret");
        assert_eq!(signature, "SVyk+4KSmYicPL6fqyiWHQSUzN4LxA+Yak2mflX3pH0=");
        let protobuf = collection.encode_to_vec();
        assert_eq!(protobuf.len(), 185);
        let [_, _, (_, signature)] =
            signed_headers(PayloadFormat::Protobuf, 1_700_000_005, &protobuf, "s3cret");
        assert_eq!(signature, "hfU8LhFsTW+WTeAEXj8TzvBRgimNboPyrkN5C+e4XIA=");
    }
}
