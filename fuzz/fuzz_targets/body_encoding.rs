//! Request bodies: any collection survives a protobuf round trip unchanged, and its
//! JSON body (`hamustro::internals::wire::json::encode_collection`) is valid JSON that holds exactly
//! the collection's fields, events, numbers and parameters, and nothing else (the
//! collector refuses unknown fields). Arbitrary bytes given to the protobuf decoder
//! never panic, and whatever decodes re-encodes to an equal value.
#![no_main]

use arbitrary::Arbitrary;
use hamustro::internals::wire::{Collection, Environment, Payload};
use hamustro_fuzz::ArbCollection;
use libfuzzer_sys::fuzz_target;
use prost::Message as _;
use serde_json::{Map, Value};

#[derive(Arbitrary, Debug)]
enum Input {
    Collection(Box<ArbCollection>),
    Bytes(Vec<u8>),
}

fuzz_target!(|input: Input| match input {
    Input::Collection(arb) => {
        let collection = arb.wire();
        protobuf_round_trip(&collection);
        json_matches(&collection);
    }
    Input::Bytes(bytes) => {
        if let Ok(collection) = Collection::decode(bytes.as_slice()) {
            protobuf_round_trip(&collection);
            json_matches(&collection);
        }
        if let Ok(payload) = Payload::decode(bytes.as_slice()) {
            let again = Payload::decode(payload.encode_to_vec().as_slice())
                .expect("a decoded payload re-encodes to something that decodes");
            assert_eq!(again, payload);
        }
    }
});

fn protobuf_round_trip(collection: &Collection) {
    let bytes = collection.encode_to_vec();
    assert_eq!(bytes.len(), collection.encoded_len());
    let decoded = Collection::decode(bytes.as_slice()).expect("an encoded collection decodes");
    assert_eq!(&decoded, collection);
}

fn json_matches(collection: &Collection) {
    let body = hamustro::internals::wire::json::encode_collection(collection);
    let value: Value = serde_json::from_slice(&body).unwrap_or_else(|e| {
        panic!(
            "encode_collection wrote invalid JSON ({e}): {}",
            String::from_utf8_lossy(&body)
        )
    });
    let object = value.as_object().expect("the body is a JSON object");
    let env = Environment::try_from(collection.env)
        .unwrap_or(Environment::Production)
        .as_str_name();
    let mut expected = Fields::default();
    expected.text("device_id", &collection.device_id);
    expected.text("client_id", &collection.client_id);
    expected.text("session", &collection.session);
    expected.text("system_version", &collection.system_version);
    expected.text("product_version", &collection.product_version);
    expected.text("env", env);
    for (name, field) in [
        ("device_make", &collection.device_make),
        ("device_model", &collection.device_model),
        ("system", &collection.system),
        ("system_language", &collection.system_language),
        ("browser", &collection.browser),
        ("browser_version", &collection.browser_version),
        ("product_git_hash", &collection.product_git_hash),
        ("product_language", &collection.product_language),
    ] {
        expected.optional(name, field);
    }
    let payloads = collection.payloads.iter().map(payload_json).collect();
    expected.0.insert("payloads".into(), Value::Array(payloads));
    assert_eq!(
        object, &expected.0,
        "the JSON body differs from the collection"
    );
}

fn payload_json(payload: &Payload) -> Value {
    let mut fields = Fields::default();
    fields.0.insert("at".into(), Value::from(payload.at));
    fields.text("event", &payload.event);
    fields.0.insert("nr".into(), Value::from(payload.nr));
    for (name, field) in [
        ("timezone", &payload.timezone),
        ("tenant_id", &payload.tenant_id),
        ("user_id", &payload.user_id),
        ("ip", &payload.ip),
        ("country", &payload.country),
    ] {
        fields.optional(name, field);
    }
    if !payload.parameters.is_empty() {
        let parameters = payload
            .parameters
            .iter()
            .map(|p| {
                let mut pair = Fields::default();
                pair.text("name", &p.name);
                pair.text("value", &p.value);
                Value::Object(pair.0)
            })
            .collect();
        fields
            .0
            .insert("parameters".into(), Value::Array(parameters));
    }
    Value::Object(fields.0)
}

#[derive(Default)]
struct Fields(Map<String, Value>);

impl Fields {
    fn text(&mut self, name: &str, value: &str) {
        self.0.insert(name.into(), Value::String(value.into()));
    }

    fn optional(&mut self, name: &str, value: &Option<String>) {
        if let Some(value) = value {
            self.text(name, value);
        }
    }
}
