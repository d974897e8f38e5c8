//! The addon's Linux libraries: an x86-64 ELF shared object (its header) and what its
//! dynamic symbol table says (`objdump -T`): the symbols it exports, and the glibc
//! versions it needs, which must stay at 2.17 for the distributions the addon targets.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::linkage::glibc_symbols;
pub use crate::linkage::GlibcVersion;

/// Checks the ELF header: 64-bit, a shared object (`ET_DYN`), for x86-64.
pub fn check_header(data: &[u8]) -> Result<(), String> {
    if !data.starts_with(b"\x7fELF") || data.get(4) != Some(&2) {
        return Err("not a 64-bit ELF file".to_string());
    }
    let u16_at = |at: usize| {
        data.get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let (kind, machine) = (u16_at(16), u16_at(18));
    if kind != Some(3) || machine != Some(62) {
        return Err(format!(
            "ELF type {kind:?}, machine {machine:?}: not an x86-64 shared object (3, 62)"
        ));
    }
    Ok(())
}

/// What `objdump -T` lists of a library.
#[derive(Debug, Default)]
pub struct DynamicSymbols {
    /// The functions it defines in `.text` and exports.
    pub exported: BTreeSet<String>,
    /// Every glibc version a symbol it needs names.
    pub glibc: BTreeSet<GlibcVersion>,
}

impl DynamicSymbols {
    /// Runs `objdump -T` on the library at `path`.
    pub fn of(path: &Path) -> Result<Self, String> {
        let output = Command::new("objdump")
            .arg("-T")
            .arg(path)
            .output()
            .map_err(|error| format!("objdump -T {}: {error}", path.display()))?;
        if !output.status.success() {
            return Err(format!(
                "objdump -T {}: {}: {}",
                path.display(),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(Self::parse(&String::from_utf8_lossy(&output.stdout)))
    }

    /// Reads `objdump -T`'s table: `ADDRESS FLAGS SECTION SIZE [VERSION] NAME`, a line a
    /// symbol, the undefined ones in `*UND*`.
    pub fn parse(table: &str) -> Self {
        let mut symbols = Self::default();
        for line in table.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let Some(name) = fields.last() else {
                continue;
            };
            if fields.contains(&".text") {
                symbols.exported.insert((*name).to_string());
            }
        }
        symbols.glibc = glibc_symbols(table)
            .into_iter()
            .map(|(version, _)| version)
            .collect();
        symbols
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `objdump -T` of a Godot library, shortened.
    const TABLE: &str = "
libhamustro_godot.so:     file format elf64-x86-64

DYNAMIC SYMBOL TABLE:
0000000000000000      DF *UND*\t0000000000000000 (GLIBC_2.2.5) memcpy
0000000000000000      DF *UND*\t0000000000000000 (GLIBC_2.14) memcpy
0000000000000000  w   DF *UND*\t0000000000000000  GLIBC_2.17  clock_gettime
0000000000000000      DF *UND*\t0000000000000000  GLIBC_PRIVATE _dl_find_object
00000000001a2b30 g    DF .text\t0000000000000123  Base        gdext_rust_init
00000000002c0000 g    DO .data\t0000000000000008  Base        some_data
";

    #[test]
    fn reads_the_exports_and_glibc_versions() {
        let symbols = DynamicSymbols::parse(TABLE);
        assert_eq!(
            symbols.exported,
            BTreeSet::from(["gdext_rust_init".to_string()])
        );
        let versions: Vec<String> = symbols.glibc.iter().map(GlibcVersion::number).collect();
        assert_eq!(versions, ["2.2.5", "2.14", "2.17"]);
    }

    #[test]
    fn checks_the_header() {
        let mut header = b"\x7fELF\x02\x01\x01".to_vec();
        header.resize(64, 0);
        header[16] = 3;
        header[18] = 62;
        assert_eq!(check_header(&header), Ok(()));
        header[18] = 183; // aarch64
        let error = check_header(&header).unwrap_err();
        assert!(error.contains("machine Some(183)"), "{error}");
        header[18] = 62;
        header[16] = 2; // an executable
        assert!(check_header(&header).is_err());
        assert!(check_header(b"MZ").is_err());
        assert!(check_header(b"\x7fELF\x02").is_err());
    }
}
