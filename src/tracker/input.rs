//! Checking what the app passes in: event names, parameters, headers.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::sender::RESERVED_HEADERS;
use crate::wire::Parameter;

/// The longest event name accepted, in bytes.
pub const MAX_EVENT_NAME_BYTES: usize = 1024;
/// The largest encoded event accepted (name, parameters and context), in bytes.
pub const MAX_EVENT_BYTES: usize = 256 * 1024;

pub(super) fn check_event_name(event: &str) -> Result<()> {
    if event.is_empty() {
        return Err(Error::invalid("event name must not be empty"));
    }
    if event.len() > MAX_EVENT_NAME_BYTES {
        return Err(Error::invalid(format!(
            "event name is {} bytes; the limit is {MAX_EVENT_NAME_BYTES}",
            event.len()
        )));
    }
    Ok(())
}

/// Parameters in order, a repeated name keeping its first position and last value.
pub(super) fn unique_parameters<'a>(
    parameters: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<Parameter>> {
    let mut out: Vec<Parameter> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (name, value) in parameters {
        if name.is_empty() {
            return Err(Error::invalid("parameter name must not be empty"));
        }
        match index.get(name) {
            Some(&at) => out[at].value = value.to_string(),
            None => {
                index.insert(name, out.len());
                out.push(Parameter {
                    name: name.to_string(),
                    value: value.to_string(),
                });
            }
        }
    }
    Ok(out)
}

pub(super) fn check_header(name: &str, value: &str) -> Result<()> {
    let token = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(Error::invalid(format!(
            "header name {name:?} is not a valid HTTP header name"
        )));
    }
    if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(Error::invalid(format!(
            "header {name} is set by the library and cannot be replaced"
        )));
    }
    if value.bytes().any(|c| (c < 0x20 && c != b'\t') || c == 0x7f) {
        return Err(Error::invalid(format!(
            "the value of header {name} contains a control character"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameter_names_keep_the_last_value_in_first_position() {
        let params = unique_parameters([("a", "1"), ("b", "2"), ("a", "3")].into_iter()).unwrap();
        let pairs: Vec<_> = params
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(pairs, [("a", "3"), ("b", "2")]);
    }

    #[test]
    fn header_rules() {
        assert!(check_header("X-Api-Key", "k v").is_ok());
        assert!(check_header("X Bad", "v").is_err());
        assert!(check_header("X-Ok", "line\r\nInjected: 1").is_err());
        assert!(check_header("x-hamustro-signature", "forged").is_err());
    }
}
