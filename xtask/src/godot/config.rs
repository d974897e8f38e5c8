//! Godot's configuration files (`.gdextension`, `plugin.cfg`): `[section]` headers,
//! `key = value` lines, values quoted, `;` and `#` comments.

use std::collections::BTreeMap;

/// A parsed configuration file: each section's keys and values, in file order.
#[derive(Debug, Default)]
pub struct ConfigFile {
    sections: BTreeMap<String, Vec<(String, String)>>,
}

impl ConfigFile {
    /// Parses `text`; a key outside any section, a line that is not one, or a key given
    /// twice in one section is an error naming its line.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut config = Self::default();
        let mut section: Option<String> = None;
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
                continue;
            }
            if let Some(name) = line
                .strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
            {
                config.sections.entry(name.to_string()).or_default();
                section = Some(name.to_string());
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(format!(
                    "line {number} is neither a section nor key = value: {line}"
                ));
            };
            let Some(name) = &section else {
                return Err(format!("line {number}: a key before any [section]: {line}"));
            };
            let entries = config.sections.entry(name.clone()).or_default();
            let key = key.trim();
            if entries.iter().any(|(existing, _)| existing == key) {
                return Err(format!("line {number}: [{name}] {key} is given twice"));
            }
            entries.push((key.to_string(), unquote(value).to_string()));
        }
        Ok(config)
    }

    /// The value of `key` in `section`, unquoted.
    pub fn get(&self, section: &str, key: &str) -> Option<&str> {
        self.entries(section)
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }

    /// Every key and value of `section`, in file order; none if it is absent.
    pub fn entries(&self, section: &str) -> &[(String, String)] {
        self.sections.get(section).map_or(&[], Vec::as_slice)
    }
}

fn unquote(value: &str) -> &str {
    let value = value.trim();
    value
        .strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sections_keys_and_unquoted_values() {
        let config = ConfigFile::parse(
            "; a comment\n[configuration]\nentry_symbol = \"gdext_rust_init\"\nreloadable = false\n\n\
             [plugin]\n# another\nversion=\"1.0.0\"\n",
        )
        .expect("it parses");
        assert_eq!(
            config.get("configuration", "entry_symbol"),
            Some("gdext_rust_init")
        );
        assert_eq!(config.get("configuration", "reloadable"), Some("false"));
        assert_eq!(config.get("plugin", "version"), Some("1.0.0"));
        assert_eq!(config.get("plugin", "script"), None);
        assert!(config.entries("libraries").is_empty());
    }

    #[test]
    fn a_malformed_file_is_an_error_naming_the_line() {
        let before = ConfigFile::parse("name = \"x\"\n[plugin]\n").unwrap_err();
        assert!(before.contains("line 1"), "{before}");
        let twice = ConfigFile::parse("[libraries]\na = \"1\"\na = \"2\"\n").unwrap_err();
        assert!(
            twice.contains("line 3: [libraries] a is given twice"),
            "{twice}"
        );
        let garbage = ConfigFile::parse("[plugin]\njunk\n").unwrap_err();
        assert!(garbage.contains("line 2"), "{garbage}");
    }
}
