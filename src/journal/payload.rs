//! An event's payload as borrowed parts, encoded byte for byte as prost encodes
//! `wire::Payload`: tracking frames an event from the app's own strings and the
//! tracker's settings without copying each into a `String` first (a dozen allocations
//! and frees an event, most of what tracking cost before the journal was mapped).

#[cfg(any(test, feature = "internals"))]
use crate::wire::Payload;

/// The fields of `wire::Payload` (see `proto/hamustro.proto`), borrowed.
#[derive(Clone, Copy)]
pub struct PayloadRef<'a> {
    pub at: u64,
    pub event: &'a str,
    pub nr: u32,
    pub timezone: Option<&'a str>,
    pub tenant_id: Option<&'a str>,
    pub user_id: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub country: Option<&'a str>,
    pub parameters: &'a [(&'a str, &'a str)],
}

/// How much longer a payload grows once numbered: `nr` is encoded as 0 before the
/// journal numbers the event (the number travels in the record), and the largest
/// number takes 5 bytes to 0's one. A size check adds this to be never too lenient.
pub const NUMBERING_HEADROOM: usize = 4;

/// Protobuf wire types.
const VARINT: u64 = 0;
const LENGTH_DELIMITED: u64 = 2;

impl PayloadRef<'_> {
    /// What `encode` appends, in bytes.
    pub fn encoded_len(&self) -> usize {
        let optional = [
            self.timezone,
            self.tenant_id,
            self.user_id,
            self.ip,
            self.country,
        ];
        1 + varint_len(self.at)
            + string_len(self.event)
            + 1
            + varint_len(u64::from(self.nr))
            + optional
                .iter()
                .flatten()
                .map(|s| string_len(s))
                .sum::<usize>()
            + self
                .parameters
                .iter()
                .map(|&(name, value)| {
                    let inner = parameter_len(name, value);
                    1 + varint_len(inner as u64) + inner
                })
                .sum::<usize>()
    }

    /// Appends the encoding: required fields always, optional ones when set, in
    /// field order, as prost does for a proto2 message. The bytes are sized first
    /// (`encoded_len`) and written in place.
    #[cfg(test)]
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.encode_sized(out, self.encoded_len());
    }

    /// `encode`, told its `encoded_len`.
    pub(super) fn encode_sized(&self, out: &mut Vec<u8>, encoded_len: usize) {
        let start = out.len();
        out.resize(start + encoded_len, 0);
        let mut w = Writer {
            buf: &mut out[start..],
            at: 0,
        };
        w.key(1, VARINT);
        w.varint(self.at);
        w.string(2, self.event);
        w.key(3, VARINT);
        w.varint(u64::from(self.nr));
        let optional = [
            (4, self.timezone),
            (5, self.tenant_id),
            (6, self.user_id),
            (7, self.ip),
            (8, self.country),
        ];
        for (tag, value) in optional {
            if let Some(value) = value {
                w.string(tag, value);
            }
        }
        for &(name, value) in self.parameters {
            w.key(9, LENGTH_DELIMITED);
            w.varint(parameter_len(name, value) as u64);
            w.string(1, name);
            w.string(2, value);
        }
        debug_assert_eq!(w.at, w.buf.len());
    }
}

/// Writes into bytes sized beforehand.
struct Writer<'a> {
    buf: &'a mut [u8],
    at: usize,
}

// Inlined: at opt-level "s" these calls, a dozen an event, were a tenth of it.
impl Writer<'_> {
    #[inline]
    fn key(&mut self, tag: u64, wire_type: u64) {
        self.varint(tag << 3 | wire_type);
    }

    #[inline]
    fn string(&mut self, tag: u64, s: &str) {
        self.key(tag, LENGTH_DELIMITED);
        self.varint(s.len() as u64);
        self.buf[self.at..self.at + s.len()].copy_from_slice(s.as_bytes());
        self.at += s.len();
    }

    #[inline]
    fn varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.buf[self.at] = (value as u8) | 0x80;
            value >>= 7;
            self.at += 1;
        }
        self.buf[self.at] = value as u8;
        self.at += 1;
    }
}

/// Borrows an owned payload's fields, with its parameters as pairs in `pairs`.
#[cfg(any(test, feature = "internals"))]
pub fn borrowed<'a>(
    payload: &'a Payload,
    pairs: &'a mut Vec<(&'a str, &'a str)>,
) -> PayloadRef<'a> {
    pairs.extend(
        payload
            .parameters
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_str())),
    );
    PayloadRef {
        at: payload.at,
        event: &payload.event,
        nr: payload.nr,
        timezone: payload.timezone.as_deref(),
        tenant_id: payload.tenant_id.as_deref(),
        user_id: payload.user_id.as_deref(),
        ip: payload.ip.as_deref(),
        country: payload.country.as_deref(),
        parameters: pairs,
    }
}

#[inline]
fn parameter_len(name: &str, value: &str) -> usize {
    string_len(name) + string_len(value)
}

/// A field of tag < 16 (one key byte) holding `s`.
#[inline]
fn string_len(s: &str) -> usize {
    1 + varint_len(s.len() as u64) + s.len()
}

#[inline]
fn varint_len(value: u64) -> usize {
    // 7 bits a byte; 0 takes one.
    (64 - (value | 1).leading_zeros() as usize).div_ceil(7)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Parameter;
    use prost::Message as _;

    fn check(payload: &Payload) {
        let mut pairs = Vec::new();
        let view = borrowed(payload, &mut pairs);
        let mut ours = Vec::new();
        view.encode(&mut ours);
        assert_eq!(ours, payload.encode_to_vec(), "{payload:?}");
        assert_eq!(view.encoded_len(), ours.len());
    }

    #[test]
    fn numbering_headroom_is_what_the_largest_number_adds() {
        assert_eq!(
            NUMBERING_HEADROOM,
            varint_len(u64::from(u32::MAX)) - varint_len(0)
        );
    }

    #[test]
    fn encodes_exactly_as_prost_does() {
        check(&Payload::default());
        let long = "v".repeat(300);
        check(&Payload {
            at: 1_700_000_000,
            event: "Level.Completed".into(),
            nr: u32::MAX,
            timezone: Some("+01:00".into()),
            tenant_id: Some(String::new()),
            user_id: Some("u".into()),
            ip: None,
            country: Some("HU".into()),
            parameters: vec![
                Parameter {
                    name: "a".into(),
                    value: long.clone(),
                },
                Parameter {
                    name: long.repeat(500),
                    value: String::new(),
                },
            ],
        });
        for at in [0, 1, 127, 128, 16_383, 16_384, u64::MAX] {
            check(&Payload {
                at,
                nr: at as u32,
                ..Payload::default()
            });
        }
    }
}
