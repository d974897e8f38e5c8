//! The JSON body: the protobuf JSON mapping as the collector's own tests send it
//! (original field names, enums by name, numbers as numbers), and nothing else,
//! because the collector refuses unknown fields.

use std::fmt::Write as _;

use super::{Collection, Environment, Payload};

/// Encodes a collection as the collector's jsonpb decoder expects it.
pub fn encode_collection(collection: &Collection) -> Vec<u8> {
    let mut out = String::with_capacity(256 + collection.payloads.len() * 160);
    out.push('{');
    let mut first = true;
    string_field(&mut out, &mut first, "device_id", &collection.device_id);
    string_field(&mut out, &mut first, "client_id", &collection.client_id);
    string_field(&mut out, &mut first, "session", &collection.session);
    string_field(
        &mut out,
        &mut first,
        "system_version",
        &collection.system_version,
    );
    string_field(
        &mut out,
        &mut first,
        "product_version",
        &collection.product_version,
    );
    let env = Environment::try_from(collection.env).unwrap_or(Environment::Production);
    key(&mut out, &mut first, "env");
    string(&mut out, env.as_str_name());
    let optional = [
        ("device_make", &collection.device_make),
        ("device_model", &collection.device_model),
        ("system", &collection.system),
        ("system_language", &collection.system_language),
        ("browser", &collection.browser),
        ("browser_version", &collection.browser_version),
        ("product_git_hash", &collection.product_git_hash),
        ("product_language", &collection.product_language),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            string_field(&mut out, &mut first, name, value);
        }
    }
    key(&mut out, &mut first, "payloads");
    out.push('[');
    for (index, payload) in collection.payloads.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        encode_payload(&mut out, payload);
    }
    out.push_str("]}");
    out.into_bytes()
}

fn encode_payload(out: &mut String, payload: &Payload) {
    out.push('{');
    let mut first = true;
    key(out, &mut first, "at");
    let _ = write!(out, "{}", payload.at);
    string_field(out, &mut first, "event", &payload.event);
    key(out, &mut first, "nr");
    let _ = write!(out, "{}", payload.nr);
    let optional = [
        ("timezone", &payload.timezone),
        ("tenant_id", &payload.tenant_id),
        ("user_id", &payload.user_id),
        ("ip", &payload.ip),
        ("country", &payload.country),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            string_field(out, &mut first, name, value);
        }
    }
    if !payload.parameters.is_empty() {
        key(out, &mut first, "parameters");
        out.push('[');
        for (index, parameter) in payload.parameters.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            out.push('{');
            let mut first = true;
            string_field(out, &mut first, "name", &parameter.name);
            string_field(out, &mut first, "value", &parameter.value);
            out.push('}');
        }
        out.push(']');
    }
    out.push('}');
}

fn key(out: &mut String, first: &mut bool, name: &str) {
    if !std::mem::take(first) {
        out.push(',');
    }
    string(out, name);
    out.push(':');
}

fn string_field(out: &mut String, first: &mut bool, name: &str, value: &str) {
    key(out, first, name);
    string(out, value);
}

/// A JSON string literal: quotes, backslashes and control characters escaped; all
/// other characters (valid UTF-8 by construction) written as they are.
fn string(out: &mut String, value: &str) {
    out.push('"');
    for ch in value.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            // Line and paragraph separators are valid JSON but break some parsers.
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Parameter;

    #[test]
    fn encodes_original_names_enum_names_and_numbers() {
        let collection = Collection {
            device_id: "d".into(),
            client_id: "c".into(),
            session: "s".into(),
            system_version: "1".into(),
            product_version: "2".into(),
            env: Environment::Beta as i32,
            system: Some("Linux".into()),
            payloads: vec![Payload {
                at: 1_700_000_000,
                event: "E".into(),
                nr: 7,
                user_id: Some("u".into()),
                parameters: vec![Parameter {
                    name: "k".into(),
                    value: "a\"b\\c\n\u{1}é".into(),
                }],
                ..Payload::default()
            }],
            ..Collection::default()
        };
        let text = String::from_utf8(encode_collection(&collection)).unwrap();
        assert_eq!(
            text,
            r#"{"device_id":"d","client_id":"c","session":"s","system_version":"1","product_version":"2","env":"BETA","system":"Linux","payloads":[{"at":1700000000,"event":"E","nr":7,"user_id":"u","parameters":[{"name":"k","value":"a\"b\\c\n\u0001é"}]}]}"#
        );
    }
}
