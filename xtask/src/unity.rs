//! The Unity package (`bindings/csharp/com.hamustro.tracker`), as its source tree and
//! as the tarball `scripts/unity-package.sh` packs; and the verdict of the C# suite
//! that tests the binding it carries.
//!
//! Unity ignores a file without a `.meta` in an immutable (tarball) package, and two
//! assets with one GUID break references, so both are failures.

mod manifest;
mod meta;
mod nunit;
mod plugins;
mod tree;

use std::collections::BTreeMap;
use std::path::Path;

use crate::checks::{exactly, Check};
use crate::header::repo;
use crate::outcome::Outcome;
use tree::Tree;

pub const CHECKS: &[Check] = &[
    Check {
        name: "unity-source",
        usage: "unity-source DIR",
        about: "the Unity package's source: every asset has a .meta, every .meta an asset \
                (a plugin's may wait for its binary), GUIDs well-formed and unique, the \
                plugins' import settings, package.json against Cargo.toml",
        run: source,
    },
    Check {
        name: "unity-tarball",
        usage: "unity-tarball DIR",
        about: "the Unity tarball, unpacked in DIR: package/ alone at the top, and in it \
                what unity-source checks, every .meta with its asset, and each plugin \
                built for the platform its .meta names",
        run: tarball,
    },
    Check {
        name: "nunit-result",
        usage: "nunit-result TestResult.xml",
        about: "the C# suite's NUnit 2 result: some test ran and none failed; prints \
                \"N passed, M failed\"",
        run: nunit_result,
    },
];

/// Which form of the package a check looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The committed tree: the plugins' binaries (and the LICENSE) are put beside
    /// their `.meta` files only when packing.
    Source,
    /// The packed package: everything is there.
    Tarball,
}

fn source(args: &[String]) -> Outcome {
    let [dir] = match exactly(args, CHECKS[0].usage) {
        Ok(args) => args,
        Err(outcome) => return outcome,
    };
    with_crate_version(|version| check_package(Path::new(&dir), Form::Source, version))
}

fn tarball(args: &[String]) -> Outcome {
    let [dir] = match exactly(args, CHECKS[1].usage) {
        Ok(args) => args,
        Err(outcome) => return outcome,
    };
    with_crate_version(|version| check_unpacked(Path::new(&dir), version))
}

fn nunit_result(args: &[String]) -> Outcome {
    let [file] = match exactly(args, CHECKS[2].usage) {
        Ok(args) => args,
        Err(outcome) => return outcome,
    };
    match std::fs::read_to_string(&file) {
        Ok(xml) => nunit::check(&xml),
        Err(error) => {
            let mut outcome = Outcome::failed(format!("no NUnit result: {file}: {error}"));
            outcome.found("0 passed, 1 failed");
            outcome
        }
    }
}

/// Runs `check` with the version the package must have: the library's.
fn with_crate_version(check: impl FnOnce(&str) -> Outcome) -> Outcome {
    let path = repo().join("Cargo.toml");
    match std::fs::read_to_string(&path) {
        Ok(text) => match manifest::crate_version(&text) {
            Ok(version) => check(&version),
            Err(error) => Outcome::failed(error),
        },
        Err(error) => Outcome::failed(format!("{}: {error}", path.display())),
    }
}

/// Checks a tarball unpacked in `dir`: the Package Manager expects `package/` at the
/// top, and nothing beside it.
fn check_unpacked(dir: &Path, version: &str) -> Outcome {
    let top = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect::<Vec<_>>(),
        Err(error) => return Outcome::failed(format!("{}: {error}", dir.display())),
    };
    if top != ["package"] {
        return Outcome::failed(format!(
            "the tarball's top is {top:?}, Unity expects [\"package\"]"
        ));
    }
    check_package(&dir.join("package"), Form::Tarball, version)
}

/// Checks the package at `root` in the given form.
fn check_package(root: &Path, form: Form, version: &str) -> Outcome {
    let tree = match Tree::read(root) {
        Ok(tree) => tree,
        Err(error) => return Outcome::failed(error),
    };
    let mut outcome = Outcome::default();
    for asset in tree.assets_without_meta() {
        outcome.fail(format!(
            "{asset}: no .meta (Unity ignores it in an immutable package)"
        ));
    }
    for (meta, asset) in tree.metas_without_asset() {
        let added_when_packing = plugins::is_plugin_or_its_folder(asset) || asset == "LICENSE";
        if form == Form::Tarball || !added_when_packing {
            outcome.fail(format!("{meta}: no asset beside it"));
        }
    }
    check_guids(root, &tree, &mut outcome);
    plugins::check(root, form, &mut outcome);
    manifest::check(root, version, &mut outcome);
    if outcome.passed() {
        outcome.found(format!(
            "{}: {} assets; package.json, every .meta, the plugins' platforms and CPUs, \
             GUIDs unique: ok",
            root.display(),
            tree.assets.len()
        ));
    }
    outcome
}

/// Every `.meta` has a GUID as Unity writes it, and no two share one.
fn check_guids(root: &Path, tree: &Tree, outcome: &mut Outcome) {
    let mut owners: BTreeMap<String, &str> = BTreeMap::new();
    for meta in &tree.metas {
        let text = match std::fs::read_to_string(root.join(meta)) {
            Ok(text) => text,
            Err(error) => {
                outcome.fail(format!("{meta}: {error}"));
                continue;
            }
        };
        match meta::guid(&text) {
            Ok(guid) => {
                if let Some(owner) = owners.insert(guid.to_string(), meta) {
                    outcome.fail(format!("{meta}: guid {guid} is also {owner}'s"));
                }
            }
            Err(error) => outcome.fail(format!("{meta}: {error}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::Scratch;

    /// A GUID of its own for each `.meta`, from a counter.
    fn meta(number: usize) -> String {
        format!("fileFormatVersion: 2\nguid: {number:032x}\n")
    }

    /// A small package: the manifest, the Runtime, and each plugin's `.meta` and
    /// folders' `.meta`, with the binaries when `form` is `Tarball`.
    fn package(name: &str, form: Form) -> Scratch {
        let package = Scratch::new(name);
        package.write(
            "package.json",
            r#"{"name": "com.hamustro.tracker", "version": "1.0.0", "displayName": "H",
                "description": "d", "unity": "2021.3", "license": "MIT"}"#,
        );
        package.write("Runtime/Hamustro.asmdef", r#"{"name": "Hamustro"}"#);
        package.write("Runtime/Tracker.cs", "");
        let mut metas = vec![
            "package.json.meta",
            "Runtime.meta",
            "Runtime/Hamustro.asmdef.meta",
            "Runtime/Tracker.cs.meta",
            "Plugins.meta",
            "Plugins/Linux.meta",
            "Plugins/Linux/x86_64.meta",
            "Plugins/Windows.meta",
            "Plugins/Windows/x86_64.meta",
            "Plugins/iOS.meta",
        ];
        match form {
            Form::Tarball => {
                package.write("LICENSE", "MIT");
                metas.push("LICENSE.meta");
            }
            // macOS's plugin comes only from a Mac: the source has its .meta files.
            Form::Source => metas.extend(["Plugins/macOS.meta"]),
        }
        for (number, path) in metas.into_iter().enumerate() {
            package.write(path, meta(number + 1));
        }
        let linux = plugins::tests::meta(&[("Editor", "x86_64"), ("Linux64", "x86_64")], "Linux");
        let windows = plugins::tests::meta(&[("Editor", "x86_64"), ("Win64", "x86_64")], "Windows");
        let ios = plugins::tests::meta(&[("iOS", "ARM64")], "AnyOS");
        // Each with a GUID of its own.
        let guid = "0123456789abcdef0123456789abcdef";
        package.write(
            "Plugins/Linux/x86_64/libhamustro.so.meta",
            linux.replace(guid, &format!("{:032x}", 101)),
        );
        package.write(
            "Plugins/Windows/x86_64/hamustro.dll.meta",
            windows.replace(guid, &format!("{:032x}", 102)),
        );
        package.write(
            "Plugins/iOS/libhamustro.a.meta",
            ios.replace(guid, &format!("{:032x}", 103)),
        );
        if form == Form::Source {
            let macos =
                plugins::tests::meta(&[("Editor", "AnyCPU"), ("OSXUniversal", "AnyCPU")], "OSX");
            package.write(
                "Plugins/macOS/libhamustro.dylib.meta",
                macos.replace(guid, &format!("{:032x}", 104)),
            );
        }
        if form == Form::Tarball {
            let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
            elf.resize(64, 0);
            elf[18] = 62;
            package.write("Plugins/Linux/x86_64/libhamustro.so", elf);
            package.write(
                "Plugins/Windows/x86_64/hamustro.dll",
                plugins::tests::pe_head(0x8664),
            );
            package.write("Plugins/iOS/libhamustro.a", "!<arch>\n");
        }
        package
    }

    fn failures(package: &Scratch, form: Form) -> Vec<String> {
        check_package(package.path(), form, "1.0.0").failures
    }

    #[test]
    fn the_source_passes_without_its_binaries() {
        let source = package("unity-source", Form::Source);
        let outcome = check_package(source.path(), Form::Source, "1.0.0");
        assert!(outcome.passed(), "{outcome:?}");
        assert!(
            outcome.found[0].ends_with("GUIDs unique: ok"),
            "{outcome:?}"
        );
    }

    #[test]
    fn the_packed_package_passes() {
        let packed = package("unity-packed", Form::Tarball);
        assert_eq!(failures(&packed, Form::Tarball), Vec::<String>::new());
    }

    #[test]
    fn an_asset_without_its_meta_fails() {
        let source = package("unity-no-meta", Form::Source);
        source.remove("Runtime/Tracker.cs.meta");
        assert_eq!(
            failures(&source, Form::Source),
            ["Runtime/Tracker.cs: no .meta (Unity ignores it in an immutable package)"]
        );
    }

    #[test]
    fn a_meta_without_its_asset_fails_but_a_plugins_in_the_source() {
        let source = package("unity-orphan", Form::Source);
        source.write("Runtime/Gone.cs.meta", meta(200));
        assert_eq!(
            failures(&source, Form::Source),
            ["Runtime/Gone.cs.meta: no asset beside it"]
        );
        let packed = package("unity-orphan-packed", Form::Tarball);
        packed.remove("Plugins/iOS/libhamustro.a");
        assert_eq!(
            failures(&packed, Form::Tarball),
            [
                "Plugins/iOS/libhamustro.a.meta: no asset beside it",
                "Plugins/iOS/libhamustro.a: missing"
            ]
        );
    }

    #[test]
    fn a_guid_used_twice_or_malformed_fails() {
        let source = package("unity-guids", Form::Source);
        source.write("Runtime/Tracker.cs.meta", meta(2));
        source.write("Runtime/Hamustro.asmdef.meta", "guid: not-a-guid\n");
        let found = failures(&source, Form::Source);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].starts_with("Runtime/Hamustro.asmdef.meta: guid \"not-a-guid\""),
            "{found:?}"
        );
        assert_eq!(
            found[1],
            format!(
                "Runtime/Tracker.cs.meta: guid {:032x} is also Runtime.meta's",
                2
            )
        );
    }

    #[test]
    fn a_binary_for_another_platform_fails() {
        let packed = package("unity-wrong-binary", Form::Tarball);
        packed.write("Plugins/Windows/x86_64/hamustro.dll", "!<arch>\n");
        assert_eq!(
            failures(&packed, Form::Tarball),
            ["Plugins/Windows/x86_64/hamustro.dll: an ar archive, expected a PE x86-64 file"]
        );
    }

    #[test]
    fn a_tarball_with_something_beside_package_fails() {
        let unpacked = Scratch::new("unity-top");
        unpacked.write("package/package.json", "{}");
        unpacked.write("stray.txt", "");
        let outcome = check_unpacked(unpacked.path(), "1.0.0");
        assert!(
            outcome.failures[0].starts_with("the tarball's top is"),
            "{outcome:?}"
        );
    }

    #[test]
    fn the_committed_package_source_passes() {
        let version = manifest::crate_version(
            &std::fs::read_to_string(repo().join("Cargo.toml")).expect("Cargo.toml reads"),
        )
        .expect("Cargo.toml has a version");
        let root = repo().join("bindings/csharp/com.hamustro.tracker");
        let outcome = check_package(&root, Form::Source, &version);
        assert!(outcome.passed(), "{outcome:?}");
    }
}
