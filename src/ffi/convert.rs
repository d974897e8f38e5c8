//! Reading C arguments: every raw pointer the API receives is turned into Rust values
//! here, with NULL and invalid UTF-8 reported as errors naming the argument.

use std::ffi::{c_char, CStr};

use crate::error::{Error, Result};

/// The most key/value pairs one call takes; a guard against a garbage count.
pub const MAX_PAIRS: usize = 100_000;

/// A required string argument.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string valid for the call.
pub unsafe fn required_str<'a>(ptr: *const c_char, name: &str) -> Result<&'a str> {
    // SAFETY: forwarded from the caller.
    unsafe { required_str_named(ptr, || name.to_owned()) }
}

/// An optional string argument: NULL is `None`.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string valid for the call.
pub unsafe fn optional_str<'a>(ptr: *const c_char, name: &str) -> Result<Option<&'a str>> {
    // SAFETY: forwarded from the caller.
    unsafe { optional_str_named(ptr, || name.to_owned()) }
}

/// `required_str` with the argument's name made only for an error message: an
/// event's parameters would otherwise format two names per pair on every call.
///
/// # Safety
/// As `required_str`.
unsafe fn required_str_named<'a>(ptr: *const c_char, name: impl Fn() -> String) -> Result<&'a str> {
    // SAFETY: forwarded from the caller.
    unsafe { optional_str_named(ptr, &name) }?
        .ok_or_else(|| Error::invalid(format!("{} must not be NULL", name())))
}

/// `optional_str` with the argument's name made only for an error message.
///
/// # Safety
/// As `optional_str`.
unsafe fn optional_str_named<'a>(
    ptr: *const c_char,
    name: impl Fn() -> String,
) -> Result<Option<&'a str>> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: non-null and NUL-terminated by the caller's contract.
    let bytes = unsafe { CStr::from_ptr(ptr) };
    bytes
        .to_str()
        .map(Some)
        .map_err(|_| Error::invalid(format!("{} is not valid UTF-8", name())))
}

/// Parallel arrays of `count` names and values. Both may be NULL when `count` is 0.
///
/// # Safety
/// When `count` > 0, `names` and `values` are NULL or point to `count` string pointers
/// each satisfying `optional_str`'s contract.
pub unsafe fn string_pairs<'a>(
    names: *const *const c_char,
    values: *const *const c_char,
    count: usize,
    what: &str,
) -> Result<Vec<(&'a str, &'a str)>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if count > MAX_PAIRS {
        return Err(Error::invalid(format!(
            "{count} {what} given; at most {MAX_PAIRS} are accepted"
        )));
    }
    if names.is_null() || values.is_null() {
        return Err(Error::invalid(format!(
            "{what} names and values must not be NULL when the count is {count}"
        )));
    }
    let mut pairs = Vec::with_capacity(count);
    for index in 0..count {
        // SAFETY: index < count and both arrays hold count pointers.
        let (name, value) = unsafe { (*names.add(index), *values.add(index)) };
        // SAFETY: each element is NULL or a valid NUL-terminated string.
        let name = unsafe { required_str_named(name, || format!("{what} name #{index}")) }?;
        // SAFETY: as for the name.
        let value = unsafe { required_str_named(value, || format!("{what} value #{index}")) }?;
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// An event name and its parameter pairs packed into one buffer of `length` bytes: the
/// name, then each parameter's name and value, each string ending with a NUL. The
/// messages name the strings as `required_str` and `string_pairs` do.
///
/// # Safety
/// `packed` is NULL or points to `length` readable bytes valid for the call.
pub unsafe fn packed_event<'a>(
    packed: *const c_char,
    length: usize,
) -> Result<(&'a str, Vec<(&'a str, &'a str)>)> {
    if packed.is_null() {
        return Err(Error::invalid("packed must not be NULL"));
    }
    // SAFETY: non-null and `length` readable bytes by the caller's contract.
    let bytes = unsafe { std::slice::from_raw_parts(packed.cast::<u8>(), length) };
    let Some((0, body)) = bytes.split_last() else {
        return Err(Error::invalid("packed must end with a NUL"));
    };
    // The event name, then each parameter's name and value: a split yields at least
    // the first.
    let mut strings = body.split(|&byte| byte == 0);
    let parameter_strings = strings.clone().count() - 1;
    if parameter_strings % 2 == 1 {
        return Err(Error::invalid(
            "packed ends with a parameter name that has no value",
        ));
    }
    let count = parameter_strings / 2;
    if count > MAX_PAIRS {
        return Err(Error::invalid(format!(
            "{count} parameter given; at most {MAX_PAIRS} are accepted"
        )));
    }
    let event = utf8(strings.next().unwrap_or_default(), || "event".into())?;
    let mut pairs = Vec::with_capacity(count);
    while let (Some(name), Some(value)) = (strings.next(), strings.next()) {
        let index = pairs.len();
        pairs.push((
            utf8(name, || format!("parameter name #{index}"))?,
            utf8(value, || format!("parameter value #{index}"))?,
        ));
    }
    Ok((event, pairs))
}

/// `bytes` as text; the error names it only when there is one to report.
fn utf8(bytes: &[u8], name: impl FnOnce() -> String) -> Result<&str> {
    std::str::from_utf8(bytes).map_err(|_| Error::invalid(format!("{} is not valid UTF-8", name())))
}

/// Writes `value` through a required out-parameter.
///
/// # Safety
/// `out` is NULL or valid for writing one `T`.
pub unsafe fn write_out<T>(out: *mut T, value: T, name: &str) -> Result<()> {
    if out.is_null() {
        return Err(Error::invalid(format!("{name} must not be NULL")));
    }
    // SAFETY: non-null and writable by the caller's contract.
    unsafe { out.write(value) };
    Ok(())
}

/// Copies `message` into a caller's buffer, snprintf-style: at most `buffer_len` bytes
/// including the terminating NUL, cut at a UTF-8 character boundary. Returns the full
/// length in bytes, without the NUL, so the caller can retry with a larger buffer.
///
/// # Safety
/// `buffer` is NULL or points to at least `buffer_len` writable bytes.
pub unsafe fn copy_to_buffer(message: &str, buffer: *mut c_char, buffer_len: usize) -> usize {
    if !buffer.is_null() && buffer_len > 0 {
        let mut end = message.len().min(buffer_len - 1);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        // SAFETY: the caller guarantees buffer_len writable bytes; we write end + 1 <=
        // buffer_len of them, from a source that does not overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(message.as_ptr(), buffer.cast::<u8>(), end);
            *buffer.add(end) = 0;
        }
    }
    message.len()
}
