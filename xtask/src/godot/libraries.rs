//! The addon's native libraries: which ones it has, and that each is built for its
//! platform, exports gdext's entry point, needs no glibc newer than 2.17 (Linux), and
//! carries the class reference only when the editor loads it.

use std::path::Path;

use super::elf::{self, DynamicSymbols, GlibcVersion};
use super::pe;
use crate::outcome::Outcome;

/// gdext's entry point, which Godot looks up by name in each library.
pub const ENTRY: &str = "gdext_rust_init";
/// The first words of the class's description (`bindings/godot/src/hamustro_node.rs`):
/// the editor's libraries carry the class reference for its help (gdext's
/// `register-docs`), the export templates' do not.
pub const REFERENCE: &[u8] = b"Tracks events and delivers them";
const NEWEST_GLIBC: &str = "2.17";

/// Which system a library is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
    Linux,
    Windows,
}

/// One of the addon's native libraries.
pub struct Library {
    /// Its key in the `.gdextension`'s `[libraries]`.
    pub platform: &'static str,
    /// Its path under the addon.
    pub path: &'static str,
    pub system: System,
    /// Whether the editor loads it (rather than an exported game).
    pub editor: bool,
}

/// Each platform's library, as the `.gdextension` names it and the zip holds it.
pub const LIBRARIES: &[Library] = &[
    Library {
        platform: "linux.editor.x86_64",
        path: "bin/linux-x86_64/libhamustro_godot.editor.so",
        system: System::Linux,
        editor: true,
    },
    Library {
        platform: "linux.x86_64",
        path: "bin/linux-x86_64/libhamustro_godot.so",
        system: System::Linux,
        editor: false,
    },
    Library {
        platform: "windows.editor.x86_64",
        path: "bin/windows-x86_64/hamustro_godot.editor.dll",
        system: System::Windows,
        editor: true,
    },
    Library {
        platform: "windows.x86_64",
        path: "bin/windows-x86_64/hamustro_godot.dll",
        system: System::Windows,
        editor: false,
    },
];

/// Checks one library: its platform and export, then whether it carries the class
/// reference.
pub fn check_library(path: &Path, library: &Library, outcome: &mut Outcome) {
    let name = library.path;
    let data = match std::fs::read(path) {
        Ok(data) => data,
        Err(error) => return outcome.fail(format!("{name}: {error}")),
    };
    match library.system {
        System::Linux => check_linux(path, &data, name, outcome),
        System::Windows => check_windows(&data, name, outcome),
    }
    check_reference(&data, library, outcome);
}

fn check_linux(path: &Path, data: &[u8], name: &str, outcome: &mut Outcome) {
    if let Err(error) = elf::check_header(data) {
        return outcome.fail(format!("{name}: {error}"));
    }
    match DynamicSymbols::of(path) {
        Ok(symbols) => check_linux_symbols(&symbols, name, outcome),
        Err(error) => outcome.fail(format!("{name}: {error}")),
    }
}

/// The entry point is exported, and no glibc newer than 2.17 is needed.
fn check_linux_symbols(symbols: &DynamicSymbols, name: &str, outcome: &mut Outcome) {
    let newest = symbols.glibc.last();
    outcome.found(format!(
        "{name}: exports {ENTRY}: {}; newest glibc symbol version {}",
        symbols.exported.contains(ENTRY),
        newest.map_or("none".to_string(), GlibcVersion::number),
    ));
    outcome.expect(
        symbols.exported.contains(ENTRY),
        format!("{name} does not export {ENTRY}"),
    );
    let limit = GlibcVersion::parse(NEWEST_GLIBC).expect("a glibc version");
    match newest {
        Some(newest) => outcome.expect(
            *newest <= limit,
            format!(
                "{name} needs glibc {}, expected at most {}",
                newest.number(),
                limit.number()
            ),
        ),
        None => outcome.fail(format!(
            "{name} names no glibc version: not a glibc library"
        )),
    }
}

/// An x86-64 DLL exporting the entry point.
fn check_windows(data: &[u8], name: &str, outcome: &mut Outcome) {
    let dll = match pe::read(data) {
        Ok(dll) => dll,
        Err(error) => return outcome.fail(format!("{name}: {error}")),
    };
    outcome.found(format!(
        "{name}: machine {:#x}, {} exports",
        dll.machine,
        dll.exports.len()
    ));
    outcome.expect(
        dll.machine == pe::MACHINE_X86_64,
        format!(
            "{name}: machine {:#x}, expected x86-64 (0x8664)",
            dll.machine
        ),
    );
    outcome.expect(
        dll.exports.iter().any(|export| export == ENTRY),
        format!("{name} does not export {ENTRY}"),
    );
}

/// The editor's libraries carry the class reference; the export templates' do not.
fn check_reference(data: &[u8], library: &Library, outcome: &mut Outcome) {
    let name = library.path;
    let carries = data
        .windows(REFERENCE.len())
        .any(|window| window == REFERENCE);
    if library.editor {
        outcome.expect(
            carries,
            format!("{name} carries no class reference (register-docs)"),
        );
    } else {
        outcome.expect(
            !carries,
            format!("{name}, for export templates, carries the class reference (register-docs)"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linux_symbols(table: &str) -> Vec<String> {
        let mut outcome = Outcome::default();
        check_linux_symbols(
            &DynamicSymbols::parse(table),
            "libhamustro_godot.so",
            &mut outcome,
        );
        outcome.failures
    }

    #[test]
    fn a_linux_library_needing_a_newer_glibc_or_missing_the_export_fails() {
        let good = "0 DF *UND* 0 (GLIBC_2.2.5) memcpy\n0 g DF .text 0 Base gdext_rust_init\n";
        assert_eq!(linux_symbols(good), Vec::<String>::new());
        let newer = format!("{good}0 DF *UND* 0 (GLIBC_2.34) __libc_start_main\n");
        assert_eq!(
            linux_symbols(&newer),
            ["libhamustro_godot.so needs glibc 2.34, expected at most 2.17"]
        );
        let unexported = "0 DF *UND* 0 (GLIBC_2.2.5) memcpy\n0 DF *UND* 0 Base gdext_rust_init\n";
        assert_eq!(
            linux_symbols(unexported),
            [format!("libhamustro_godot.so does not export {ENTRY}")]
        );
    }

    #[test]
    fn objdump_reads_a_real_library() {
        // This test's own executable: a glibc program, with a dynamic symbol table.
        let exe = std::env::current_exe().expect("the test knows its executable");
        let symbols = DynamicSymbols::of(&exe).expect("objdump -T runs");
        assert!(!symbols.glibc.is_empty(), "{symbols:?}");
    }
}
