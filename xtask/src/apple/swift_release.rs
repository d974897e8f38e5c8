//! `swift-release`: bindings/swift/release.sh wrote the zip's SHA-256 and Cargo.toml's
//! version into a copy of Package.swift, so an app downloading the release gets the
//! bytes the checksum names.

use std::path::Path;

use super::swift_package::{judge_binary, read_version, sha256_hex, target, Target};
use crate::outcome::Outcome;

pub const USAGE: &str = "DUMP_JSON ZIP CARGO_TOML";

pub fn run(args: &[String]) -> Outcome {
    let [dump, zip, cargo_toml] = match crate::checks::exactly(args, USAGE) {
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

#[cfg(test)]
mod tests {
    use super::super::swift_package::fixtures::{dump, URL, ZIP_SHA256};
    use super::super::swift_package::PRIVACY_MANIFEST;
    use super::*;
    use crate::scratch::Scratch;
    use serde_json::Value;

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
        let outcome = run(&args);
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
    fn a_missing_file_fails_naming_it() {
        let outcome = run(&[
            "/no/dump.json".into(),
            "/no/zip".into(),
            "/no/Cargo.toml".into(),
        ]);
        assert!(outcome.failures[0].contains("/no/dump.json"), "{outcome:?}");
        assert!(run(&[]).failures[0].contains("expected 3 arguments"));
    }
}
