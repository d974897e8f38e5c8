//! The package's native plugins: where each sits, which platforms its `.meta` enables,
//! and what kind of binary it must be. A plugin enabled for the wrong platform, or a
//! binary of the wrong kind, loads nowhere or crashes the player that loads it.

use std::fmt;
use std::io::Read;
use std::path::Path;

use super::meta::platform_data;
use super::Form;
use crate::outcome::Outcome;

/// One native plugin of the package.
pub struct Plugin {
    pub path: &'static str,
    /// The platforms its `.meta` enables, exactly.
    pub platforms: &'static [&'static str],
    /// The CPU each of those platforms names.
    pub cpu: &'static str,
    /// The editor's OS, for a plugin the editor loads.
    pub editor_os: Option<&'static str>,
    pub kind: BinaryKind,
    /// Whether a packed package must have it: macOS's comes only from a release built
    /// on a Mac.
    pub required: bool,
}

pub const PLUGINS: &[Plugin] = &[
    Plugin {
        path: "Plugins/Linux/x86_64/libhamustro.so",
        platforms: &["Editor", "Linux64"],
        cpu: "x86_64",
        editor_os: Some("Linux"),
        kind: BinaryKind::ElfX86_64,
        required: true,
    },
    Plugin {
        path: "Plugins/Windows/x86_64/hamustro.dll",
        platforms: &["Editor", "Win64"],
        cpu: "x86_64",
        editor_os: Some("Windows"),
        kind: BinaryKind::PeX86_64,
        required: true,
    },
    Plugin {
        path: "Plugins/iOS/libhamustro.a",
        platforms: &["iOS"],
        cpu: "ARM64",
        editor_os: None,
        kind: BinaryKind::Archive,
        required: true,
    },
    Plugin {
        path: "Plugins/macOS/libhamustro.dylib",
        platforms: &["Editor", "OSXUniversal"],
        cpu: "AnyCPU",
        editor_os: Some("OSX"),
        kind: BinaryKind::MachO,
        required: false,
    },
];

/// Whether `path` is a plugin, or one of the folders on the way to one: in the source
/// tree, their `.meta` files wait for the binaries that packing puts beside them.
pub fn is_plugin_or_its_folder(path: &str) -> bool {
    PLUGINS.iter().any(|plugin| {
        plugin.path == path
            || plugin
                .path
                .strip_prefix(path)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// What a binary is, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryKind {
    ElfX86_64,
    PeX86_64,
    /// A static library (`!<arch>`).
    Archive,
    /// Mach-O, 64-bit or universal.
    MachO,
    Unknown,
}

impl fmt::Display for BinaryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ElfX86_64 => "an ELF x86-64 file",
            Self::PeX86_64 => "a PE x86-64 file",
            Self::Archive => "an ar archive",
            Self::MachO => "a Mach-O file",
            Self::Unknown => "a file of no kind known here",
        })
    }
}

/// The kind of the binary whose file starts with `head` (its first 4096 bytes do).
pub fn binary_kind(head: &[u8]) -> BinaryKind {
    let u16_at = |at: usize| Some(u16::from_le_bytes(head.get(at..at + 2)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_le_bytes(head.get(at..at + 4)?.try_into().ok()?));
    if head.starts_with(b"\x7fELF") && u16_at(18) == Some(62) {
        return BinaryKind::ElfX86_64;
    }
    if head.starts_with(b"MZ") {
        let pe = u32_at(60).map(|offset| offset as usize);
        if let Some(pe) = pe {
            if head.get(pe..pe + 4) == Some(b"PE\0\0") && u16_at(pe + 4) == Some(0x8664) {
                return BinaryKind::PeX86_64;
            }
        }
    }
    if head.starts_with(b"!<arch>\n") {
        return BinaryKind::Archive;
    }
    if head.starts_with(b"\xcf\xfa\xed\xfe") || head.starts_with(b"\xca\xfe\xba\xbe") {
        return BinaryKind::MachO;
    }
    BinaryKind::Unknown
}

/// Checks each plugin of the package at `root`: its `.meta`, and its binary if there.
pub fn check(root: &Path, form: Form, outcome: &mut Outcome) {
    for plugin in PLUGINS {
        let binary = root.join(plugin.path);
        let present = binary.is_file();
        if form == Form::Tarball && !present {
            outcome.expect(!plugin.required, format!("{}: missing", plugin.path));
            continue;
        }
        match std::fs::read_to_string(root.join(format!("{}.meta", plugin.path))) {
            Ok(meta) => check_settings(plugin, &meta, outcome),
            Err(error) => outcome.fail(format!("{}: no .meta ({error})", plugin.path)),
        }
        if present {
            match read_head(&binary) {
                Ok(head) => {
                    let found = binary_kind(&head);
                    outcome.expect(
                        found == plugin.kind,
                        format!("{}: {found}, expected {}", plugin.path, plugin.kind),
                    );
                }
                Err(error) => outcome.fail(format!("{}: {error}", plugin.path)),
            }
        }
    }
}

/// Checks that `meta` enables exactly the plugin's platforms, with its CPU and OS.
pub fn check_settings(plugin: &Plugin, meta: &str, outcome: &mut Outcome) {
    let platforms = platform_data(meta);
    let enabled: Vec<&str> = platforms
        .iter()
        .filter(|(_, settings)| settings.enabled)
        .map(|(name, _)| name.as_str())
        .collect();
    let mut expected = plugin.platforms.to_vec();
    expected.sort_unstable();
    outcome.expect(
        enabled == expected,
        format!(
            "{}.meta: enabled for {enabled:?}, expected {expected:?}",
            plugin.path
        ),
    );
    for name in plugin.platforms {
        let cpu = platforms
            .get(*name)
            .and_then(|settings| settings.cpu.as_deref());
        outcome.expect(
            cpu == Some(plugin.cpu),
            format!(
                "{}.meta: {name}'s CPU is {cpu:?}, expected {:?}",
                plugin.path, plugin.cpu
            ),
        );
    }
    if let Some(expected_os) = plugin.editor_os {
        let os = platforms
            .get("Editor")
            .and_then(|settings| settings.os.as_deref());
        outcome.expect(
            os == Some(expected_os),
            format!(
                "{}.meta: the editor's OS is {os:?}, expected {expected_os:?}",
                plugin.path
            ),
        );
    }
}

fn read_head(path: &Path) -> Result<Vec<u8>, String> {
    let mut head = Vec::with_capacity(4096);
    std::fs::File::open(path)
        .and_then(|file| file.take(4096).read_to_end(&mut head))
        .map_err(|error| error.to_string())?;
    Ok(head)
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A plugin's `.meta` enabling `platforms` as (name, CPU), the editor with `os`.
    pub fn meta(platforms: &[(&str, &str)], editor_os: &str) -> String {
        let mut text = String::from("fileFormatVersion: 2\nguid: 0123456789abcdef0123456789abcdef\nPluginImporter:\n  platformData:\n");
        for (name, cpu) in platforms {
            let first = if *name == "Editor" {
                "Editor"
            } else {
                "Standalone"
            };
            text.push_str(&format!(
                "  - first:\n      {first}: {name}\n    second:\n      enabled: 1\n      settings:\n        CPU: {cpu}\n        OS: {editor_os}\n"
            ));
        }
        text.push_str("  - first:\n      Android: Android\n    second:\n      enabled: 0\n      settings:\n        CPU: None\n  userData: \n");
        text
    }

    fn linux() -> &'static Plugin {
        &PLUGINS[0]
    }

    fn failures_of(meta: &str) -> Vec<String> {
        let mut outcome = Outcome::default();
        check_settings(linux(), meta, &mut outcome);
        outcome.failures
    }

    #[test]
    fn the_linux_plugins_settings_pass() {
        let good = meta(&[("Editor", "x86_64"), ("Linux64", "x86_64")], "Linux");
        assert_eq!(failures_of(&good), Vec::<String>::new());
    }

    #[test]
    fn a_plugin_enabled_for_another_platform_fails() {
        let wrong = meta(&[("Editor", "x86_64"), ("OSXUniversal", "x86_64")], "Linux");
        let failures = failures_of(&wrong);
        assert!(
            failures[0].contains(
                r#"enabled for ["Editor", "OSXUniversal"], expected ["Editor", "Linux64"]"#
            ),
            "{failures:?}"
        );
    }

    #[test]
    fn a_wrong_cpu_or_editor_os_fails() {
        let failures = failures_of(&meta(
            &[("Editor", "x86_64"), ("Linux64", "ARM64")],
            "Linux",
        ));
        assert!(
            failures[0].contains(r#"Linux64's CPU is Some("ARM64"), expected "x86_64""#),
            "{failures:?}"
        );
        let failures = failures_of(&meta(&[("Editor", "x86_64"), ("Linux64", "x86_64")], "OSX"));
        assert!(
            failures[0].contains("the editor's OS is Some(\"OSX\")"),
            "{failures:?}"
        );
    }

    /// The first bytes of an x86-64 PE file, as the C# suite's stand-in DLL has them.
    pub fn pe_head(machine: u16) -> Vec<u8> {
        let mut head = vec![0u8; 512];
        head[..2].copy_from_slice(b"MZ");
        head[60..64].copy_from_slice(&128u32.to_le_bytes());
        head[128..132].copy_from_slice(b"PE\0\0");
        head[132..134].copy_from_slice(&machine.to_le_bytes());
        head
    }

    #[test]
    fn recognises_each_kind_of_binary() {
        let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
        elf.resize(20, 0);
        elf[18] = 62;
        assert_eq!(binary_kind(&elf), BinaryKind::ElfX86_64);
        elf[18] = 183; // aarch64
        assert_eq!(binary_kind(&elf), BinaryKind::Unknown);
        assert_eq!(binary_kind(&pe_head(0x8664)), BinaryKind::PeX86_64);
        assert_eq!(binary_kind(&pe_head(0x014c)), BinaryKind::Unknown);
        assert_eq!(binary_kind(b"!<arch>\n"), BinaryKind::Archive);
        assert_eq!(
            binary_kind(b"\xca\xfe\xba\xbe\0\0\0\x02"),
            BinaryKind::MachO
        );
        assert_eq!(binary_kind(b"MZ"), BinaryKind::Unknown);
        assert_eq!(binary_kind(b""), BinaryKind::Unknown);
    }

    #[test]
    fn knows_the_folders_on_the_way_to_a_plugin() {
        assert!(is_plugin_or_its_folder("Plugins"));
        assert!(is_plugin_or_its_folder("Plugins/Linux/x86_64"));
        assert!(is_plugin_or_its_folder("Plugins/iOS/libhamustro.a"));
        assert!(!is_plugin_or_its_folder("Plugins/Lin"));
        assert!(!is_plugin_or_its_folder("Runtime"));
    }
}
