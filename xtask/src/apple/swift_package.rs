//! The Swift package apps consume, as `SwiftPM` itself reads it: `swift package
//! dump-package` and `describe --type json`, run by scripts/apple-test.sh in the Swift
//! chroot, print its targets; the checks of the release (`swift_release.rs`) and of the
//! committed manifests (`swift_manifests.rs`) read them here.

use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::outcome::Outcome;

/// The Swift sources' privacy manifest, a resource of the Hamustro target.
pub const PRIVACY_MANIFEST: &str = "PrivacyInfo.xcprivacy";

/// One target of a package, as dump-package or describe prints it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    pub kind: String,
    pub url: String,
    pub checksum: String,
    pub path: String,
    pub sources: Vec<String>,
    pub resources: Vec<String>,
}

impl Target {
    pub fn from_json(json: &Value) -> Self {
        let text = |key: &str| {
            json.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let list = |key: &str, field: Option<&str>| -> Vec<String> {
            let items = json
                .get(key)
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            items
                .iter()
                .filter_map(|item| field.map_or(Some(item), |field| item.get(field)))
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        };
        Self {
            name: text("name"),
            kind: text("type"),
            url: text("url"),
            checksum: text("checksum"),
            path: text("path"),
            sources: list("sources", None),
            resources: list("resources", Some("path")),
        }
    }
}

/// The target called `name` of the package JSON at `path`.
pub fn target(path: &Path, name: &str) -> Result<Target, String> {
    let text =
        std::fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))?;
    let json: Value =
        serde_json::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))?;
    json.get("targets")
        .and_then(Value::as_array)
        .and_then(|targets| {
            targets
                .iter()
                .find(|t| t.get("name").and_then(Value::as_str) == Some(name))
        })
        .map(Target::from_json)
        .ok_or_else(|| format!("{}: expected a target {name}, found none", path.display()))
}

/// The package's version: the first `version = "…"` line of Cargo.toml, its [package]'s.
pub fn cargo_version(cargo_toml: &str) -> Option<String> {
    cargo_toml.lines().find_map(|line| {
        let quoted = line.strip_prefix("version = \"")?.strip_suffix('"')?;
        Some(quoted.to_string())
    })
}

pub fn read_version(path: &Path) -> Result<String, String> {
    let text =
        std::fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))?;
    cargo_version(&text).ok_or_else(|| {
        format!(
            "{}: expected a version = \"…\" line, found none",
            path.display()
        )
    })
}

pub fn sha256_hex(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|error| format!("{}: {error}", path.display()))?;
    Ok(Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}

/// The `.swift` files under `directory`, relative to it, `/`-separated and sorted.
pub fn swift_files(directory: &Path) -> Result<Vec<String>, String> {
    let mut files = Vec::new();
    let mut pending = vec![directory.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries =
            std::fs::read_dir(&dir).map_err(|error| format!("{}: {error}", dir.display()))?;
        for entry in entries {
            let path = entry
                .map_err(|error| format!("{}: {error}", dir.display()))?
                .path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .is_some_and(|extension| extension == "swift")
            {
                let relative = path.strip_prefix(directory).unwrap_or(&path);
                let parts: Vec<String> = relative
                    .iter()
                    .map(|part| part.to_string_lossy().into_owned())
                    .collect();
                files.push(parts.join("/"));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The binary target `CHamustro`: a binary, at `version`'s release URL.
pub fn judge_binary(outcome: &mut Outcome, binary: &Target, version: &str) {
    outcome.expect(
        binary.kind == "binary",
        format!(
            "CHamustro: expected a binary target, found type {:?}",
            binary.kind
        ),
    );
    let suffix = format!("/v{version}/Hamustro.xcframework.zip");
    outcome.expect(
        binary.url.ends_with(&suffix),
        format!(
            "CHamustro: expected a URL ending {suffix} (Cargo.toml's version; run bindings/swift/release.sh), found {}",
            binary.url
        ),
    );
}

#[cfg(test)]
pub mod fixtures {
    //! Package JSON as dump-package prints it, cut down to what the checks read.

    pub const URL: &str =
        "https://example.com/hamustro/releases/download/v0.1.0/Hamustro.xcframework.zip";
    /// A checksum as the release writes it: 64 hex digits.
    pub const ZIP_SHA256: &str = "b6a0bd2c0bd3b8ad4b6d7bd4ba4f86ee0e9f6d58e1e0ec7e63c1efe4b6ae0e9e";

    /// A dump-package JSON, cut down to what the checks read.
    pub fn dump(checksum: &str, url: &str, resource: &str) -> String {
        format!(
            r#"{{"name": "Hamustro", "targets": [
              {{"name": "CHamustro", "type": "binary", "url": "{url}", "checksum": "{checksum}",
                "dependencies": [], "resources": [], "exclude": []}},
              {{"name": "Hamustro", "type": "regular", "path": "bindings/swift/Sources/Hamustro",
                "resources": [{{"path": "{resource}", "rule": {{"copy": {{}}}}}}]}}]}}"#
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::Scratch;

    #[test]
    fn cargo_version_is_the_first_version_line() {
        let toml = "[package]\nname = \"hamustro\"\nversion = \"0.1.0\"\n[dependencies]\nx = { version = \"1\" }\nversion = \"9\"\n";
        assert_eq!(cargo_version(toml).as_deref(), Some("0.1.0"));
        assert_eq!(cargo_version("[package]\n"), None);
    }

    #[test]
    fn a_missing_target_or_file_fails_naming_it() {
        let dir = Scratch::new("swift-missing");
        let dump_path = dir.write("dump.json", r#"{"targets": []}"#);
        let error = target(&dump_path, "CHamustro").expect_err("no target");
        assert!(
            error.ends_with("expected a target CHamustro, found none"),
            "{error}"
        );
        let bad = dir.write("bad.json", "{");
        assert!(target(&bad, "CHamustro")
            .expect_err("bad JSON")
            .contains("bad.json"));
    }

    #[test]
    fn swift_files_are_relative_and_sorted() {
        let dir = Scratch::new("swift-files");
        dir.write("Tracker.swift", "");
        dir.write("Platform/Context.swift", "");
        dir.write("PrivacyInfo.xcprivacy", "");
        assert_eq!(
            swift_files(dir.path()).unwrap(),
            ["Platform/Context.swift", "Tracker.swift"]
        );
    }
}
