//! The Windows build of scripts/windows-test.sh: the DLL, its import and static
//! libraries, what the DLL exports (hamustro.def, written by gendef from the DLL's own
//! export table) and the system libraries a static link needs (docs/platforms.md's
//! "Static link (MinGW)" line, against what rustc reports).

use std::collections::BTreeSet;
use std::convert::identity;
use std::path::Path;

use crate::checks::{exactly, Check};
use crate::outcome::Outcome;
use crate::{header, linkage, tool_output};

pub const CHECKS: &[Check] = &[
    Check {
        name: "windows-libraries",
        usage: "DIR OBJDUMP_P (objdump -p of DIR/hamustro.dll; - for standard input)",
        about: "DIR holds hamustro.dll, libhamustro.dll.a and libhamustro.a, and the DLL imports system DLLs only",
        run: |args| windows_libraries(args).unwrap_or_else(identity),
    },
    Check {
        name: "def-exports",
        usage: "DEF (hamustro.def, as gendef writes it from the DLL)",
        about: "the .def names hamustro.dll and exports exactly the functions include/hamustro.h declares",
        run: |args| def_exports(args).unwrap_or_else(identity),
    },
    Check {
        name: "static-link-libraries",
        usage: "RUSTC_OUTPUT (of --print native-static-libs; - for standard input)",
        about: "docs/platforms.md's \"Static link (MinGW)\" line lists exactly the libraries rustc reports",
        run: |args| static_link_libraries(args).unwrap_or_else(identity),
    },
];

/// What the Windows build makes, in its output directory.
const LIBRARIES: [&str; 3] = ["hamustro.dll", "libhamustro.dll.a", "libhamustro.a"];

fn windows_libraries(args: &[String]) -> Result<Outcome, Outcome> {
    let [dir, report] = exactly(args, CHECKS[0].usage)?;
    let mut outcome = Outcome::default();
    for library in LIBRARIES {
        let path = Path::new(&dir).join(library);
        match std::fs::metadata(&path) {
            Ok(metadata) if metadata.is_file() => {
                outcome.found(format!("{library}: {} bytes", metadata.len()));
            }
            _ => outcome.fail(format!("expected {}, found no such file", path.display())),
        }
    }
    if !outcome.passed() {
        return Ok(outcome);
    }
    let report = tool_output::read(&report).map_err(Outcome::failed)?;
    let imports = linkage::judge_system_dlls("hamustro.dll", &report);
    outcome.found.extend(imports.found);
    outcome.failures.extend(imports.failures);
    Ok(outcome)
}

/// A module-definition file: the DLL it describes and the names it exports.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DefFile {
    pub library: Option<String>,
    pub exports: BTreeSet<String>,
}

impl DefFile {
    /// Reads `LIBRARY "name"` and the names under `EXPORTS` (the first word of each
    /// line, before an `@ordinal` or `DATA`); `;` starts a comment.
    pub fn parse(text: &str) -> Self {
        let mut def = Self::default();
        let mut in_exports = false;
        for line in text.lines() {
            let line = line.split(';').next().unwrap_or_default().trim();
            let Some(word) = line.split_whitespace().next() else {
                continue;
            };
            match word {
                "LIBRARY" => {
                    let name = line["LIBRARY".len()..].trim().trim_matches('"');
                    def.library = Some(name.to_string());
                    in_exports = false;
                }
                "EXPORTS" => in_exports = true,
                _ if in_exports => {
                    let name = word.split(['@', '=']).next().unwrap_or(word);
                    def.exports.insert(name.to_string());
                }
                _ => in_exports = false,
            }
        }
        def
    }
}

fn def_exports(args: &[String]) -> Result<Outcome, Outcome> {
    let [path] = exactly(args, CHECKS[1].usage)?;
    let def = DefFile::parse(&tool_output::read(&path).map_err(Outcome::failed)?);
    let declared = header::functions().map_err(Outcome::failed)?;
    Ok(judge_exports(&def, &declared))
}

fn judge_exports(def: &DefFile, declared: &BTreeSet<String>) -> Outcome {
    let mut outcome = Outcome::default();
    outcome.expect(
        def.library.as_deref() == Some("hamustro.dll"),
        format!(
            "expected LIBRARY \"hamustro.dll\", found {}",
            def.library
                .as_deref()
                .map_or("no LIBRARY line".to_string(), |name| format!(
                    "LIBRARY {name:?}"
                ))
        ),
    );
    expect_same(
        &mut outcome,
        declared,
        &def.exports,
        "expected the DLL to export every function include/hamustro.h declares; not exported",
        "expected the DLL to export the header's functions only; also exported",
    );
    if outcome.passed() {
        outcome.found(format!(
            "{} functions exported, as declared in include/hamustro.h",
            def.exports.len()
        ));
    }
    outcome
}

/// The `-l` flags of rustc's `note: native-static-libs:` line(s).
pub fn reported_static_libraries(rustc_output: &str) -> BTreeSet<String> {
    rustc_output
        .lines()
        .filter_map(|line| line.trim().strip_prefix("note: native-static-libs:"))
        .flat_map(str::split_whitespace)
        .filter(|flag| flag.starts_with("-l"))
        .map(str::to_string)
        .collect()
}

/// The system libraries of docs/platforms.md's "Static link (MinGW): `…`" line: its `-l`
/// flags but the library itself (`-l:libhamustro.a`); `None` when there is no such line.
pub fn documented_static_libraries(platforms_md: &str) -> Option<BTreeSet<String>> {
    let line = platforms_md.lines().find_map(|line| {
        line.strip_prefix("Static link (MinGW): `")?
            .strip_suffix('`')
    })?;
    Some(
        line.split_whitespace()
            .filter(|flag| flag.starts_with("-l") && !flag.starts_with("-l:"))
            .map(str::to_string)
            .collect(),
    )
}

fn static_link_libraries(args: &[String]) -> Result<Outcome, Outcome> {
    let [report] = exactly(args, CHECKS[2].usage)?;
    let reported = reported_static_libraries(&tool_output::read(&report).map_err(Outcome::failed)?);
    let platforms_md = tool_output::read_file(&header::repo().join("docs/platforms.md"))
        .map_err(Outcome::failed)?;
    Ok(judge_static_libraries(&reported, &platforms_md))
}

fn judge_static_libraries(reported: &BTreeSet<String>, platforms_md: &str) -> Outcome {
    if reported.is_empty() {
        return Outcome::failed("rustc reported no native-static-libs (no \"note: native-static-libs:\" line with -l flags)");
    }
    let Some(documented) = documented_static_libraries(platforms_md) else {
        return Outcome::failed("docs/platforms.md has no \"Static link (MinGW): `…`\" line");
    };
    let mut outcome = Outcome::default();
    outcome.found(format!(
        "rustc: libhamustro.a needs {}",
        reported.iter().cloned().collect::<Vec<_>>().join(" ")
    ));
    expect_same(
        &mut outcome,
        reported,
        &documented,
        "expected docs/platforms.md's \"Static link (MinGW)\" line to list every library \
         rustc reports; not listed",
        "expected docs/platforms.md's \"Static link (MinGW)\" line to list only what rustc \
         reports; also listed",
    );
    outcome
}

/// Fails naming what `expected` holds and `found` lacks (`lacking: a b`), and what
/// `found` holds beyond it (`beyond: c`).
fn expect_same(
    outcome: &mut Outcome,
    expected: &BTreeSet<String>,
    found: &BTreeSet<String>,
    lacking: &str,
    beyond: &str,
) {
    for (message, names) in [
        (lacking, expected.difference(found)),
        (beyond, found.difference(expected)),
    ] {
        let names: Vec<&str> = names.map(String::as_str).collect();
        outcome.expect(names.is_empty(), format!("{message}: {}", names.join(" ")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linkage::fixtures::objdump_private;

    const DEF: &str = ";\n; Definition file of hamustro.dll\n; Automatic generated by gendef\n\
        ; written by Kai Tietz 2008\n;\nLIBRARY \"hamustro.dll\"\nEXPORTS\n\
        hamustro_config_new\nhamustro_version\n\n";

    fn names(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn reads_gendefs_def_file() {
        let def = DefFile::parse(DEF);
        assert_eq!(def.library.as_deref(), Some("hamustro.dll"));
        assert_eq!(
            def.exports,
            names(&["hamustro_config_new", "hamustro_version"])
        );
        let ordinals = DefFile::parse("LIBRARY x.dll\nEXPORTS\n  f @1 ; one\n  g@2\n  d DATA\n");
        assert_eq!(ordinals.library.as_deref(), Some("x.dll"));
        assert_eq!(ordinals.exports, names(&["d", "f", "g"]));
    }

    #[test]
    fn exports_equal_to_the_header_pass() {
        let declared = names(&["hamustro_config_new", "hamustro_version"]);
        let outcome = judge_exports(&DefFile::parse(DEF), &declared);
        assert!(outcome.passed(), "{outcome:?}");
        assert_eq!(
            outcome.found,
            ["2 functions exported, as declared in include/hamustro.h"]
        );
    }

    #[test]
    fn a_missing_export_fails_naming_it() {
        let declared = names(&["hamustro_config_new", "hamustro_flush", "hamustro_version"]);
        let outcome = judge_exports(&DefFile::parse(DEF), &declared);
        assert_eq!(
            outcome.failures,
            [
                "expected the DLL to export every function include/hamustro.h declares; \
              not exported: hamustro_flush"
            ]
        );
    }

    #[test]
    fn an_extra_export_or_another_library_fails() {
        let declared = names(&["hamustro_version"]);
        let outcome = judge_exports(&DefFile::parse(DEF), &declared);
        assert!(
            outcome.failures[0].ends_with("also exported: hamustro_config_new"),
            "{outcome:?}"
        );
        let other = DefFile::parse(&DEF.replace("\"hamustro.dll\"", "other.dll"));
        let outcome = judge_exports(&other, &names(&["hamustro_config_new", "hamustro_version"]));
        assert_eq!(
            outcome.failures,
            ["expected LIBRARY \"hamustro.dll\", found LIBRARY \"other.dll\""]
        );
    }

    const RUSTC: &str = "   Compiling hamustro v0.9.0 (/work)\n\
        note: Link against the following native artifacts when linking against this static library. \
        The order and any duplication can be significant on some platforms.\n\n\
        note: native-static-libs: -lbcrypt -ladvapi32 -lkernel32 -lntdll -lkernel32 -lws2_32\n\
        \n    Finished `dev` profile\n";
    const DOC: &str = "## Windows\n\nStatic link (MinGW): `-l:libhamustro.a -lbcrypt -ladvapi32 -lkernel32 -lntdll -lws2_32`\n\n(what rustc reports)\n";

    #[test]
    fn reads_rustcs_libraries_and_the_documented_ones() {
        let expected = names(&[
            "-ladvapi32",
            "-lbcrypt",
            "-lkernel32",
            "-lntdll",
            "-lws2_32",
        ]);
        assert_eq!(reported_static_libraries(RUSTC), expected);
        assert_eq!(documented_static_libraries(DOC), Some(expected));
        assert_eq!(documented_static_libraries("no such line"), None);
    }

    #[test]
    fn the_documented_line_equal_to_rustcs_passes() {
        let outcome = judge_static_libraries(&reported_static_libraries(RUSTC), DOC);
        assert!(outcome.passed(), "{outcome:?}");
    }

    #[test]
    fn an_extra_library_in_the_doc_line_fails() {
        let doc = DOC.replace("-lws2_32`", "-lws2_32 -luserenv`");
        let outcome = judge_static_libraries(&reported_static_libraries(RUSTC), &doc);
        assert_eq!(outcome.failures.len(), 1, "{outcome:?}");
        assert!(
            outcome.failures[0].ends_with("also listed: -luserenv"),
            "{outcome:?}"
        );
    }

    #[test]
    fn a_library_rustc_adds_fails_until_listed() {
        let rustc = RUSTC.replace("-lws2_32", "-lws2_32 -lsynchronization");
        let outcome = judge_static_libraries(&reported_static_libraries(&rustc), DOC);
        assert!(
            outcome.failures[0].ends_with("not listed: -lsynchronization"),
            "{outcome:?}"
        );
    }

    #[test]
    fn no_report_or_no_doc_line_fails() {
        assert!(!judge_static_libraries(&BTreeSet::new(), DOC).passed());
        let outcome = judge_static_libraries(&reported_static_libraries(RUSTC), "# nothing\n");
        assert!(
            outcome.failures[0].contains("no \"Static link (MinGW)"),
            "{outcome:?}"
        );
    }

    #[test]
    fn the_committed_doc_line_lists_libraries() {
        let text = std::fs::read_to_string(header::repo().join("docs/platforms.md")).unwrap();
        let documented = documented_static_libraries(&text).expect("the line is there");
        assert!(documented.contains("-lbcrypt"), "{documented:?}");
    }

    #[test]
    fn the_libraries_must_all_be_there() {
        let dir = crate::scratch::Scratch::new("windows-libraries");
        let report = dir.join("objdump.txt");
        std::fs::write(&report, objdump_private(&["KERNEL32.dll"])).unwrap();
        let args = |dir: &Path| [dir.display().to_string(), report.display().to_string()];
        std::fs::write(dir.join("hamustro.dll"), b"MZ").unwrap();
        std::fs::write(dir.join("libhamustro.a"), b"!<arch>").unwrap();
        let outcome = windows_libraries(&args(&dir)).unwrap_or_else(identity);
        assert_eq!(outcome.failures.len(), 1, "{outcome:?}");
        assert!(
            outcome.failures[0].ends_with("libhamustro.dll.a, found no such file"),
            "{outcome:?}"
        );

        std::fs::write(dir.join("libhamustro.dll.a"), b"!<arch>").unwrap();
        let outcome = windows_libraries(&args(&dir)).unwrap_or_else(identity);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(outcome.passed(), "{outcome:?}");
        assert_eq!(
            outcome.found.last().unwrap(),
            "hamustro.dll imports: KERNEL32.dll"
        );
    }
}
