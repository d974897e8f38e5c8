//! Protobuf bodies: prost decodes, a wire scan enforces proto2 `required` (prost fills
//! in a default where Go's proto package rejects the message).

use prost::Message as _;

use crate::wire::Collection;

pub(crate) fn decode_protobuf(body: &[u8]) -> Result<Collection, String> {
    let collection =
        Collection::decode(body).map_err(|e| format!("Unmarshaling protobuf is failed: {e}"))?;
    check_required_on_wire(body, &COLLECTION_SCHEMA)
        .map_err(|e| format!("Unmarshaling protobuf is failed: {e}"))?;
    Ok(collection)
}

/// The proto2 `required` fields of one message and where its sub-messages are, so the
/// scan can descend into them.
struct WireSchema {
    name: &'static str,
    required: &'static [(u64, &'static str)],
    nested: &'static [(u64, &'static WireSchema)],
}

const PARAMETER_SCHEMA: WireSchema = WireSchema {
    name: "Parameter",
    required: &[(1, "name"), (2, "value")],
    nested: &[],
};

const PAYLOAD_SCHEMA: WireSchema = WireSchema {
    name: "Payload",
    required: &[(1, "at"), (2, "event"), (3, "nr")],
    nested: &[(9, &PARAMETER_SCHEMA)],
};

const COLLECTION_SCHEMA: WireSchema = WireSchema {
    name: "Collection",
    required: &[
        (1, "device_id"),
        (2, "client_id"),
        (3, "session"),
        (4, "system_version"),
        (5, "product_version"),
        (6, "env"),
    ],
    nested: &[(15, &PAYLOAD_SCHEMA)],
};

/// Walks the encoded message and fails when a required field never appears, in the
/// message itself or in any nested Payload / Parameter. Deliberately independent of
/// prost: prost silently defaults missing required fields.
fn check_required_on_wire(mut bytes: &[u8], schema: &WireSchema) -> Result<(), String> {
    let mut seen = Vec::new();
    while !bytes.is_empty() {
        let key = read_varint(&mut bytes)?;
        let (number, wire_type) = (key >> 3, key & 7);
        if wire_type == 2 {
            let content = read_length_delimited(&mut bytes)?;
            if let Some((_, nested)) = schema.nested.iter().find(|(n, _)| *n == number) {
                check_required_on_wire(content, nested)?;
            }
        } else {
            skip_value(&mut bytes, number, wire_type)?;
        }
        seen.push(number);
    }
    match schema.required.iter().find(|(n, _)| !seen.contains(n)) {
        Some((_, field)) => Err(format!(
            "required field \"hamustro.{}.{field}\" not set",
            schema.name
        )),
        None => Ok(()),
    }
}

fn read_varint(bytes: &mut &[u8]) -> Result<u64, String> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first().ok_or("truncated varint")?;
        *bytes = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("varint longer than 10 bytes".to_owned())
}

fn read_length_delimited<'a>(bytes: &mut &'a [u8]) -> Result<&'a [u8], String> {
    let len = usize::try_from(read_varint(bytes)?).map_err(|_| "length too large")?;
    take(bytes, len)
}

fn take<'a>(bytes: &mut &'a [u8], len: usize) -> Result<&'a [u8], String> {
    if bytes.len() < len {
        return Err("truncated field".to_owned());
    }
    let (taken, rest) = bytes.split_at(len);
    *bytes = rest;
    Ok(taken)
}

/// Skips one value of a non-length-delimited wire type (groups included, which may
/// appear as unknown fields).
fn skip_value(bytes: &mut &[u8], number: u64, wire_type: u64) -> Result<(), String> {
    match wire_type {
        0 => read_varint(bytes).map(drop),
        1 => take(bytes, 8).map(drop),
        2 => read_length_delimited(bytes).map(drop),
        3 => loop {
            let key = read_varint(bytes)?;
            match (key >> 3, key & 7) {
                (end, 4) if end == number => return Ok(()),
                (_, 4) => return Err("mismatched end group".to_owned()),
                (inner, inner_type) => skip_value(bytes, inner, inner_type)?,
            }
        },
        5 => take(bytes, 4).map(drop),
        other => Err(format!("invalid wire type {other}")),
    }
}
