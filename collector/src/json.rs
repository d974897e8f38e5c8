//! JSON bodies, decoded by hand with the rules of Go's jsonpb as the genuine collector
//! used it: both field name styles, unknown fields rejected, enums by exact name.

use serde_json::{Map, Value};

use crate::wire::{Collection, Environment, Parameter, Payload};

pub(crate) fn decode_json(body: &[u8]) -> Result<Collection, String> {
    let fail = |e: String| format!("Unmarshaling json collection is failed: {e}");
    // jsonpb reads the first JSON value from a stream decoder and ignores what follows.
    let value = serde_json::Deserializer::from_slice(body)
        .into_iter::<Value>()
        .next()
        .ok_or_else(|| fail("empty body".to_owned()))?
        .map_err(|e| fail(e.to_string()))?;
    // Required fields are checked after the whole decode, like Go's IsValid afterwards.
    let mut missing = Vec::new();
    let collection = json_collection(&value, &mut missing).map_err(fail)?;
    match missing.first() {
        Some(field) => Err(format!(
            "Unmarshaled json collection is failed: required field {field} not set"
        )),
        None => Ok(collection),
    }
}

fn json_collection(value: &Value, missing: &mut Vec<String>) -> Result<Collection, String> {
    let mut m = JsonMessage::new(value, "Collection", missing)?;
    let collection = Collection {
        device_id: m.required("device_id", json_string)?,
        client_id: m.required("client_id", json_string)?,
        session: m.required("session", json_string)?,
        system_version: m.required("system_version", json_string)?,
        product_version: m.required("product_version", json_string)?,
        env: m.required("env", json_env)?,
        device_make: m.optional("device_make", json_string)?,
        device_model: m.optional("device_model", json_string)?,
        system: m.optional("system", json_string)?,
        system_language: m.optional("system_language", json_string)?,
        browser: m.optional("browser", json_string)?,
        browser_version: m.optional("browser_version", json_string)?,
        product_git_hash: m.optional("product_git_hash", json_string)?,
        product_language: m.optional("product_language", json_string)?,
        payloads: m.repeated("payloads", json_payload)?,
    };
    m.finish()?;
    Ok(collection)
}

fn json_payload(value: &Value, missing: &mut Vec<String>) -> Result<Payload, String> {
    let mut m = JsonMessage::new(value, "Payload", missing)?;
    let payload = Payload {
        at: m.required("at", json_uint64)?,
        event: m.required("event", json_string)?,
        nr: m.required("nr", json_uint32)?,
        timezone: m.optional("timezone", json_string)?,
        tenant_id: m.optional("tenant_id", json_string)?,
        user_id: m.optional("user_id", json_string)?,
        ip: m.optional("ip", json_string)?,
        country: m.optional("country", json_string)?,
        parameters: m.repeated("parameters", json_parameter)?,
    };
    m.finish()?;
    Ok(payload)
}

fn json_parameter(value: &Value, missing: &mut Vec<String>) -> Result<Parameter, String> {
    let mut m = JsonMessage::new(value, "Parameter", missing)?;
    let parameter = Parameter {
        name: m.required("name", json_string)?,
        value: m.required("value", json_string)?,
    };
    m.finish()?;
    Ok(parameter)
}

/// The members of one JSON object being decoded as a message. Fields are removed as they
/// are decoded, so whatever remains at the end is unknown.
struct JsonMessage<'a> {
    name: &'static str,
    members: Map<String, Value>,
    /// Required fields not found so far, across the whole document ("Payload.event").
    missing: &'a mut Vec<String>,
}

impl<'a> JsonMessage<'a> {
    fn new(
        value: &Value,
        name: &'static str,
        missing: &'a mut Vec<String>,
    ) -> Result<Self, String> {
        match value {
            Value::Object(members) => Ok(JsonMessage {
                name,
                members: members.clone(),
                missing,
            }),
            other => Err(format!("{name} must be a JSON object, not {}", kind(other))),
        }
    }

    /// Takes the field by its proto name, else by its lowerCamelCase name (jsonpb's
    /// order: if both are given, the camelCase one is left over and reported unknown).
    /// `null` means unset.
    fn take(&mut self, proto_name: &str) -> Option<Value> {
        let value = match self.members.remove(proto_name) {
            Some(value) => value,
            None => self.members.remove(&lower_camel(proto_name))?,
        };
        (!value.is_null()).then_some(value)
    }

    fn required<T: Default>(
        &mut self,
        field: &str,
        parse: fn(&Value) -> Result<T, String>,
    ) -> Result<T, String> {
        match self.optional(field, parse)? {
            Some(value) => Ok(value),
            None => {
                self.missing.push(format!("{}.{field}", self.name));
                Ok(T::default())
            }
        }
    }

    fn optional<T>(
        &mut self,
        field: &str,
        parse: fn(&Value) -> Result<T, String>,
    ) -> Result<Option<T>, String> {
        self.take(field)
            .map(|value| parse(&value).map_err(|e| format!("{}.{field}: {e}", self.name)))
            .transpose()
    }

    fn repeated<T>(
        &mut self,
        field: &str,
        parse: fn(&Value, &mut Vec<String>) -> Result<T, String>,
    ) -> Result<Vec<T>, String> {
        match self.take(field) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => {
                items.iter().map(|item| parse(item, self.missing)).collect()
            }
            Some(other) => Err(format!(
                "{}.{field}: expected an array, not {}",
                self.name,
                kind(&other)
            )),
        }
    }

    fn finish(self) -> Result<(), String> {
        match self.members.keys().next() {
            Some(unknown) => Err(format!("unknown field {unknown:?} in {}", self.name)),
            None => Ok(()),
        }
    }
}

/// `device_id` -> `deviceId`, the JSON name protoc derives.
fn lower_camel(proto_name: &str) -> String {
    let mut out = String::with_capacity(proto_name.len());
    let mut upper_next = false;
    for c in proto_name.chars() {
        match c {
            '_' => upper_next = true,
            c if upper_next => {
                out.push(c.to_ascii_uppercase());
                upper_next = false;
            }
            c => out.push(c),
        }
    }
    out
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn json_string(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        other => Err(format!("expected a string, not {}", kind(other))),
    }
}

/// uint64: a non-negative integer JSON number, or the same digits in a string.
fn json_uint64(value: &Value) -> Result<u64, String> {
    match value {
        Value::Number(n) => n.as_u64().ok_or_else(|| format!("{n} is not a uint64")),
        Value::String(s) if is_json_integer(s) => {
            s.parse().map_err(|_| format!("{s:?} is not a uint64"))
        }
        other => Err(format!("expected a uint64, not {}", kind(other))),
    }
}

/// uint32: a JSON number only (jsonpb quoted only 64-bit integers).
fn json_uint32(value: &Value) -> Result<u32, String> {
    match value {
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| format!("{n} is not a uint32")),
        other => Err(format!("expected a uint32 number, not {}", kind(other))),
    }
}

/// Environment: the exact upper-case name, or its number.
fn json_env(value: &Value) -> Result<i32, String> {
    match value {
        Value::String(name) => Environment::from_str_name(name)
            .map(|env| env as i32)
            .ok_or_else(|| format!("unknown value {name:?} for enum hamustro.Environment")),
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| i32::try_from(n).ok())
            .filter(|n| Environment::try_from(*n).is_ok())
            .ok_or_else(|| format!("unknown value {n} for enum hamustro.Environment")),
        other => Err(format!(
            "expected an enum name or number, not {}",
            kind(other)
        )),
    }
}

/// The integer syntax of a JSON number: `0` or digits without a leading zero.
fn is_json_integer(s: &str) -> bool {
    let digits = s.bytes().all(|b| b.is_ascii_digit());
    digits && !s.is_empty() && (s == "0" || !s.starts_with('0'))
}
