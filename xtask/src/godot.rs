//! The Godot addon's zip (`scripts/dist.sh godot`), unpacked: the files Godot's asset
//! library and a project's `addons/` folder get, the `.gdextension` that tells Godot
//! which library to load on which platform, `plugin.cfg`, and each library: built for
//! its platform, exporting gdext's entry point, needing no glibc newer than 2.17.

mod config;
mod elf;
mod libraries;
mod pe;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::checks::{exactly, Check};
use crate::outcome::Outcome;
use config::ConfigFile;
use libraries::{check_library, ENTRY, LIBRARIES};

pub const CHECKS: &[Check] = &[Check {
    name: "godot-addon",
    usage: "godot-addon DIR VERSION",
    about: "the Godot addon's zip, unpacked in DIR: exactly the addon's files under \
            addons/hamustro/; the .gdextension's entry point, minimum (4.3) and one library \
            per platform; plugin.cfg's version VERSION; each library's platform, its \
            gdext_rust_init export, glibc at most 2.17, and the class reference in the \
            editor's libraries only",
    run: addon,
}];

const ADDON: &str = "addons/hamustro/";
/// The addon's files but its libraries.
const FILES: &[&str] = &[
    "hamustro.gdextension",
    "plugin.cfg",
    "plugin.gd",
    "analytics.gd",
    "example.gd",
    "README.md",
    "LICENSE",
];

fn addon(args: &[String]) -> Outcome {
    match exactly(args, CHECKS[0].usage) {
        Ok([dir, version]) => check_addon(Path::new(&dir), &version),
        Err(outcome) => outcome,
    }
}

/// Checks the addon unpacked in `dir`, for release `version`.
fn check_addon(dir: &Path, version: &str) -> Outcome {
    let mut outcome = Outcome::default();
    let files = match files_under(dir) {
        Ok(files) => files,
        Err(error) => return Outcome::failed(error),
    };
    outcome.found(format!("files: {files:?}"));
    let expected: BTreeSet<String> = FILES
        .iter()
        .chain(LIBRARIES.iter().map(|library| &library.path))
        .map(|name| format!("{ADDON}{name}"))
        .collect();
    let missing: Vec<&String> = expected.difference(&files).collect();
    let unexpected: Vec<&String> = files.difference(&expected).collect();
    outcome.expect(
        missing.is_empty() && unexpected.is_empty(),
        format!("the addon's files: missing {missing:?}, unexpected {unexpected:?}"),
    );
    let read_config = |name: &str| {
        let path = dir.join(ADDON).join(name);
        std::fs::read_to_string(&path)
            .map_err(|error| error.to_string())
            .and_then(|text| ConfigFile::parse(&text))
            .map_err(|error| format!("{ADDON}{name}: {error}"))
    };
    match read_config("hamustro.gdextension") {
        Ok(gdextension) => check_gdextension(&gdextension, &files, &mut outcome),
        Err(error) => outcome.fail(error),
    }
    match read_config("plugin.cfg") {
        Ok(plugin) => check_plugin(&plugin, version, &mut outcome),
        Err(error) => outcome.fail(error),
    }
    for library in LIBRARIES {
        let path = dir.join(ADDON).join(library.path);
        if path.is_file() {
            check_library(&path, library, &mut outcome);
        }
    }
    outcome
}

/// Every file under `dir`, relative, with `/` between folders.
fn files_under(dir: &Path) -> Result<BTreeSet<String>, String> {
    let mut files = BTreeSet::new();
    let mut folders = vec![(dir.to_path_buf(), String::new())];
    while let Some((folder, prefix)) = folders.pop() {
        let entries =
            std::fs::read_dir(&folder).map_err(|error| format!("{}: {error}", folder.display()))?;
        for entry in entries {
            let entry = entry.map_err(|error| format!("{}: {error}", folder.display()))?;
            let relative = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.path().is_dir() {
                folders.push((entry.path(), format!("{relative}/")));
            } else {
                files.insert(relative);
            }
        }
    }
    Ok(files)
}

/// The entry point, the minimum API level, and exactly the expected library for each
/// platform, each in the zip.
fn check_gdextension(gdextension: &ConfigFile, files: &BTreeSet<String>, outcome: &mut Outcome) {
    let entry = gdextension.get("configuration", "entry_symbol");
    outcome.expect(
        entry == Some(ENTRY),
        format!("entry_symbol is {entry:?}, expected {ENTRY:?}"),
    );
    let minimum = gdextension.get("configuration", "compatibility_minimum");
    outcome.expect(
        minimum == Some("4.3"),
        format!("compatibility_minimum is {minimum:?}, expected the API level \"4.3\""),
    );
    let named: BTreeMap<&str, &str> = gdextension
        .entries("libraries")
        .iter()
        .map(|(platform, path)| {
            (
                platform.as_str(),
                path.strip_prefix("res://").unwrap_or(path),
            )
        })
        .collect();
    outcome.found(format!("libraries: {named:?}"));
    for (platform, path) in &named {
        outcome.expect(
            files.contains(*path),
            format!("{platform}'s library {path} is not in the zip"),
        );
    }
    let unnamed: Vec<&String> = files
        .iter()
        .filter(|file| file.contains("/bin/") && !named.values().any(|path| path == file))
        .collect();
    outcome.expect(
        unnamed.is_empty(),
        format!("libraries the .gdextension does not name: {unnamed:?}"),
    );
    let expected: BTreeMap<&str, String> = LIBRARIES
        .iter()
        .map(|library| (library.platform, format!("{ADDON}{}", library.path)))
        .collect();
    let matches = named.len() == expected.len()
        && expected
            .iter()
            .all(|(platform, path)| named.get(platform) == Some(&path.as_str()));
    outcome.expect(
        matches,
        format!("the .gdextension names {named:?}, expected {expected:?}"),
    );
}

/// The plugin's version is the release's, and its script the addon's.
fn check_plugin(plugin: &ConfigFile, version: &str, outcome: &mut Outcome) {
    let found = plugin.get("plugin", "version");
    outcome.expect(
        found == Some(version),
        format!("plugin.cfg's version is {found:?}, expected {version:?}"),
    );
    let script = plugin.get("plugin", "script");
    outcome.expect(
        script == Some("plugin.gd"),
        format!("plugin.cfg's script is {script:?}, expected \"plugin.gd\""),
    );
}

#[cfg(test)]
mod tests {
    use super::libraries::REFERENCE;
    use super::*;
    use crate::scratch::Scratch;

    const GDEXTENSION: &str =
        include_str!("../../bindings/godot/addons/hamustro/hamustro.gdextension");

    /// An unpacked addon with the committed .gdextension, `plugin.cfg` at 1.0.0, and
    /// the two DLLs (the Linux libraries need objdump: tested on their own below).
    fn addon_with_dlls(name: &str) -> Scratch {
        let addon = Scratch::new(name);
        for file in FILES {
            addon.write(&format!("{ADDON}{file}"), "");
        }
        addon.write(&format!("{ADDON}hamustro.gdextension"), GDEXTENSION);
        addon.write(
            &format!("{ADDON}plugin.cfg"),
            "[plugin]\nname=\"Hamustro\"\nversion=\"1.0.0\"\nscript=\"plugin.gd\"\n",
        );
        let mut editor = pe::tests::dll(pe::MACHINE_X86_64, &[ENTRY]);
        editor.extend_from_slice(REFERENCE);
        addon.write(&format!("{ADDON}{}", LIBRARIES[2].path), editor);
        addon.write(
            &format!("{ADDON}{}", LIBRARIES[3].path),
            pe::tests::dll(pe::MACHINE_X86_64, &[ENTRY]),
        );
        addon
    }

    fn failures(addon: &Scratch) -> Vec<String> {
        check_addon(addon.path(), "1.0.0").failures
    }

    #[test]
    fn an_addon_missing_only_its_linux_libraries_fails_for_them_alone() {
        let addon = addon_with_dlls("godot-dlls");
        let found = failures(&addon);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].starts_with("the addon's files: missing [\"addons/hamustro/bin/linux-x86_64/libhamustro_godot.editor.so\", \"addons/hamustro/bin/linux-x86_64/libhamustro_godot.so\"], unexpected []"), "{found:?}");
        assert!(
            found[1].starts_with("linux.editor.x86_64's library"),
            "{found:?}"
        );
        assert!(found[2].starts_with("linux.x86_64's library"), "{found:?}");
    }

    #[test]
    fn a_dll_for_another_machine_or_without_the_entry_point_fails() {
        let addon = addon_with_dlls("godot-wrong-dll");
        let template = format!("{ADDON}{}", LIBRARIES[3].path);
        addon.write(&template, pe::tests::dll(0x014c, &[ENTRY]));
        let found = failures(&addon);
        assert!(
            found.contains(
                &"bin/windows-x86_64/hamustro_godot.dll: machine 0x14c, expected x86-64 (0x8664)"
                    .to_string()
            ),
            "{found:?}"
        );
        addon.write(&template, pe::tests::dll(pe::MACHINE_X86_64, &["other"]));
        let found = failures(&addon);
        assert!(
            found.contains(&format!(
                "bin/windows-x86_64/hamustro_godot.dll does not export {ENTRY}"
            )),
            "{found:?}"
        );
        addon.write(&template, b"\x7fELF\x02\x01\x01\0");
        let found = failures(&addon);
        assert!(
            found.contains(
                &"bin/windows-x86_64/hamustro_godot.dll: not a PE file (no MZ)".to_string()
            ),
            "{found:?}"
        );
    }

    #[test]
    fn the_class_reference_belongs_to_the_editors_library_only() {
        let addon = addon_with_dlls("godot-reference");
        let mut template = pe::tests::dll(pe::MACHINE_X86_64, &[ENTRY]);
        template.extend_from_slice(REFERENCE);
        addon.write(&format!("{ADDON}{}", LIBRARIES[3].path), template);
        addon.write(
            &format!("{ADDON}{}", LIBRARIES[2].path),
            pe::tests::dll(pe::MACHINE_X86_64, &[ENTRY]),
        );
        let found = failures(&addon);
        assert!(found.contains(&"bin/windows-x86_64/hamustro_godot.editor.dll carries no class reference (register-docs)".to_string()), "{found:?}");
        assert!(found.contains(&"bin/windows-x86_64/hamustro_godot.dll, for export templates, carries the class reference (register-docs)".to_string()), "{found:?}");
    }

    #[test]
    fn a_wrong_gdextension_or_plugin_fails() {
        let mut outcome = Outcome::default();
        let files = BTreeSet::from([
            format!("{ADDON}{}", LIBRARIES[1].path),
            format!("{ADDON}bin/stray.so"),
        ]);
        let gdextension = ConfigFile::parse(
            "[configuration]\nentry_symbol = \"other_init\"\ncompatibility_minimum = \"4.1\"\n\
             [libraries]\nlinux.x86_64 = \"res://addons/hamustro/bin/linux-x86_64/libhamustro_godot.so\"\n",
        )
        .expect("it parses");
        check_gdextension(&gdextension, &files, &mut outcome);
        let plugin = ConfigFile::parse("[plugin]\nversion=\"0.9.0\"\nscript=\"plugin.gd\"\n")
            .expect("it parses");
        check_plugin(&plugin, "1.0.0", &mut outcome);
        let found = outcome.failures;
        assert_eq!(
            found[0],
            "entry_symbol is Some(\"other_init\"), expected \"gdext_rust_init\""
        );
        assert_eq!(
            found[1],
            "compatibility_minimum is Some(\"4.1\"), expected the API level \"4.3\""
        );
        assert_eq!(
            found[2],
            "libraries the .gdextension does not name: [\"addons/hamustro/bin/stray.so\"]"
        );
        assert!(
            found[3].starts_with("the .gdextension names {\"linux.x86_64\""),
            "{found:?}"
        );
        assert_eq!(
            found[4],
            "plugin.cfg's version is Some(\"0.9.0\"), expected \"1.0.0\""
        );
        assert_eq!(found.len(), 5, "{found:?}");
    }

    #[test]
    fn the_committed_gdextension_names_every_library() {
        let gdextension = ConfigFile::parse(GDEXTENSION).expect("it parses");
        let files = LIBRARIES
            .iter()
            .map(|library| format!("{ADDON}{}", library.path))
            .collect();
        let mut outcome = Outcome::default();
        check_gdextension(&gdextension, &files, &mut outcome);
        assert!(outcome.passed(), "{outcome:?}");
    }

    #[test]
    fn a_missing_folder_fails_naming_it() {
        let outcome = check_addon(Path::new("/nonexistent/godot"), "1.0.0");
        assert!(
            outcome.failures[0].contains("/nonexistent/godot"),
            "{outcome:?}"
        );
    }
}
