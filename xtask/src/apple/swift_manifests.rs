//! `swift-manifests`: the committed Package.swift names Cargo.toml's version, its
//! Hamustro target has every Swift source and the privacy manifest as `SwiftPM` lays
//! them out, and the development bindings/swift/Package.swift carries the manifest too.

use std::path::Path;

use super::swift_package::{
    judge_binary, read_version, sha256_hex, swift_files, target, Target, PRIVACY_MANIFEST,
};
use crate::outcome::Outcome;

pub const USAGE: &str =
    "ROOT_DUMP_JSON DEVELOPMENT_DUMP_JSON DESCRIBE_JSON SWIFT_SOURCES CARGO_TOML ZIP";

/// What `swift-manifests` reads: both manifests' targets and the layout's.
pub struct Manifests {
    pub root_binary: Target,
    pub root_swift: Target,
    pub development_swift: Target,
    pub layout_swift: Target,
}

pub fn run(args: &[String]) -> Outcome {
    let [root, development, layout, sources, cargo_toml, zip] =
        match crate::checks::exactly(args, USAGE) {
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
    use super::super::swift_package::fixtures::{dump, URL, ZIP_SHA256};
    use super::*;
    use serde_json::Value;

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
    fn bad_arguments_fail_with_a_message() {
        assert!(run(&[]).failures[0].contains("expected 6 arguments"));
        let missing: Vec<String> = (0..6).map(|n| format!("/no/file{n}")).collect();
        assert!(run(&missing).failures[0].contains("/no/file0"));
    }
}
