//! Checking what the app passes in: event names, parameters, headers.

use std::collections::HashMap;

use prost::Message as _;

use crate::error::{Error, Result};
use crate::store::User;
use crate::wire::request::{is_reserved_header, RESERVED_HEADERS};
use crate::wire::{Parameter, Payload};

/// The longest event name accepted, in bytes.
pub const MAX_EVENT_NAME_BYTES: usize = 1024;
/// The largest encoded event accepted (name, parameters and context), in bytes.
pub const MAX_EVENT_BYTES: usize = 256 * 1024;
/// The most the persisted settings that go into every event (the user and the global
/// parameters) may take together, encoded: a quarter of `MAX_EVENT_BYTES`, so that a
/// setting can never make every later event too large.
pub const MAX_SETTINGS_BYTES: usize = 64 * 1024;
/// The most the extra request headers may take together (names and values), in bytes.
pub const MAX_HEADERS_BYTES: usize = 16 * 1024;

/// The size the user and global parameters add to every event.
pub(super) fn settings_size(user: &User, globals: &[Parameter]) -> usize {
    Payload {
        tenant_id: user.tenant_id.clone(),
        user_id: user.user_id.clone(),
        parameters: globals.to_vec(),
        ..Payload::default()
    }
    .encoded_len()
}

/// Refuses settings that would take more than their share of every event.
pub(super) fn check_settings(user: &User, globals: &[Parameter]) -> Result<()> {
    let size = settings_size(user, globals);
    if size > MAX_SETTINGS_BYTES {
        return Err(Error::invalid(format!(
            "the user and the global parameters would add {size} bytes to every event; \
             together they may take at most {MAX_SETTINGS_BYTES} bytes"
        )));
    }
    Ok(())
}

pub(super) fn check_event_name(event: &str) -> Result<()> {
    if event.is_empty() {
        return Err(Error::invalid("event name must not be empty"));
    }
    if event.len() > MAX_EVENT_NAME_BYTES {
        return Err(Error::invalid(format!(
            "event name is {} bytes; the limit is {MAX_EVENT_NAME_BYTES} bytes",
            event.len()
        )));
    }
    Ok(())
}

/// Parameters in order, a repeated name keeping its first position and last value.
/// Borrowed: they are encoded into the event's record, and copied only there.
pub(super) fn unique_parameters<'a>(
    parameters: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<(&'a str, &'a str)>> {
    /// Up to this many, a repeated name is looked for by a scan: cheaper than hashing.
    const SCANNED: usize = 16;
    let mut out: Vec<(&str, &str)> = Vec::with_capacity(parameters.size_hint().0);
    // Made only past `SCANNED` (even an empty HashMap seeds its hasher on each call).
    let mut index: Option<HashMap<&str, usize>> = None;
    for (name, value) in parameters {
        if name.is_empty() {
            return Err(Error::invalid("parameter name must not be empty"));
        }
        let seen = if out.len() <= SCANNED {
            out.iter().position(|&(seen, _)| seen == name)
        } else {
            index
                .get_or_insert_with(|| {
                    out.iter()
                        .enumerate()
                        .map(|(at, &(seen, _))| (seen, at))
                        .collect()
                })
                .get(name)
                .copied()
        };
        match seen {
            Some(at) => out[at].1 = value,
            None => {
                if let Some(index) = &mut index {
                    index.insert(name, out.len());
                }
                out.push((name, value));
            }
        }
    }
    Ok(out)
}

/// Checks the extra request headers one by one and in total; returns them owned.
pub(super) fn check_headers<K, V>(headers: &[(K, V)]) -> Result<Vec<(String, String)>>
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut checked = Vec::with_capacity(headers.len());
    let mut total = 0usize;
    for (name, value) in headers {
        let (name, value) = (name.as_ref(), value.as_ref());
        check_header(name, value)?;
        total += name.len() + value.len();
        if total > MAX_HEADERS_BYTES {
            return Err(Error::invalid(format!(
                "the extra headers take more than {MAX_HEADERS_BYTES} bytes (names and \
                 values together)"
            )));
        }
        checked.push((name.to_string(), value.to_string()));
    }
    Ok(checked)
}

fn check_header(name: &str, value: &str) -> Result<()> {
    let token = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(Error::invalid(format!(
            "header name {name:?} is not a valid HTTP header name"
        )));
    }
    if is_reserved_header(name) {
        return Err(Error::invalid(format!(
            "header {name} is set by the library or changes how HTTP carries the \
             request, and cannot be set (reserved, in any case: {})",
            RESERVED_HEADERS.join(", ")
        )));
    }
    if let Some(c) = value.chars().find(|&c| !allowed_in_header_value(c)) {
        return Err(Error::invalid(format!(
            "the value of header {name} contains the control character U+{:04X}; a value \
             may hold tab, space, visible ASCII and characters beyond ASCII other than \
             U+0080 to U+009F, U+2028 and U+2029",
            u32::from(c)
        )));
    }
    Ok(())
}

/// What a header value may hold: tab, space and visible ASCII (RFC 9110's `VCHAR`),
/// and characters beyond ASCII except the C1 controls (U+0080 to U+009F, U+0085 "next
/// line" among them) and the Unicode line and paragraph separators (U+2028, U+2029),
/// which some software downstream reads as line breaks.
fn allowed_in_header_value(c: char) -> bool {
    matches!(c, '\t' | ' '..='~')
        || (!c.is_ascii() && !matches!(c, '\u{80}'..='\u{9f}' | '\u{2028}' | '\u{2029}'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameter_names_keep_the_last_value_in_first_position() {
        let params = unique_parameters([("a", "1"), ("b", "2"), ("a", "3")].into_iter()).unwrap();
        assert_eq!(params, [("a", "3"), ("b", "2")]);
        // Beyond the scanned few, the same through the index.
        let names: Vec<String> = (0..40).map(|i| format!("p{i}")).collect();
        let many = names.iter().map(|n| (n.as_str(), "first")).chain([
            ("p3", "last"),
            ("p39", "last"),
            ("new", "x"),
        ]);
        let params = unique_parameters(many).unwrap();
        assert_eq!(params.len(), 41);
        assert_eq!(
            (params[3], params[39], params[40]),
            (("p3", "last"), ("p39", "last"), ("new", "x"))
        );
    }

    #[test]
    fn header_rules() {
        assert!(check_header("X-Api-Key", "k v").is_ok());
        assert!(check_header("X Bad", "v").is_err());
        assert!(check_header("X-Ok", "line\r\nInjected: 1").is_err());
        assert!(check_header("x-hamustro-signature", "forged").is_err());
        assert!(check_header("Expect", "100-continue").is_err());
        assert!(check_header("X-Ok", "jötük \u{1f3ae}\t~").is_ok());
        for bad in [
            '\u{0}', '\u{1f}', '\u{7f}', '\u{80}', '\u{85}', '\u{9f}', '\u{2028}', '\u{2029}',
        ] {
            assert!(
                check_header("X-Ok", &format!("a{bad}b")).is_err(),
                "{bad:?}"
            );
        }
    }
}
