//! The Python package as scripts/dist.sh ships it: what an unpacked wheel says of
//! itself (its tag, its version, its one native library), what auditwheel says of the
//! Linux wheel's platform, and what the sdist carries (the package and the crate, as
//! `cargo package` packs it, and nothing of the repository beside).

use std::convert::identity;
use std::path::Path;

use serde_json::Value;

use crate::checks::{exactly, Check};
use crate::outcome::Outcome;
use crate::tool_output;

pub const CHECKS: &[Check] = &[
    Check {
        name: "wheel-contents",
        usage: "DIR PLATFORM LIBRARY VERSION (DIR: the wheel, unpacked)",
        about: "the wheel's tag is py3-none-PLATFORM, not pure, its version VERSION, and its one native library hamustro/_lib/LIBRARY",
        run: |args| wheel_contents(args).unwrap_or_else(identity),
    },
    Check {
        name: "auditwheel-tag",
        usage: "TAG AUDITWHEEL_JSON (auditwheel show --json's output; - for standard input)",
        about: "auditwheel finds the wheel consistent with the platform tag TAG (e.g. manylinux_2_17_x86_64)",
        run: |args| auditwheel_tag(args).unwrap_or_else(identity),
    },
    Check {
        name: "sdist-contents",
        usage: "VERSION LISTING (tar -tzf of the sdist; - for standard input)",
        about: "the sdist holds the package and the crate it builds, and none of the repository's tests, benches, fuzzers, scripts or bindings",
        run: |args| sdist_contents(args).unwrap_or_else(identity),
    },
];

/// The Python package's files every wheel carries, beside its native library.
const PACKAGE_FILES: [&str; 2] = ["hamustro/__init__.py", "hamustro/py.typed"];

fn wheel_contents(args: &[String]) -> Result<Outcome, Outcome> {
    let [dir, platform, library, version] = exactly(args, CHECKS[0].usage)?;
    Ok(judge_contents(
        Path::new(&dir),
        &platform,
        &library,
        &version,
    ))
}

fn judge_contents(dir: &Path, platform: &str, library: &str, version: &str) -> Outcome {
    let info = dir.join(format!("hamustro-{version}.dist-info"));
    let (wheel, metadata) = match (
        tool_output::read_file(&info.join("WHEEL")),
        tool_output::read_file(&info.join("METADATA")),
    ) {
        (Ok(wheel), Ok(metadata)) => (wheel, metadata),
        (Err(error), _) | (_, Err(error)) => {
            return Outcome::failed(format!(
                "expected the wheel's metadata for version {version}: {error}"
            ))
        }
    };
    let mut outcome = Outcome::default();
    let tags: Vec<&str> = header_values(&wheel, "Tag").collect();
    let tag = format!("py3-none-{platform}");
    outcome.expect(
        tags == [tag.as_str()],
        format!(
            "expected the WHEEL's one Tag: {tag}, found {}",
            shown(&tags)
        ),
    );
    let purelib: Vec<&str> = header_values(&wheel, "Root-Is-Purelib").collect();
    outcome.expect(
        purelib == ["false"],
        format!(
            "expected Root-Is-Purelib: false (the wheel holds a native library), found {}",
            shown(&purelib)
        ),
    );
    let versions: Vec<&str> = header_values(&metadata, "Version").collect();
    outcome.expect(
        versions == [version],
        format!(
            "expected METADATA's Version: {version} (the crate's), found {}",
            shown(&versions)
        ),
    );

    let native = files_under(&dir.join("hamustro/_lib"));
    outcome.expect(
        native == [library],
        format!(
            "expected one native library, hamustro/_lib/{library}; found {}",
            if native.is_empty() {
                "none".to_string()
            } else {
                native.join(", ")
            }
        ),
    );
    for file in PACKAGE_FILES {
        outcome.expect(
            dir.join(file).is_file(),
            format!("expected {file}, found no such file"),
        );
    }
    if outcome.passed() {
        outcome.found(format!("{tag}, version {version}, hamustro/_lib/{library}"));
    }
    outcome
}

/// The values of the `Name: value` lines of an email-style header (WHEEL, METADATA),
/// up to the blank line that starts METADATA's description.
fn header_values<'a>(text: &'a str, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    text.lines()
        .take_while(|line| !line.is_empty())
        .filter_map(move |line| line.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
}

fn shown(values: &[&str]) -> String {
    if values.is_empty() {
        "none".to_string()
    } else {
        values.join(", ")
    }
}

/// The names of the files in `dir`, sorted; none if it does not exist.
fn files_under(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn auditwheel_tag(args: &[String]) -> Result<Outcome, Outcome> {
    let [tag, report] = exactly(args, CHECKS[1].usage)?;
    let report = tool_output::read(&report).map_err(Outcome::failed)?;
    Ok(judge_auditwheel(&tag, &report))
}

/// Judges `auditwheel show --json`: its `overall_tag` is the best platform tag the
/// wheel is consistent with; an `error` says why it could not tell.
fn judge_auditwheel(tag: &str, report: &str) -> Outcome {
    let Ok(json) = serde_json::from_str::<Value>(report.trim()) else {
        return Outcome::failed(format!(
            "expected auditwheel show --json's report, found: {}",
            report.trim()
        ));
    };
    let wheel = json["wheel"].as_str().unwrap_or("the wheel");
    match json["overall_tag"].as_str() {
        Some(found) if found == tag => {
            let mut outcome = Outcome::default();
            outcome.found(format!(
                "{wheel} is consistent with the platform tag {found}; versioned symbols: {}",
                json["versioned_symbols"]
            ));
            outcome
        }
        Some(found) => Outcome::failed(format!(
            "expected auditwheel to find {wheel} consistent with {tag}, found {found} \
             (its symbols' tag: {}; to reach better tags: {})",
            json["sym_tag"].as_str().unwrap_or("none"),
            json["policy_upgrades"]
        )),
        None => Outcome::failed(format!(
            "expected auditwheel to name {wheel}'s platform tag ({tag}), found {}",
            json["error"]
                .as_str()
                .map_or_else(|| json.to_string(), str::to_string)
        )),
    }
}

/// What `pip install` of the sdist needs: the package, and the crate it builds.
const SDIST_FILES: &[&str] = &[
    "setup.py",
    "pyproject.toml",
    "hamustro/_ffi.py",
    "rust/Cargo.toml",
    "rust/Cargo.lock",
    "rust/build.rs",
    "rust/proto/hamustro.proto",
    "rust/src/lib.rs",
    "rust/include/hamustro.h",
];

/// The repository's folders that are not the crate's: an sdist carrying them packed
/// the work tree, not the crate.
const NOT_THE_CRATE: &[&str] = &["tests", "benches", "fuzz", "scripts", "bindings"];

fn sdist_contents(args: &[String]) -> Result<Outcome, Outcome> {
    let [version, listing] = exactly(args, CHECKS[2].usage)?;
    let listing = tool_output::read(&listing).map_err(Outcome::failed)?;
    Ok(judge_sdist(&version, &listing))
}

fn judge_sdist(version: &str, listing: &str) -> Outcome {
    let root = format!("hamustro-{version}/");
    let names: Vec<&str> = listing
        .lines()
        .map(|line| line.trim().strip_prefix("./").unwrap_or(line.trim()))
        .filter(|name| !name.is_empty())
        .collect();
    let mut outcome = Outcome::default();
    for file in SDIST_FILES {
        outcome.expect(
            names.contains(&format!("{root}{file}").as_str()),
            format!("expected {root}{file} in the sdist, found no such file"),
        );
    }
    let extra: Vec<&str> = names
        .iter()
        .copied()
        .filter(|name| {
            NOT_THE_CRATE
                .iter()
                .any(|folder| name.starts_with(&format!("{root}rust/{folder}/")))
        })
        .collect();
    outcome.expect(
        extra.is_empty(),
        format!(
            "expected the crate only under rust/, found the repository's {}",
            extra.join(" ")
        ),
    );
    if outcome.passed() {
        outcome.found(format!(
            "{} entries, the package and the crate",
            names.len()
        ));
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERSION: &str = "0.9.0";

    fn wheel(name: &str, tag: &str) -> crate::scratch::Scratch {
        let dir = crate::scratch::Scratch::new(name);
        let info = "hamustro-0.9.0.dist-info";
        crate::scratch::write_file(
            &dir,
            &format!("{info}/WHEEL"),
            format!("Wheel-Version: 1.0\nGenerator: setuptools (75.8.0)\nRoot-Is-Purelib: false\nTag: {tag}\n\n"),
        );
        crate::scratch::write_file(
            &dir,
            &format!("{info}/METADATA"),
            "Metadata-Version: 2.1\nName: hamustro\nVersion: 0.9.0\n\nVersion: 1.0 is in the description\n",
        );
        crate::scratch::write_file(&dir, "hamustro/__init__.py", "");
        crate::scratch::write_file(&dir, "hamustro/py.typed", "");
        crate::scratch::write_file(&dir, "hamustro/_lib/libhamustro.so", "\x7fELF");
        dir
    }

    #[test]
    fn a_wheel_with_its_tag_version_and_library_passes() {
        let dir = wheel("wheel-good", "py3-none-manylinux_2_17_x86_64");
        let outcome = judge_contents(&dir, "manylinux_2_17_x86_64", "libhamustro.so", VERSION);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(outcome.passed(), "{outcome:?}");
        assert_eq!(
            outcome.found,
            ["py3-none-manylinux_2_17_x86_64, version 0.9.0, hamustro/_lib/libhamustro.so"]
        );
    }

    #[test]
    fn a_wrong_tag_fails_naming_both() {
        let dir = wheel("wheel-tag", "py3-none-linux_x86_64");
        let outcome = judge_contents(&dir, "manylinux_2_17_x86_64", "libhamustro.so", VERSION);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            outcome.failures,
            ["expected the WHEEL's one Tag: py3-none-manylinux_2_17_x86_64, found py3-none-linux_x86_64"]
        );
    }

    #[test]
    fn a_wrong_version_library_or_a_missing_file_fails() {
        let dir = wheel("wheel-library", "py3-none-win_amd64");
        crate::scratch::write_file(&dir, "hamustro/_lib/hamustro.pdb", "");
        std::fs::remove_file(dir.join("hamustro/py.typed")).unwrap();
        let outcome = judge_contents(&dir, "win_amd64", "hamustro.dll", VERSION);
        assert_eq!(
            outcome.failures,
            [
                "expected one native library, hamustro/_lib/hamustro.dll; found hamustro.pdb, libhamustro.so",
                "expected hamustro/py.typed, found no such file"
            ]
        );
        let outcome = judge_contents(&dir, "win_amd64", "hamustro.dll", "0.9.1");
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            outcome.failures[0].starts_with("expected the wheel's metadata for version 0.9.1: "),
            "{outcome:?}"
        );
    }

    fn sdist_listing() -> String {
        let mut listing = String::from("hamustro-0.9.0/\nhamustro-0.9.0/PKG-INFO\n");
        for file in SDIST_FILES {
            listing.push_str(&format!("hamustro-0.9.0/{file}\n"));
        }
        listing
    }

    #[test]
    fn an_sdist_of_the_package_and_the_crate_passes() {
        let outcome = judge_sdist(VERSION, &sdist_listing());
        assert!(outcome.passed(), "{outcome:?}");
    }

    #[test]
    fn an_sdist_missing_a_file_or_carrying_the_tests_fails() {
        let listing = sdist_listing().replace("hamustro-0.9.0/rust/Cargo.lock\n", "")
            + "hamustro-0.9.0/rust/tests/it/main.rs\n";
        let outcome = judge_sdist(VERSION, &listing);
        assert_eq!(
            outcome.failures,
            [
                "expected hamustro-0.9.0/rust/Cargo.lock in the sdist, found no such file",
                "expected the crate only under rust/, found the repository's hamustro-0.9.0/rust/tests/it/main.rs"
            ]
        );
        assert!(!judge_sdist("0.9.1", &sdist_listing()).passed());
    }

    const AUDITWHEEL: &str = r#"{"version": 1, "wheel": "hamustro-0.9.0-py3-none-manylinux_2_17_x86_64.whl", "pure": false, "overall_tag": "manylinux_2_17_x86_64", "sym_tag": "manylinux_2_17_x86_64", "versioned_symbols": {"libc.so.6": ["GLIBC_2.2.5"]}, "external_libs": {}, "policy_upgrades": {}}"#;

    #[test]
    fn auditwheels_overall_tag_passes_when_it_is_the_expected_one() {
        let outcome = judge_auditwheel("manylinux_2_17_x86_64", AUDITWHEEL);
        assert!(outcome.passed(), "{outcome:?}");
        assert_eq!(
            outcome.found,
            [
                r#"hamustro-0.9.0-py3-none-manylinux_2_17_x86_64.whl is consistent with the platform tag manylinux_2_17_x86_64; versioned symbols: {"libc.so.6":["GLIBC_2.2.5"]}"#
            ]
        );
    }

    #[test]
    fn a_wrong_wheel_tag_fails_naming_both() {
        let linux = AUDITWHEEL.replace(
            "\"overall_tag\": \"manylinux_2_17_x86_64\"",
            "\"overall_tag\": \"linux_x86_64\"",
        );
        let outcome = judge_auditwheel("manylinux_2_17_x86_64", &linux);
        assert!(
            outcome.failures[0].starts_with(
                "expected auditwheel to find hamustro-0.9.0-py3-none-manylinux_2_17_x86_64.whl \
                 consistent with manylinux_2_17_x86_64, found linux_x86_64 ("
            ),
            "{outcome:?}"
        );
    }

    #[test]
    fn an_auditwheel_error_or_text_fails_showing_it() {
        let error = r#"{"version": 1, "wheel": "x.whl", "error": "Invalid binary wheel, found the following shared library/libraries in purelib folder"}"#;
        let outcome = judge_auditwheel("manylinux_2_17_x86_64", error);
        assert!(outcome.failures[0].ends_with("found Invalid binary wheel, found the following shared library/libraries in purelib folder"), "{outcome:?}");
        let outcome = judge_auditwheel("manylinux_2_17_x86_64", "usage: auditwheel show");
        assert!(
            outcome.failures[0].ends_with("found: usage: auditwheel show"),
            "{outcome:?}"
        );
    }
}
