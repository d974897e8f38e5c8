//! The Swift package apps consume, as `SwiftPM` itself reads it (`swift package
//! dump-package` and `describe --type json`, run by scripts/apple-test.sh in the Swift
//! chroot):
//!
//! - `swift-release`: bindings/swift/release.sh wrote the zip's SHA-256 and Cargo.toml's
//!   version into a copy of Package.swift, so an app downloading the release gets the
//!   bytes the checksum names.
//! - `swift-manifests`: the committed Package.swift names Cargo.toml's version, its
//!   Hamustro target has every Swift source and the privacy manifest, and the
//!   development bindings/swift/Package.swift carries the manifest too.

use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::outcome::Outcome;

pub const RELEASE_USAGE: &str = "DUMP_JSON ZIP CARGO_TOML";
pub const MANIFESTS_USAGE: &str =
    "ROOT_DUMP_JSON DEVELOPMENT_DUMP_JSON DESCRIBE_JSON SWIFT_SOURCES CARGO_TOML ZIP";

/// The Swift sources' privacy manifest, a resource of the Hamustro target.
const PRIVACY_MANIFEST: &str = "PrivacyInfo.xcprivacy";

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
    fn from_json(json: &Value) -> Self {
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
fn target(path: &Path, name: &str) -> Result<Target, String> {
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

fn read_version(path: &Path) -> Result<String, String> {
    let text =
        std::fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))?;
    cargo_version(&text).ok_or_else(|| {
        format!(
            "{}: expected a version = \"…\" line, found none",
            path.display()
        )
    })
}

fn sha256_hex(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|error| format!("{}: {error}", path.display()))?;
    Ok(Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}

/// The binary target `CHamustro`: a binary, at `version`'s release URL.
fn judge_binary(outcome: &mut Outcome, binary: &Target, version: &str) {
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

pub fn release(args: &[String]) -> Outcome {
    let [dump, zip, cargo_toml] = match crate::checks::exactly(args, RELEASE_USAGE) {
        Ok(args) => args,
        Err(outcome) => return outcome,
    };
    let read = || -> Result<Outcome, String> {
        Ok(judge_release(
            &target(Path::new(&dump), "CHamustro")?,
            &sha256_hex(Path::new(&zip))?,
            &read_version(Path::new(&cargo_toml))?,
        ))
    };
    read().into()
}

/// The release's `CHamustro` against the zip's SHA-256 and the version.
pub fn judge_release(binary: &Target, zip_sha256: &str, version: &str) -> Outcome {
    let mut outcome = Outcome::default();
    judge_binary(&mut outcome, binary, version);
    outcome.expect(
        binary.checksum == zip_sha256,
        format!(
            "CHamustro: expected the zip's SHA-256 {zip_sha256}, found checksum {:?}",
            binary.checksum
        ),
    );
    if outcome.passed() {
        outcome.found(format!(
            "CHamustro: {}, checksum {zip_sha256} (the zip's SHA-256)",
            binary.url
        ));
    }
    outcome
}

/// What `swift-manifests` reads: both manifests' targets and the layout's.
pub struct Manifests {
    pub root_binary: Target,
    pub root_swift: Target,
    pub development_swift: Target,
    pub layout_swift: Target,
}

pub fn manifests(args: &[String]) -> Outcome {
    let [root, development, layout, sources, cargo_toml, zip] =
        match crate::checks::exactly(args, MANIFESTS_USAGE) {
            Ok(args) => args,
            Err(outcome) => return outcome,
        };
    let read = || -> Result<Outcome, String> {
        let manifests = Manifests {
            root_binary: target(Path::new(&root), "CHamustro")?,
            root_swift: target(Path::new(&root), "Hamustro")?,
            development_swift: target(Path::new(&development), "Hamustro")?,
            layout_swift: target(Path::new(&layout), "Hamustro")?,
        };
        let sources = Path::new(&sources);
        let mut outcome = judge_manifests(
            &manifests,
            sources,
            &swift_files(sources)?,
            &read_version(Path::new(&cargo_toml))?,
        );
        // Not a check (another toolchain makes other bytes), but worth knowing.
        if let Ok(built) = sha256_hex(Path::new(&zip)) {
            outcome.found(if built == manifests.root_binary.checksum {
                "the committed checksum is that of the zip built here"
            } else {
                "the committed checksum is not that of the zip built here (another toolchain, or changed sources)"
            });
        }
        Ok(outcome)
    };
    read().into()
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

/// The committed manifests and the layout `SwiftPM` makes of them, against the Swift
/// sources at `sources` (`swift_files`, relative to it) and Cargo.toml's `version`.
pub fn judge_manifests(
    manifests: &Manifests,
    sources: &Path,
    swift_files: &[String],
    version: &str,
) -> Outcome {
    let mut outcome = Outcome::default();
    let mut layout_sources = manifests.layout_swift.sources.clone();
    layout_sources.sort();
    outcome.expect(
        layout_sources == swift_files,
        format!("describe: expected the Hamustro target's sources {swift_files:?}, found {layout_sources:?}"),
    );
    let manifest_path = sources.join(PRIVACY_MANIFEST).display().to_string();
    outcome.expect(
        manifests.layout_swift.resources == [manifest_path.clone()],
        format!(
            "describe: expected the Hamustro target's resources [{manifest_path}], found {:?}",
            manifests.layout_swift.resources
        ),
    );
    let binary = &manifests.root_binary;
    judge_binary(&mut outcome, binary, version);
    outcome.expect(
        binary.checksum.len() == 64
            && binary
                .checksum
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        format!(
            "CHamustro: expected a SHA-256 checksum (64 hex digits), found {:?}",
            binary.checksum
        ),
    );
    outcome.expect(
        manifests.root_swift.path == "bindings/swift/Sources/Hamustro",
        format!(
            "Package.swift: expected the Hamustro target at bindings/swift/Sources/Hamustro, found {:?}",
            manifests.root_swift.path
        ),
    );
    for (name, target) in [
        ("Package.swift", &manifests.root_swift),
        ("bindings/swift/Package.swift", &manifests.development_swift),
    ] {
        outcome.expect(
            target.resources == [PRIVACY_MANIFEST],
            format!(
                "{name}: expected the Hamustro target's resources [{PRIVACY_MANIFEST}], found {:?}",
                target.resources
            ),
        );
    }
    if outcome.passed() {
        outcome.found(format!(
            "Package.swift: {}; both manifests' Hamustro target carries {PRIVACY_MANIFEST}",
            binary.url
        ));
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::super::scratch::Scratch;
    use super::*;

    const URL: &str =
        "https://example.com/hamustro/releases/download/v0.1.0/Hamustro.xcframework.zip";
    /// A checksum as the release writes it: 64 hex digits.
    const ZIP_SHA256: &str = "b6a0bd2c0bd3b8ad4b6d7bd4ba4f86ee0e9f6d58e1e0ec7e63c1efe4b6ae0e9e";

    /// A dump-package JSON, cut down to what the checks read.
    fn dump(checksum: &str, url: &str, resource: &str) -> String {
        format!(
            r#"{{"name": "Hamustro", "targets": [
              {{"name": "CHamustro", "type": "binary", "url": "{url}", "checksum": "{checksum}",
                "dependencies": [], "resources": [], "exclude": []}},
              {{"name": "Hamustro", "type": "regular", "path": "bindings/swift/Sources/Hamustro",
                "resources": [{{"path": "{resource}", "rule": {{"copy": {{}}}}}}]}}]}}"#
        )
    }

    #[test]
    fn cargo_version_is_the_first_version_line() {
        let toml = "[package]\nname = \"hamustro\"\nversion = \"0.1.0\"\n[dependencies]\nx = { version = \"1\" }\nversion = \"9\"\n";
        assert_eq!(cargo_version(toml).as_deref(), Some("0.1.0"));
        assert_eq!(cargo_version("[package]\n"), None);
    }

    #[test]
    fn the_release_passes_with_the_zips_checksum_and_the_version() {
        let dir = Scratch::new("swift-release");
        let zip = dir.write("Hamustro.xcframework.zip", "zip");
        let sha256 = sha256_hex(&zip).expect("the zip reads");
        let dump_path = dir.write("dump.json", dump(&sha256, URL, PRIVACY_MANIFEST));
        let toml = dir.write("Cargo.toml", "[package]\nversion = \"0.1.0\"\n");
        let args: Vec<String> = [&dump_path, &zip, &toml]
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let outcome = release(&args);
        assert!(outcome.passed(), "{outcome:?}");
        assert_eq!(
            outcome.found,
            [format!(
                "CHamustro: {URL}, checksum {sha256} (the zip's SHA-256)"
            )]
        );
    }

    #[test]
    fn the_release_fails_on_another_checksum_or_version() {
        let binary = Target::from_json(
            &serde_json::from_str::<Value>(&dump(ZIP_SHA256, URL, "")).unwrap()["targets"][0],
        );
        let outcome = judge_release(&binary, &"0".repeat(64), "0.2.0");
        assert_eq!(outcome.failures.len(), 2, "{outcome:?}");
        assert!(
            outcome.failures[0].contains("expected a URL ending /v0.2.0/Hamustro.xcframework.zip")
        );
        assert!(outcome.failures[1].starts_with("CHamustro: expected the zip's SHA-256 0000"));
        assert!(outcome.failures[1].contains(ZIP_SHA256));
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
        let outcome = release(&[
            "/no/dump.json".into(),
            "/no/zip".into(),
            "/no/Cargo.toml".into(),
        ]);
        assert!(outcome.failures[0].contains("/no/dump.json"), "{outcome:?}");
    }

    fn manifests(resource: &str, sources: &[&str], layout_resource: &str) -> Manifests {
        let root: Value = serde_json::from_str(&dump(ZIP_SHA256, URL, resource)).unwrap();
        let layout = serde_json::json!({"name": "Hamustro", "sources": sources,
            "resources": [{"path": layout_resource}]});
        Manifests {
            root_binary: Target::from_json(&root["targets"][0]),
            root_swift: Target::from_json(&root["targets"][1]),
            development_swift: Target::from_json(&root["targets"][1]),
            layout_swift: Target::from_json(&layout),
        }
    }

    #[test]
    fn the_committed_manifests_pass_when_every_source_and_the_manifest_are_there() {
        let sources = Path::new("/repo/bindings/swift/Sources/Hamustro");
        let files = ["Control.swift".to_string(), "Tracker.swift".to_string()];
        let good = manifests(
            PRIVACY_MANIFEST,
            &["Tracker.swift", "Control.swift"],
            "/repo/bindings/swift/Sources/Hamustro/PrivacyInfo.xcprivacy",
        );
        let outcome = judge_manifests(&good, sources, &files, "0.1.0");
        assert!(outcome.passed(), "{outcome:?}");
        assert!(outcome.found[0].starts_with(&format!("Package.swift: {URL};")));
    }

    #[test]
    fn the_committed_manifests_fail_without_a_source_the_manifest_or_the_version() {
        let sources = Path::new("/repo/bindings/swift/Sources/Hamustro");
        let files = ["Control.swift".to_string(), "Tracker.swift".to_string()];
        let bad = manifests(
            "Other.plist",
            &["Tracker.swift"],
            "/elsewhere/PrivacyInfo.xcprivacy",
        );
        let outcome = judge_manifests(&bad, sources, &files, "0.2.0");
        let failures = outcome.failures.join("\n");
        for expected in [
            "describe: expected the Hamustro target's sources [\"Control.swift\", \"Tracker.swift\"], found [\"Tracker.swift\"]",
            "describe: expected the Hamustro target's resources [/repo/bindings/swift/Sources/Hamustro/PrivacyInfo.xcprivacy]",
            "expected a URL ending /v0.2.0/",
            "Package.swift: expected the Hamustro target's resources [PrivacyInfo.xcprivacy], found [\"Other.plist\"]",
            "bindings/swift/Package.swift: expected the Hamustro target's resources",
        ] {
            assert!(failures.contains(expected), "{expected}\nnot in\n{failures}");
        }
        assert_eq!(outcome.failures.len(), 5, "{failures}");
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
