//! `apple-privacy`: `PrivacyInfo.xcprivacy` tells the App Store the truth. It declares
//! exactly the required-reason API categories the built archives call (and the Swift
//! binding's sources use), each with an Apple reason code; the data types every request
//! carries; and no tracking.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::listing::Listing;
use super::plist::{self, Value};
use super::required_reason::used_categories;
use crate::outcome::Outcome;

pub const USAGE: &str = "MANIFEST SWIFT_SOURCES LISTING...";

/// What every request carries (proto/hamustro.proto): the hashed device id, the user and
/// tenant, the events, and the country and IPv4 address.
const SENT_DATA_TYPES: &[&str] = &[
    "NSPrivacyCollectedDataTypeCoarseLocation",
    "NSPrivacyCollectedDataTypeDeviceID",
    "NSPrivacyCollectedDataTypeProductInteraction",
    "NSPrivacyCollectedDataTypeUserID",
];

/// A privacy manifest, as far as the checks read it; `None` where a key is missing or
/// of the wrong type, so the check can say so.
#[derive(Debug)]
pub struct Manifest {
    pub tracking: Option<bool>,
    pub accessed: Vec<AccessedApi>,
    pub collected: Vec<CollectedData>,
}

/// One `NSPrivacyAccessedAPITypes` entry.
#[derive(Debug)]
pub struct AccessedApi {
    pub category: Option<String>,
    pub reasons: Vec<String>,
}

#[derive(Debug)]
pub struct CollectedData {
    pub kind: Option<String>,
    pub linked: Option<bool>,
    pub tracking: Option<bool>,
    pub purposes: Vec<String>,
}

impl Manifest {
    pub fn from_plist(plist: &Value) -> Self {
        let text =
            |value: &Value, key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
        let texts = |value: &Value, key: &str| -> Vec<String> {
            value
                .get(key)
                .and_then(Value::as_array)
                .unwrap_or_default()
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        };
        let entries = |key: &str| plist.get(key).and_then(Value::as_array).unwrap_or_default();
        Self {
            tracking: plist.get("NSPrivacyTracking").and_then(Value::as_bool),
            accessed: entries("NSPrivacyAccessedAPITypes")
                .iter()
                .map(|entry| AccessedApi {
                    category: text(entry, "NSPrivacyAccessedAPIType"),
                    reasons: texts(entry, "NSPrivacyAccessedAPITypeReasons"),
                })
                .collect(),
            collected: entries("NSPrivacyCollectedDataTypes")
                .iter()
                .map(|entry| CollectedData {
                    kind: text(entry, "NSPrivacyCollectedDataType"),
                    linked: entry
                        .get("NSPrivacyCollectedDataTypeLinked")
                        .and_then(Value::as_bool),
                    tracking: entry
                        .get("NSPrivacyCollectedDataTypeTracking")
                        .and_then(Value::as_bool),
                    purposes: texts(entry, "NSPrivacyCollectedDataTypePurposes"),
                })
                .collect(),
        }
    }
}

pub fn run(args: &[String]) -> Outcome {
    let [manifest, sources, listings @ ..] = args else {
        return Outcome::failed(format!("expected arguments: {USAGE}"));
    };
    if listings.is_empty() {
        return Outcome::failed(format!("expected at least one listing: {USAGE}"));
    }
    let read = || -> Result<Outcome, String> {
        let manifest = Manifest::from_plist(&plist::read(Path::new(manifest))?);
        let mut called = BTreeSet::new();
        for listing in listings {
            called.extend(Listing::read(Path::new(listing))?.called());
        }
        let swift = swift_sources(Path::new(sources))?;
        Ok(judge(&manifest, &used_categories(&called, &swift)))
    };
    read().into()
}

/// The text of every `.swift` file under `directory`, in name order.
fn swift_sources(directory: &Path) -> Result<String, String> {
    let mut text = String::new();
    for relative in super::swift_package::swift_files(directory)? {
        let path = directory.join(relative);
        text += &std::fs::read_to_string(&path)
            .map_err(|error| format!("{}: {error}", path.display()))?;
        text.push('\n');
    }
    Ok(text)
}

/// An Apple reason code: four hex digits, a dot, one digit (`C617.1`).
fn is_reason_code(reason: &str) -> bool {
    let bytes = reason.as_bytes();
    bytes.len() == 6
        && bytes[..4]
            .iter()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b))
        && bytes[4] == b'.'
        && bytes[5].is_ascii_digit()
}

/// The manifest against the categories `used` and the data the library sends.
pub fn judge(manifest: &Manifest, used: &BTreeMap<&str, BTreeSet<String>>) -> Outcome {
    let mut outcome = Outcome::default();
    let mut declared = BTreeMap::new();
    for entry in &manifest.accessed {
        match &entry.category {
            Some(category) => {
                declared.insert(category.as_str(), &entry.reasons);
            }
            None => outcome.fail("NSPrivacyAccessedAPITypes: expected NSPrivacyAccessedAPIType in each entry, found one without"),
        }
    }
    for (category, users) in used {
        let users = users
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        outcome.found(format!("called: {category} ({users})"));
        outcome.expect(
            declared.contains_key(category),
            format!("{category}: expected declared (used by {users}), found not declared"),
        );
    }
    for (category, reasons) in &declared {
        outcome.expect(
            used.contains_key(category),
            format!("{category}: expected used, since declared; found nothing that calls it"),
        );
        outcome.expect(
            !reasons.is_empty() && reasons.iter().all(|reason| is_reason_code(reason)),
            format!("{category}: expected Apple reason codes (C617.1), found {reasons:?}"),
        );
    }
    outcome.expect(
        manifest.tracking == Some(false),
        format!(
            "NSPrivacyTracking: expected false, found {:?}",
            manifest.tracking
        ),
    );
    let mut collected = BTreeSet::new();
    for data in &manifest.collected {
        let kind = data
            .kind
            .as_deref()
            .unwrap_or("(no NSPrivacyCollectedDataType)");
        collected.insert(kind);
        outcome.expect(
            data.linked.is_some(),
            format!("{kind}: expected NSPrivacyCollectedDataTypeLinked true or false, found none"),
        );
        outcome.expect(
            data.tracking == Some(false),
            format!(
                "{kind}: expected NSPrivacyCollectedDataTypeTracking false, found {:?}",
                data.tracking
            ),
        );
        outcome.expect(
            !data.purposes.is_empty(),
            format!("{kind}: expected purposes, found none"),
        );
    }
    let sent: BTreeSet<&str> = SENT_DATA_TYPES.iter().copied().collect();
    outcome.expect(
        collected == sent,
        format!("NSPrivacyCollectedDataTypes: expected what the library sends, {sent:?}, found {collected:?}"),
    );
    if outcome.passed() {
        outcome.found(format!(
            "declared: {}; collected: {}; no tracking",
            declared.keys().copied().collect::<Vec<_>>().join(", "),
            collected.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::super::xcframework::PRIVACY_MANIFEST;
    use super::*;
    use crate::header::repo;

    fn committed() -> Manifest {
        let plist = plist::read(&repo().join(PRIVACY_MANIFEST)).expect("the manifest parses");
        Manifest::from_plist(&plist)
    }

    fn called(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(ToString::to_string).collect()
    }

    /// What the archives built here call: file sizes and identities, the file system.
    fn archives_calls() -> BTreeSet<String> {
        called(&[
            "fstat", "stat", "lstat", "fstatfs", "statfs", "open", "pwrite",
        ])
    }

    #[test]
    fn the_committed_manifest_passes_for_what_the_archives_call() {
        let outcome = judge(
            &committed(),
            &used_categories(&archives_calls(), "import Foundation"),
        );
        assert!(outcome.passed(), "{outcome:?}");
        assert_eq!(
            outcome.found[0],
            "called: NSPrivacyAccessedAPICategoryDiskSpace (fstatfs, statfs)"
        );
    }

    #[test]
    fn a_category_called_but_not_declared_fails() {
        let mut calls = archives_calls();
        calls.insert("mach_absolute_time".into());
        let outcome = judge(&committed(), &used_categories(&calls, ""));
        assert_eq!(
            outcome.failures,
            ["NSPrivacyAccessedAPICategorySystemBootTime: expected declared (used by mach_absolute_time), found not declared"]
        );
    }

    #[test]
    fn a_category_declared_but_never_called_fails() {
        let outcome = judge(&committed(), &used_categories(&called(&["fstat"]), ""));
        assert_eq!(
            outcome.failures,
            ["NSPrivacyAccessedAPICategoryDiskSpace: expected used, since declared; found nothing that calls it"]
        );
    }

    #[test]
    fn a_removed_data_type_bad_reason_or_tracking_fails() {
        let mut manifest = committed();
        manifest
            .collected
            .retain(|data| data.kind.as_deref() != Some("NSPrivacyCollectedDataTypeUserID"));
        manifest.accessed[0].reasons = vec!["because".into()];
        manifest.tracking = Some(true);
        manifest.collected[0].tracking = Some(true);
        manifest.collected[1].linked = None;
        manifest.collected[2].purposes.clear();
        let outcome = judge(&manifest, &used_categories(&archives_calls(), ""));
        let failures = outcome.failures.join("\n");
        assert_eq!(outcome.failures.len(), 6, "{failures}");
        for expected in [
            "NSPrivacyAccessedAPICategoryFileTimestamp: expected Apple reason codes (C617.1), found [\"because\"]",
            "NSPrivacyTracking: expected false, found Some(true)",
            "NSPrivacyCollectedDataTypeDeviceID: expected NSPrivacyCollectedDataTypeTracking false, found Some(true)",
            "NSPrivacyCollectedDataTypeProductInteraction: expected NSPrivacyCollectedDataTypeLinked",
            "NSPrivacyCollectedDataTypeCoarseLocation: expected purposes, found none",
            "expected what the library sends",
        ] {
            assert!(failures.contains(expected), "{expected}\nnot in\n{failures}");
        }
    }

    #[test]
    fn reason_codes_are_four_hex_digits_a_dot_and_a_digit() {
        assert!(is_reason_code("C617.1"));
        assert!(is_reason_code("35F9.1"));
        assert!(!is_reason_code("c617.1"));
        assert!(!is_reason_code("C617"));
        assert!(!is_reason_code("C617.12"));
    }

    #[test]
    fn reads_listings_and_sources_from_files() {
        use super::super::listing::{
            fixtures, DEFINED_SYMBOLS, PRIVATE_HEADERS, UNDEFINED_SYMBOLS,
        };
        use crate::scratch::Scratch;
        let dir = Scratch::new("privacy-files");
        dir.write(
            &format!("ios/{PRIVATE_HEADERS}"),
            fixtures::private_headers("ios"),
        );
        dir.write(&format!("ios/{DEFINED_SYMBOLS}"), fixtures::DEFINED);
        dir.write(&format!("ios/{UNDEFINED_SYMBOLS}"), fixtures::UNDEFINED);
        dir.write("Sources/Tracker.swift", "import Foundation\n");
        let manifest = repo().join(PRIVACY_MANIFEST);
        let args = |list: &[&Path]| {
            list.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
        };
        let outcome = run(&args(&[
            &manifest,
            &dir.path().join("Sources"),
            &dir.path().join("ios"),
        ]));
        // The fixture calls fstat, statfs and mach_absolute_time: boot time is undeclared.
        assert_eq!(outcome.failures.len(), 1, "{outcome:?}");
        assert!(outcome.failures[0].starts_with("NSPrivacyAccessedAPICategorySystemBootTime"));
        let outcome = run(&args(&[
            &manifest,
            &dir.path().join("Sources"),
            &dir.path().join("macos"),
        ]));
        assert!(
            outcome.failures[0].contains("macos/private-headers.txt"),
            "{outcome:?}"
        );
        assert!(!run(&args(&[&manifest, &dir.path().join("Sources")])).passed());
    }
}
