//! A reader for Apple's XML property lists (an `XCFramework`'s `Info.plist`, a privacy
//! manifest): `dict`, `array`, `string`, `integer`, `true`, `false` and `data`, which is
//! all those files use. Small enough to read whole, so no XML crate is needed; anything
//! else in a plist is an error naming it, never a guess.

use std::collections::BTreeMap;

/// One value of a property list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Dict(BTreeMap<String, Value>),
    Array(Vec<Value>),
    String(String),
    Integer(i64),
    Bool(bool),
    Data(Vec<u8>),
}

impl Value {
    /// The value under `key`, if this is a dict that has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Dict(entries) => entries.get(key),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(value) => Some(*value),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }
}

/// Reads the file at `path`; the error names the file and, for a malformed one, the line.
pub fn read(path: &std::path::Path) -> Result<Value, String> {
    let text =
        std::fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))?;
    parse(&text).map_err(|error| format!("{}: {error}", path.display()))
}

/// Parses a whole document: an optional prolog, then `<plist>` holding one value.
pub fn parse(text: &str) -> Result<Value, String> {
    let mut parser = Parser { text, position: 0 };
    match parser.next_tag()? {
        Some(Tag::Open("plist")) => {}
        other => return Err(parser.error(&format!("expected <plist>, found {other:?}"))),
    }
    let value = parser.value()?;
    parser.close("plist")?;
    match parser.next_tag()? {
        None => Ok(value),
        Some(tag) => Err(parser.error(&format!("{tag:?} after </plist>"))),
    }
}

/// An element's start, end or both (`<true/>`), by name; attributes are not needed.
#[derive(Debug, PartialEq, Eq)]
enum Tag<'a> {
    Open(&'a str),
    Close(&'a str),
    Empty(&'a str),
}

struct Parser<'a> {
    text: &'a str,
    position: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.position..]
    }

    fn error(&self, problem: &str) -> String {
        let line = self.text[..self.position].matches('\n').count() + 1;
        format!("line {line}: {problem}")
    }

    /// Skips comments, processing instructions, the doctype and whitespace.
    fn skip_markup(&mut self) -> Result<(), String> {
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start();
            self.position += rest.len() - trimmed.len();
            let end = if trimmed.starts_with("<!--") {
                "-->"
            } else if trimmed.starts_with("<?") {
                "?>"
            } else if trimmed.starts_with("<!") {
                ">"
            } else {
                return Ok(());
            };
            match trimmed.find(end) {
                Some(at) => self.position += at + end.len(),
                None => return Err(self.error(&format!("no {end} to end the markup"))),
            }
        }
    }

    /// The next tag, past markup and whitespace; text other than whitespace here is
    /// an error (text belongs only inside `string`, `key`, `integer` and `data`).
    fn next_tag(&mut self) -> Result<Option<Tag<'a>>, String> {
        self.skip_markup()?;
        let rest = self.rest();
        if rest.is_empty() {
            return Ok(None);
        }
        if !rest.starts_with('<') {
            let text: String = rest.chars().take(20).collect();
            return Err(self.error(&format!("text {text:?} outside a string")));
        }
        let Some(end) = rest.find('>') else {
            return Err(self.error("a tag without >"));
        };
        let inside = &rest[1..end];
        self.position += end + 1;
        let name_of = |body: &'a str| body.split_whitespace().next().unwrap_or("");
        Ok(Some(if let Some(name) = inside.strip_prefix('/') {
            Tag::Close(name.trim())
        } else if let Some(body) = inside.strip_suffix('/') {
            Tag::Empty(name_of(body))
        } else {
            Tag::Open(name_of(inside))
        }))
    }

    fn close(&mut self, name: &str) -> Result<(), String> {
        match self.next_tag()? {
            Some(Tag::Close(found)) if found == name => Ok(()),
            other => Err(self.error(&format!("expected </{name}>, found {other:?}"))),
        }
    }

    /// The text of an element whose start tag was just read, up to its end tag.
    fn text_until_close(&mut self, name: &str) -> Result<String, String> {
        let rest = self.rest();
        let end_tag = format!("</{name}>");
        let Some(end) = rest.find(&end_tag) else {
            return Err(self.error(&format!("no {end_tag}")));
        };
        let raw = &rest[..end];
        if raw.contains('<') {
            return Err(self.error(&format!("markup inside <{name}>")));
        }
        let text = unescape(raw).map_err(|problem| self.error(&problem))?;
        self.position += end + end_tag.len();
        Ok(text)
    }

    fn value(&mut self) -> Result<Value, String> {
        let tag = self.next_tag()?;
        self.value_from(tag)
    }

    fn value_from(&mut self, tag: Option<Tag<'a>>) -> Result<Value, String> {
        match tag {
            Some(Tag::Empty("true")) => Ok(Value::Bool(true)),
            Some(Tag::Empty("false")) => Ok(Value::Bool(false)),
            Some(Tag::Empty("dict")) => Ok(Value::Dict(BTreeMap::new())),
            Some(Tag::Empty("array")) => Ok(Value::Array(Vec::new())),
            Some(Tag::Empty("string")) => Ok(Value::String(String::new())),
            Some(Tag::Empty("data")) => Ok(Value::Data(Vec::new())),
            Some(Tag::Open("string")) => Ok(Value::String(self.text_until_close("string")?)),
            Some(Tag::Open("integer")) => {
                let text = self.text_until_close("integer")?;
                text.trim()
                    .parse()
                    .map(Value::Integer)
                    .map_err(|_| self.error(&format!("integer {text:?}")))
            }
            Some(Tag::Open("data")) => {
                let text = self.text_until_close("data")?;
                base64(&text)
                    .map(Value::Data)
                    .ok_or_else(|| self.error("data that is not base64"))
            }
            Some(Tag::Open("array")) => {
                let mut items = Vec::new();
                loop {
                    match self.next_tag()? {
                        Some(Tag::Close("array")) => return Ok(Value::Array(items)),
                        tag => items.push(self.value_from(tag)?),
                    }
                }
            }
            Some(Tag::Open("dict")) => {
                let mut entries = BTreeMap::new();
                loop {
                    match self.next_tag()? {
                        Some(Tag::Close("dict")) => return Ok(Value::Dict(entries)),
                        Some(Tag::Open("key")) => {
                            let key = self.text_until_close("key")?;
                            let value = self.value()?;
                            if entries.insert(key.clone(), value).is_some() {
                                return Err(self.error(&format!("key {key:?} twice in a dict")));
                            }
                        }
                        other => {
                            return Err(self.error(&format!("expected <key>, found {other:?}")))
                        }
                    }
                }
            }
            other => Err(self.error(&format!("expected a value, found {other:?}"))),
        }
    }
}

/// XML's character references and the five predefined entities.
fn unescape(raw: &str) -> Result<String, String> {
    let mut text = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        text.push_str(&rest[..at]);
        let Some(end) = rest[at..].find(';') else {
            return Err("an & without ;".to_string());
        };
        let entity = &rest[at + 1..at + end];
        let character = crate::xml_entity::character(entity);
        text.push(character.ok_or_else(|| format!("unknown entity &{entity};"))?);
        rest = &rest[at + end + 1..];
    }
    text.push_str(rest);
    Ok(text)
}

/// Standard base64, whitespace ignored (plists wrap `data` in lines).
fn base64(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|byte| !byte.is_ascii_whitespace())
        .collect();
    let unpadded = digits
        .strip_suffix(b"==")
        .or_else(|| digits.strip_suffix(b"="));
    let unpadded = unpadded.unwrap_or(&digits);
    let mut bytes = Vec::with_capacity(digits.len() / 4 * 3);
    let mut bits = 0u32;
    let mut count = 0;
    for &digit in unpadded {
        let value = match digit {
            b'A'..=b'Z' => digit - b'A',
            b'a'..=b'z' => digit - b'a' + 26,
            b'0'..=b'9' => digit - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push((bits >> count) as u8);
        }
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCUMENT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- a comment, before -->
<plist version="1.0">
<dict>
	<key>Name</key>
	<string>a &amp; b &lt;c&gt; &#233;</string>
	<!-- a comment between entries -->
	<key>Empty</key>
	<string/>
	<key>Count</key>
	<integer>-42</integer>
	<key>Yes</key>
	<true/>
	<key>No</key>
	<false/>
	<key>Bytes</key>
	<data>
	aGVs
	bG8=
	</data>
	<key>List</key>
	<array>
		<string>one</string>
		<dict/>
		<array/>
	</array>
</dict>
</plist>
"#;

    #[test]
    fn reads_every_kind_of_value() {
        let plist = parse(DOCUMENT).expect("parses");
        assert_eq!(
            plist.get("Name").and_then(Value::as_str),
            Some("a & b <c> é")
        );
        assert_eq!(plist.get("Empty").and_then(Value::as_str), Some(""));
        assert_eq!(plist.get("Count"), Some(&Value::Integer(-42)));
        assert_eq!(plist.get("Yes").and_then(Value::as_bool), Some(true));
        assert_eq!(plist.get("No").and_then(Value::as_bool), Some(false));
        assert_eq!(plist.get("Bytes"), Some(&Value::Data(b"hello".to_vec())));
        let list = plist.get("List").and_then(Value::as_array).expect("array");
        assert_eq!(
            list,
            [
                Value::String("one".into()),
                Value::Dict(BTreeMap::new()),
                Value::Array(Vec::new())
            ]
        );
        assert_eq!(plist.get("Missing"), None);
    }

    #[test]
    fn reads_the_committed_privacy_manifest() {
        let path =
            crate::header::repo().join("bindings/swift/Sources/Hamustro/PrivacyInfo.xcprivacy");
        let plist = read(&path).expect("the manifest parses");
        assert_eq!(
            plist.get("NSPrivacyTracking").and_then(Value::as_bool),
            Some(false)
        );
    }

    #[test]
    fn malformed_documents_are_errors_naming_the_line() {
        let cases = [
            ("<dict></dict>", "expected <plist>"),
            (
                "<plist><dict>\n<string>x</string></dict></plist>",
                "line 2: expected <key>",
            ),
            (
                "<plist><dict><key>a</key><true/><key>a</key><true/></dict></plist>",
                "twice",
            ),
            ("<plist><real>1.5</real></plist>", "expected a value"),
            ("<plist><string>a</plist>", "no </string>"),
            ("<plist><integer>x</integer></plist>", "integer"),
            ("<plist><string>&nope;</string></plist>", "unknown entity"),
            ("<plist><true/></plist><true/>", "after </plist>"),
            ("<plist>words<true/></plist>", "outside a string"),
            ("<plist><data>!!</data></plist>", "base64"),
            ("<plist><true/>", "expected </plist>"),
        ];
        for (document, expected) in cases {
            let error = parse(document).expect_err(document);
            assert!(error.contains(expected), "{document}: {error}");
        }
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let error = read(std::path::Path::new("/no/such/Info.plist")).expect_err("missing");
        assert!(error.contains("/no/such/Info.plist"), "{error}");
    }
}
