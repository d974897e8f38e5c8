//! What a built binary needs when it runs, as binutils report it: the libraries it
//! loads (`objdump -p`'s "DLL Name:" lines for a Windows program, `readelf -d`'s
//! NEEDED entries for an ELF one), its soname, and the glibc symbol versions it needs
//! (`objdump -T`). The scripts run the tools, the cross chroot's for a Windows binary;
//! the checks here read their reports.

use std::convert::identity;
use std::fmt;

use crate::checks::{exactly, Check};
use crate::outcome::Outcome;
use crate::tool_output;

pub const CHECKS: &[Check] = &[
    Check {
        name: "glibc-at-most",
        usage: "MAX NAME OBJDUMP_T (objdump -T of NAME; - for standard input)",
        about: "NAME needs no glibc symbol version newer than MAX (e.g. 2.17)",
        run: |args| glibc_at_most(args).unwrap_or_else(identity),
    },
    Check {
        name: "system-dlls-only",
        usage: "NAME OBJDUMP_P (objdump -p of the DLL NAME; - for standard input)",
        about: "the DLL imports system DLLs only, no MinGW runtime one: shipping it alone is enough",
        run: |args| system_dlls_only(args).unwrap_or_else(identity),
    },
    Check {
        name: "not-linked-to",
        usage: "LIBRARY NAME REPORT (objdump -p or readelf -d of NAME; - for standard input)",
        about: "the program NAME, linked statically, loads no library named LIBRARY (hamustro.dll, libhamustro)",
        run: |args| not_linked_to(args).unwrap_or_else(identity),
    },
];

/// The libraries a binary loads, from `objdump -p` (a PE's import table) or
/// `readelf -d` (an ELF's NEEDED entries), in the order listed.
pub fn loaded_libraries(report: &str) -> Vec<String> {
    report
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            line.strip_prefix("DLL Name:")
                .map(str::trim)
                .or_else(|| bracketed_after(line, "(NEEDED)"))
                .map(str::to_string)
        })
        .collect()
}

/// `libraries` sorted and each once, case aside: a PE lists a DLL once per import
/// table that names it, as `KERNEL32.dll` and `kernel32.dll`.
fn distinct(mut libraries: Vec<String>) -> Vec<String> {
    libraries.sort_by_key(|library| library.to_ascii_lowercase());
    libraries.dedup_by_key(|library| library.to_ascii_lowercase());
    libraries
}

/// The soname `readelf -d` reports, if there is one.
pub fn soname(readelf_dynamic: &str) -> Option<String> {
    readelf_dynamic
        .lines()
        .find_map(|line| bracketed_after(line.trim(), "(SONAME)"))
        .map(str::to_string)
}

/// `[value]` at the end of a `readelf -d` line whose type is `tag`.
fn bracketed_after<'a>(line: &'a str, tag: &str) -> Option<&'a str> {
    let (_, rest) = line.split_once(tag)?;
    rest.split_once('[')?.1.strip_suffix(']')
}

/// A glibc symbol version, `GLIBC_2.2.5` as `[2, 2, 5]`: compared part by part, so
/// 2.17 is older than 2.28 and newer than 2.2.5.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct GlibcVersion(Vec<u32>);

impl GlibcVersion {
    /// `2.17` (or `GLIBC_2.17`); `None` for anything else, `GLIBC_PRIVATE` among them.
    pub fn parse(text: &str) -> Option<Self> {
        let digits = text.strip_prefix("GLIBC_").unwrap_or(text);
        let parts: Option<Vec<u32>> = digits.split('.').map(|part| part.parse().ok()).collect();
        parts.filter(|parts| parts.len() >= 2).map(Self)
    }

    /// The number alone: `2.17`.
    pub fn number(&self) -> String {
        let parts: Vec<String> = self.0.iter().map(u32::to_string).collect();
        parts.join(".")
    }
}

impl fmt::Display for GlibcVersion {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "GLIBC_{}", self.number())
    }
}

/// Each symbol of `objdump -T` that carries a numbered glibc version, with it: the
/// version is a column of its own (`(GLIBC_2.17)` for an undefined symbol), the
/// symbol's name the last column.
pub fn glibc_symbols(objdump_dynamic: &str) -> Vec<(GlibcVersion, String)> {
    objdump_dynamic
        .lines()
        .filter_map(|line| {
            let columns: Vec<&str> = line.split_whitespace().collect();
            let version = columns.iter().find_map(|column| {
                GlibcVersion::parse(column.trim_start_matches('(').trim_end_matches(')'))
            })?;
            Some((version, (*columns.last()?).to_string()))
        })
        .collect()
}

fn glibc_at_most(args: &[String]) -> Result<Outcome, Outcome> {
    let [max, name, report] = exactly(args, CHECKS[0].usage)?;
    let max = GlibcVersion::parse(&max)
        .ok_or_else(|| Outcome::failed(format!("{max:?} is not a glibc version like 2.17")))?;
    let report = tool_output::read(&report).map_err(Outcome::failed)?;
    Ok(judge_glibc(&max, &name, &report))
}

fn judge_glibc(max: &GlibcVersion, name: &str, objdump_dynamic: &str) -> Outcome {
    let symbols = glibc_symbols(objdump_dynamic);
    let Some(newest) = symbols.iter().map(|(version, _)| version).max() else {
        return Outcome::failed(format!(
            "{name}: objdump -T's report names no GLIBC_ symbol version: \
             is it a dynamically linked ELF file?"
        ));
    };
    let mut outcome = Outcome::default();
    outcome.found(format!(
        "{name}: newest glibc symbol version needed: {newest}"
    ));
    let too_new: Vec<String> = symbols
        .iter()
        .filter(|(version, _)| version > max)
        .map(|(version, symbol)| format!("{symbol} ({version})"))
        .collect();
    outcome.expect(
        too_new.is_empty(),
        format!(
            "{name}: expected no glibc symbol newer than {max}, found {}",
            too_new.join(", ")
        ),
    );
    outcome
}

fn system_dlls_only(args: &[String]) -> Result<Outcome, Outcome> {
    let [name, report] = exactly(args, CHECKS[1].usage)?;
    let report = tool_output::read(&report).map_err(Outcome::failed)?;
    Ok(judge_system_dlls(&name, &report))
}

/// A MinGW runtime DLL (`libgcc_s`, `libwinpthread`, `libstdc++`) starts with `lib` or names
/// MinGW; Windows' own DLLs do neither.
fn is_mingw_runtime(dll: &str) -> bool {
    let dll = dll.to_ascii_lowercase();
    dll.starts_with("lib") || dll.contains("mingw")
}

pub fn judge_system_dlls(name: &str, objdump_private: &str) -> Outcome {
    let imports = distinct(loaded_libraries(objdump_private));
    if imports.is_empty() {
        return Outcome::failed(format!(
            "{name}: objdump -p's report names no imported DLL (no \"DLL Name:\" line)"
        ));
    }
    let mut outcome = Outcome::default();
    outcome.found(format!("{name} imports: {}", imports.join(" ")));
    let runtime: Vec<&str> = imports
        .iter()
        .map(String::as_str)
        .filter(|dll| is_mingw_runtime(dll))
        .collect();
    outcome.expect(
        runtime.is_empty(),
        format!(
            "{name}: expected system DLLs only, found a MinGW runtime DLL, which users \
             would have to ship too: {}",
            runtime.join(", ")
        ),
    );
    outcome
}

fn not_linked_to(args: &[String]) -> Result<Outcome, Outcome> {
    let [library, name, report] = exactly(args, CHECKS[2].usage)?;
    let report = tool_output::read(&report).map_err(Outcome::failed)?;
    Ok(judge_not_linked_to(&library, &name, &report))
}

/// `library` matches a loaded library named exactly so or with a version after it
/// (`libhamustro` matches `libhamustro.so.0`), case aside as Windows does.
pub fn judge_not_linked_to(library: &str, name: &str, report: &str) -> Outcome {
    let loaded = distinct(loaded_libraries(report));
    if loaded.is_empty() {
        return Outcome::failed(format!(
            "{name}: the report names no library it loads: expected objdump -p's \
             \"DLL Name:\" lines or readelf -d's NEEDED entries"
        ));
    }
    let library = library.to_ascii_lowercase();
    let matching: Vec<&str> = loaded
        .iter()
        .map(String::as_str)
        .filter(|loaded| {
            let loaded = loaded.to_ascii_lowercase();
            loaded == library || loaded.starts_with(&format!("{library}."))
        })
        .collect();
    let mut outcome = Outcome::default();
    outcome.found(format!("{name} loads: {}", loaded.join(" ")));
    outcome.expect(
        matching.is_empty(),
        format!(
            "{name}: expected a static link, which loads no {library}; found it loads {}",
            matching.join(", ")
        ),
    );
    outcome
}

#[cfg(test)]
pub mod fixtures {
    /// `x86_64-w64-mingw32-objdump -p` of a DLL, cut to its import table.
    pub fn objdump_private(dlls: &[&str]) -> String {
        let mut report = String::from(
            "hamustro.dll:     file format pei-x86-64\n\n\
             The Import Tables (interpreted .idata section contents)\n \
             vma:            Hint    Time      Forward  DLL       First\n",
        );
        for dll in dlls {
            report.push_str(&format!(
                "\n\tDLL Name: {dll}\n\tvma:  Hint/Ord Member-Name Bound-To\n\t1a0f0\t  123  Sleep\n"
            ));
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::objdump_private;
    use super::*;

    const READELF: &str = "\nDynamic section at offset 0x23d98 contains 27 entries:\n  \
        Tag        Type                         Name/Value\n \
        0x0000000000000001 (NEEDED)             Shared library: [libgcc_s.so.1]\n \
        0x0000000000000001 (NEEDED)             Shared library: [libc.so.6]\n \
        0x000000000000000e (SONAME)             Library soname: [libhamustro.so.0]\n \
        0x000000000000000c (INIT)               0x4000\n";

    fn objdump_dynamic(symbols: &[(&str, &str)]) -> String {
        let mut report = String::from(
            "\nlibhamustro.so.0.9.0:     file format elf64-x86-64\n\nDYNAMIC SYMBOL TABLE:\n",
        );
        for (version, symbol) in symbols {
            report.push_str(&format!(
                "0000000000000000      DF *UND*\t0000000000000000 ({version}) {symbol}\n"
            ));
        }
        report.push_str(
            "0000000000000000  w   D  *UND*\t0000000000000000  Base        __gmon_start__\n",
        );
        report.push_str(
            "00000000000a1b20 g    DF .text\t0000000000000042  Base        hamustro_version\n",
        );
        report
    }

    #[test]
    fn reads_the_loaded_libraries_of_either_report() {
        assert_eq!(loaded_libraries(READELF), ["libgcc_s.so.1", "libc.so.6"]);
        assert_eq!(
            loaded_libraries(&objdump_private(&["KERNEL32.dll", "bcrypt.dll"])),
            ["KERNEL32.dll", "bcrypt.dll"]
        );
        assert_eq!(soname(READELF).as_deref(), Some("libhamustro.so.0"));
        assert_eq!(soname("no dynamic section"), None);
    }

    #[test]
    fn glibc_versions_compare_part_by_part() {
        let v = |text| GlibcVersion::parse(text).unwrap();
        assert!(v("2.2.5") < v("2.17"));
        assert!(v("GLIBC_2.17") < v("GLIBC_2.28"));
        assert_eq!(v("2.17").to_string(), "GLIBC_2.17");
        assert_eq!(GlibcVersion::parse("GLIBC_PRIVATE"), None);
        assert_eq!(GlibcVersion::parse("GLIBC_"), None);
    }

    #[test]
    fn glibc_up_to_the_limit_passes() {
        let report = objdump_dynamic(&[("GLIBC_2.2.5", "malloc"), ("GLIBC_2.17", "clock_gettime")]);
        let outcome = judge_glibc(&GlibcVersion::parse("2.17").unwrap(), "lib", &report);
        assert!(outcome.passed(), "{outcome:?}");
        assert_eq!(
            outcome.found,
            ["lib: newest glibc symbol version needed: GLIBC_2.17"]
        );
    }

    #[test]
    fn a_glibc_2_28_symbol_fails_naming_it() {
        let report = objdump_dynamic(&[("GLIBC_2.2.5", "malloc"), ("GLIBC_2.28", "fcntl64")]);
        let outcome = judge_glibc(&GlibcVersion::parse("2.17").unwrap(), "lib", &report);
        assert!(!outcome.passed());
        assert_eq!(
            outcome.failures,
            ["lib: expected no glibc symbol newer than GLIBC_2.17, found fcntl64 (GLIBC_2.28)"]
        );
    }

    #[test]
    fn a_report_without_glibc_fails() {
        let outcome = judge_glibc(&GlibcVersion::parse("2.17").unwrap(), "lib", "");
        assert!(
            outcome.failures[0].contains("no GLIBC_ symbol version"),
            "{outcome:?}"
        );
    }

    #[test]
    fn system_dlls_pass_and_a_mingw_runtime_fails() {
        let system = objdump_private(&["KERNEL32.dll", "bcrypt.dll", "ntdll.dll", "kernel32.dll"]);
        let outcome = judge_system_dlls("hamustro.dll", &system);
        assert!(outcome.passed(), "{outcome:?}");
        assert_eq!(
            outcome.found,
            ["hamustro.dll imports: bcrypt.dll KERNEL32.dll ntdll.dll"]
        );

        let runtime =
            objdump_private(&["KERNEL32.dll", "libgcc_s_seh-1.dll", "libwinpthread-1.dll"]);
        let outcome = judge_system_dlls("hamustro.dll", &runtime);
        assert!(!outcome.passed());
        assert!(
            outcome.failures[0].ends_with("libgcc_s_seh-1.dll, libwinpthread-1.dll"),
            "{outcome:?}"
        );
        assert!(!judge_system_dlls("hamustro.dll", "").passed());
    }

    #[test]
    fn a_static_program_loads_no_hamustro_library() {
        let windows = objdump_private(&["KERNEL32.dll", "bcrypt.dll"]);
        assert!(judge_not_linked_to("hamustro.dll", "example.exe", &windows).passed());
        let linux = READELF.replace("libhamustro.so.0", "x");
        assert!(judge_not_linked_to("libhamustro", "consumer_static", &linux).passed());
    }

    #[test]
    fn a_program_still_loading_hamustro_fails() {
        let windows = objdump_private(&["KERNEL32.dll", "HAMUSTRO.DLL"]);
        let outcome = judge_not_linked_to("hamustro.dll", "example.exe", &windows);
        assert!(
            outcome.failures[0].ends_with("found it loads HAMUSTRO.DLL"),
            "{outcome:?}"
        );

        let linux = READELF.replace("libgcc_s.so.1", "libhamustro.so.0");
        let outcome = judge_not_linked_to("libhamustro", "consumer_static", &linux);
        assert!(
            outcome.failures[0].ends_with("libhamustro.so.0"),
            "{outcome:?}"
        );
        // Not a prefix of another name.
        let other = READELF.replace("libgcc_s.so.1", "libhamustrox.so");
        assert!(judge_not_linked_to("libhamustro", "consumer_static", &other).passed());
    }

    #[test]
    fn an_empty_report_is_not_a_static_link() {
        let outcome = judge_not_linked_to("hamustro.dll", "example.exe", "");
        assert!(
            outcome.failures[0].contains("names no library"),
            "{outcome:?}"
        );
    }
}
