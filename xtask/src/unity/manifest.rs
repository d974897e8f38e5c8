//! The package's manifest (`package.json`) and its assembly definition: what the
//! Package Manager reads to name, version and list the package, and what makes its
//! scripts one assembly, `Hamustro`.

use std::path::Path;

use serde_json::Value;

use crate::outcome::Outcome;

pub const PACKAGE_NAME: &str = "com.hamustro.tracker";

/// Checks `package.json` (its name, `version`, the fields the Package Manager shows,
/// and that each sample is in the package) and `Runtime/Hamustro.asmdef`.
pub fn check(root: &Path, version: &str, outcome: &mut Outcome) {
    match read_json(&root.join("package.json")) {
        Ok(manifest) => check_manifest(root, &manifest, version, outcome),
        Err(error) => outcome.fail(format!("package.json: {error}")),
    }
    match read_json(&root.join("Runtime/Hamustro.asmdef")) {
        Ok(asmdef) => {
            let name = asmdef.get("name").and_then(Value::as_str);
            outcome.expect(
                name == Some("Hamustro"),
                format!("Runtime/Hamustro.asmdef: the name is {name:?}, expected \"Hamustro\""),
            );
        }
        Err(error) => outcome.fail(format!("Runtime/Hamustro.asmdef: {error}")),
    }
}

fn check_manifest(root: &Path, manifest: &Value, version: &str, outcome: &mut Outcome) {
    for (key, expected) in [("name", PACKAGE_NAME), ("version", version)] {
        let found = manifest.get(key).and_then(Value::as_str);
        outcome.expect(
            found == Some(expected),
            format!("package.json: {key} is {found:?}, expected {expected:?}"),
        );
    }
    for key in ["displayName", "description", "unity", "license"] {
        let found = manifest.get(key).and_then(Value::as_str).unwrap_or("");
        outcome.expect(!found.is_empty(), format!("package.json: no {key}"));
    }
    let samples = manifest.get("samples").and_then(Value::as_array);
    for sample in samples.into_iter().flatten() {
        match sample.get("path").and_then(Value::as_str) {
            Some(path) => outcome.expect(
                root.join(path).is_dir(),
                format!("package.json: sample path {path} is not in the package"),
            ),
            None => outcome.fail(format!("package.json: a sample without a path: {sample}")),
        }
    }
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|error| error.to_string())?;
    serde_json::from_str(&text).map_err(|error| error.to_string())
}

/// The library's version, from the repository's `Cargo.toml`: the package's must match.
pub fn crate_version(cargo_toml: &str) -> Result<String, String> {
    let mut in_package = false;
    for line in cargo_toml.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package {
            if let Some(value) = line.strip_prefix("version = \"") {
                return value.strip_suffix('"').map(str::to_string).ok_or_else(|| {
                    format!("Cargo.toml: a version line that does not end: {line}")
                });
            }
        }
    }
    Err("Cargo.toml: no version in [package]".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::Scratch;

    const MANIFEST: &str = r#"{
        "name": "com.hamustro.tracker", "version": "1.2.3", "displayName": "Hamustro",
        "description": "Tracks events.", "unity": "2021.3", "license": "MIT",
        "samples": [{"displayName": "Tracking", "path": "Samples~/Tracking"}]
    }"#;

    fn failures(manifest: &str, asmdef: &str) -> Vec<String> {
        let package = Scratch::new("manifest");
        package.write("package.json", manifest);
        package.write("Runtime/Hamustro.asmdef", asmdef);
        package.write("Samples~/Tracking/Sample.cs", "");
        let mut outcome = Outcome::default();
        check(package.path(), "1.2.3", &mut outcome);
        outcome.failures
    }

    #[test]
    fn a_complete_manifest_passes() {
        assert_eq!(
            failures(MANIFEST, r#"{"name": "Hamustro"}"#),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_version_other_than_the_crates_fails() {
        let older = MANIFEST.replace("1.2.3", "1.2.2");
        let found = failures(&older, r#"{"name": "Hamustro"}"#);
        assert_eq!(
            found,
            [r#"package.json: version is Some("1.2.2"), expected "1.2.3""#]
        );
    }

    #[test]
    fn a_missing_field_or_sample_fails() {
        let found = failures(
            &MANIFEST
                .replace(r#""license": "MIT","#, "")
                .replace("Samples~/Tracking", "Samples~/Gone"),
            r#"{"name": "Hamustro"}"#,
        );
        assert_eq!(
            found,
            [
                "package.json: no license",
                "package.json: sample path Samples~/Gone is not in the package"
            ]
        );
    }

    #[test]
    fn an_unreadable_manifest_or_asmdef_fails_naming_it() {
        let found = failures("{ not json", r#"{"name": "Other"}"#);
        assert!(found[0].starts_with("package.json: "), "{found:?}");
        assert_eq!(
            found[1],
            r#"Runtime/Hamustro.asmdef: the name is Some("Other"), expected "Hamustro""#
        );
    }

    #[test]
    fn reads_the_packages_version_not_a_dependencys() {
        let cargo = "[package]\nname = \"hamustro\"\nversion = \"0.4.1\"\n\n[dependencies]\nx = { version = \"1\" }\n";
        assert_eq!(crate_version(cargo), Ok("0.4.1".to_string()));
        let workspace = "[workspace]\nversion = \"9\"\n[package]\nname = \"x\"\n";
        assert!(crate_version(workspace).is_err());
    }
}
