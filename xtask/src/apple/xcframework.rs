//! `apple-xcframework`: `Hamustro.xcframework` is what Xcode expects: its `Info.plist` lists
//! exactly the slices built, each for its platform and arm64, and each slice holds the
//! library, the repository's header with the `CHamustro` module map, and the privacy
//! manifest.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::plist::{self, Value};
use crate::header::repo;
use crate::outcome::Outcome;

pub const USAGE: &str = "XCFRAMEWORK IDENTIFIER:PLATFORM:VARIANT... (VARIANT - for none)";

/// The privacy manifest every slice carries, as the repository has it.
pub const PRIVACY_MANIFEST: &str = "bindings/swift/Sources/Hamustro/PrivacyInfo.xcprivacy";

/// One slice the `XCFramework` must have, as `Info.plist` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    pub identifier: String,
    pub platform: String,
    pub variant: Option<String>,
}

impl Slice {
    /// `ios-arm64-simulator:ios:simulator`, or `ios-arm64:ios:-` for no variant.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.split(':').collect::<Vec<_>>().as_slice() {
            [identifier, platform, variant] if !identifier.is_empty() && !platform.is_empty() => {
                Ok(Self {
                    identifier: (*identifier).to_string(),
                    platform: (*platform).to_string(),
                    variant: (*variant != "-").then(|| (*variant).to_string()),
                })
            }
            _ => Err(format!(
                "slice {text:?}: expected IDENTIFIER:PLATFORM:VARIANT"
            )),
        }
    }
}

/// The files each slice must hold the same bytes of.
pub struct Expected {
    pub header: Vec<u8>,
    pub privacy_manifest: Vec<u8>,
}

pub fn run(args: &[String]) -> Outcome {
    let Some((directory, slices)) = args.split_first() else {
        return Outcome::failed(format!("expected arguments: {USAGE}"));
    };
    let slices: Result<Vec<Slice>, String> = slices.iter().map(|s| Slice::parse(s)).collect();
    let read = |relative: &str| {
        let path = repo().join(relative);
        std::fs::read(&path).map_err(|error| format!("{}: {error}", path.display()))
    };
    let judged = slices.and_then(|slices| {
        let expected = Expected {
            header: read("include/hamustro.h")?,
            privacy_manifest: read(PRIVACY_MANIFEST)?,
        };
        Ok(judge(Path::new(directory), &slices, &expected))
    });
    judged.into()
}

/// The `XCFramework` at `directory` against the `slices` it must have.
pub fn judge(directory: &Path, slices: &[Slice], expected: &Expected) -> Outcome {
    let mut outcome = Outcome::default();
    let info = match plist::read(&directory.join("Info.plist")) {
        Ok(info) => info,
        Err(problem) => return Outcome::failed(problem),
    };
    let package_type = info.get("CFBundlePackageType").and_then(Value::as_str);
    outcome.expect(
        package_type == Some("XFWK"),
        format!("Info.plist: expected CFBundlePackageType XFWK, found {package_type:?}"),
    );
    let mut libraries = BTreeMap::new();
    for library in info
        .get("AvailableLibraries")
        .and_then(Value::as_array)
        .unwrap_or_default()
    {
        match library.get("LibraryIdentifier").and_then(Value::as_str) {
            Some(identifier) => {
                libraries.insert(identifier, library);
            }
            None => outcome.fail("Info.plist: a library without LibraryIdentifier"),
        }
    }
    let listed: BTreeSet<&str> = libraries.keys().copied().collect();
    let wanted: BTreeSet<&str> = slices.iter().map(|s| s.identifier.as_str()).collect();
    outcome.expect(
        listed == wanted,
        format!("Info.plist: expected the libraries {wanted:?}, found {listed:?}"),
    );
    for slice in slices {
        if let Some(library) = libraries.get(slice.identifier.as_str()) {
            judge_slice(&mut outcome, directory, slice, library, expected);
        }
    }
    if outcome.passed() {
        outcome.found(format!(
            "Info.plist lists {}; each slice holds libhamustro.a, \
             Headers/CHamustro/{{hamustro.h,module.modulemap}} and PrivacyInfo.xcprivacy",
            wanted.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    outcome
}

fn judge_slice(
    outcome: &mut Outcome,
    directory: &Path,
    slice: &Slice,
    library: &Value,
    expected: &Expected,
) {
    let id = &slice.identifier;
    let text = |key: &str| library.get(key).and_then(Value::as_str);
    let found = (text("SupportedPlatform"), text("SupportedPlatformVariant"));
    let wanted = (Some(slice.platform.as_str()), slice.variant.as_deref());
    outcome.expect(
        found == wanted,
        format!("{id}: expected platform and variant {wanted:?}, found {found:?}"),
    );
    let architectures = library.get("SupportedArchitectures");
    outcome.expect(
        architectures == Some(&Value::Array(vec![Value::String("arm64".into())])),
        format!("{id}: expected SupportedArchitectures [arm64], found {architectures:?}"),
    );
    let (Some(library_path), Some(headers_path)) = (text("LibraryPath"), text("HeadersPath"))
    else {
        outcome.fail(format!(
            "{id}: expected LibraryPath and HeadersPath, found {library:?}"
        ));
        return;
    };
    let root = directory.join(id);
    let headers = root.join(headers_path).join("CHamustro");
    let relative = |path: &Path| {
        path.strip_prefix(directory)
            .unwrap_or(path)
            .display()
            .to_string()
    };
    let library = root.join(library_path);
    outcome.expect(
        library.is_file(),
        format!(
            "{}: expected the library, found no file",
            relative(&library)
        ),
    );
    // The copies of the repository's files, by the file each must equal.
    let copies = [
        (
            headers.join("hamustro.h"),
            "include/hamustro.h",
            &expected.header,
        ),
        (
            root.join("PrivacyInfo.xcprivacy"),
            PRIVACY_MANIFEST,
            &expected.privacy_manifest,
        ),
    ];
    for (path, original, contents) in copies {
        match std::fs::read(&path) {
            Err(error) => outcome.fail(format!(
                "{}: expected a file, found {error}",
                relative(&path)
            )),
            Ok(found) if found != *contents => outcome.fail(format!(
                "{}: expected the bytes of {original} ({} bytes), found others ({} bytes)",
                relative(&path),
                contents.len(),
                found.len()
            )),
            Ok(_) => {}
        }
    }
    let module_map = std::fs::read_to_string(headers.join("module.modulemap")).unwrap_or_default();
    let words = module_map.split_whitespace().collect::<Vec<_>>().join(" ");
    outcome.expect(
        words.contains("module CHamustro { header \"hamustro.h\""),
        format!(
            "{id}: expected a CHamustro module map for hamustro.h in {}, found {words:?}",
            headers.display()
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::Scratch;

    const INFO: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>AvailableLibraries</key><array>
 <dict><key>HeadersPath</key><string>Headers</string>
  <key>LibraryIdentifier</key><string>ios-arm64</string>
  <key>LibraryPath</key><string>libhamustro.a</string>
  <key>SupportedArchitectures</key><array><string>arm64</string></array>
  <key>SupportedPlatform</key><string>ios</string></dict>
 <dict><key>HeadersPath</key><string>Headers</string>
  <key>LibraryIdentifier</key><string>ios-arm64-simulator</string>
  <key>LibraryPath</key><string>libhamustro.a</string>
  <key>SupportedArchitectures</key><array><string>arm64</string></array>
  <key>SupportedPlatform</key><string>ios</string>
  <key>SupportedPlatformVariant</key><string>simulator</string></dict>
</array>
<key>CFBundlePackageType</key><string>XFWK</string>
</dict></plist>"#;

    const MODULE_MAP: &str = "module CHamustro {\n    header \"hamustro.h\"\n    export *\n}\n";

    fn expected() -> Expected {
        Expected {
            header: b"/* the header */".to_vec(),
            privacy_manifest: b"<plist/>".to_vec(),
        }
    }

    /// An `XCFramework` of two slices, as bindings/swift/xcframework.sh assembles one.
    fn xcframework(test: &str) -> Scratch {
        let scratch = Scratch::new(test);
        scratch.write("Info.plist", INFO);
        for slice in ["ios-arm64", "ios-arm64-simulator"] {
            scratch.write(&format!("{slice}/libhamustro.a"), "!<arch>\n");
            scratch.write(
                &format!("{slice}/Headers/CHamustro/hamustro.h"),
                expected().header,
            );
            scratch.write(
                &format!("{slice}/Headers/CHamustro/module.modulemap"),
                MODULE_MAP,
            );
            scratch.write(
                &format!("{slice}/PrivacyInfo.xcprivacy"),
                expected().privacy_manifest,
            );
        }
        scratch
    }

    fn slices(texts: &[&str]) -> Vec<Slice> {
        texts
            .iter()
            .map(|text| Slice::parse(text).expect("a slice"))
            .collect()
    }

    const BOTH: [&str; 2] = ["ios-arm64:ios:-", "ios-arm64-simulator:ios:simulator"];

    #[test]
    fn passes_when_every_slice_is_listed_and_complete() {
        let dir = xcframework("xcframework-passes");
        let outcome = judge(dir.path(), &slices(&BOTH), &expected());
        assert!(outcome.passed(), "{outcome:?}");
        assert!(outcome.found[0].starts_with("Info.plist lists ios-arm64, ios-arm64-simulator;"));
    }

    #[test]
    fn fails_when_a_slice_is_dropped_or_extra() {
        let dir = xcframework("xcframework-slices");
        let three = [BOTH[0], BOTH[1], "macos-arm64:macos:-"];
        let outcome = judge(dir.path(), &slices(&three), &expected());
        assert_eq!(outcome.failures.len(), 1, "{outcome:?}");
        assert!(outcome.failures[0].starts_with("Info.plist: expected the libraries"));
        assert!(outcome.failures[0].contains("\"macos-arm64\""));
    }

    #[test]
    fn fails_on_a_wrong_platform_variant_or_package_type() {
        let dir = xcframework("xcframework-platform");
        dir.write(
            "Info.plist",
            INFO.replace("<string>simulator</string>", "<string>maccatalyst</string>")
                .replace("XFWK", "FMWK"),
        );
        let outcome = judge(dir.path(), &slices(&BOTH), &expected());
        assert_eq!(outcome.failures.len(), 2, "{outcome:?}");
        assert!(
            outcome.failures[0].contains("expected CFBundlePackageType XFWK, found Some(\"FMWK\")")
        );
        assert!(outcome.failures[1].contains("ios-arm64-simulator: expected platform and variant"));
        assert!(outcome.failures[1].contains("maccatalyst"));
    }

    #[test]
    fn fails_naming_each_missing_or_changed_file() {
        let dir = xcframework("xcframework-files");
        std::fs::remove_file(dir.path().join("ios-arm64/PrivacyInfo.xcprivacy")).unwrap();
        std::fs::remove_file(dir.path().join("ios-arm64-simulator/libhamustro.a")).unwrap();
        dir.write(
            "ios-arm64-simulator/Headers/CHamustro/hamustro.h",
            "/* another header */",
        );
        dir.write(
            "ios-arm64-simulator/Headers/CHamustro/module.modulemap",
            "module Other {}",
        );
        let outcome = judge(dir.path(), &slices(&BOTH), &expected());
        assert_eq!(outcome.failures.len(), 4, "{outcome:?}");
        assert!(outcome.failures[0].starts_with("ios-arm64/PrivacyInfo.xcprivacy: expected a file"));
        assert_eq!(
            outcome.failures[1],
            "ios-arm64-simulator/libhamustro.a: expected the library, found no file"
        );
        assert!(outcome.failures[2].starts_with(
            "ios-arm64-simulator/Headers/CHamustro/hamustro.h: expected the bytes of include/hamustro.h (16 bytes), found others (20 bytes)"
        ));
        assert!(
            outcome.failures[3].starts_with("ios-arm64-simulator: expected a CHamustro module map")
        );
    }

    #[test]
    fn a_missing_info_plist_fails_naming_it() {
        let dir = Scratch::new("xcframework-empty");
        let outcome = judge(dir.path(), &slices(&BOTH), &expected());
        assert!(outcome.failures[0].contains("Info.plist"), "{outcome:?}");
    }

    #[test]
    fn a_malformed_slice_argument_fails() {
        let outcome = run(&["dir".to_string(), "ios-arm64".to_string()]);
        assert!(
            outcome.failures[0].contains("IDENTIFIER:PLATFORM:VARIANT"),
            "{outcome:?}"
        );
        assert!(!run(&[]).passed());
    }
}
