//! The two SDK archives of scripts/dist.sh, unpacked: the Linux one's files, soname
//! and links, and the Windows one's files, hamustro.def and the MSVC instructions.

use std::convert::identity;
use std::path::{Path, PathBuf};

use crate::checks::{exactly, Check};
use crate::outcome::Outcome;
use crate::windows::DefFile;
use crate::{linkage, tool_output};

pub const CHECKS: &[Check] = &[
    Check {
        name: "linux-sdk",
        usage: "DIR VERSION READELF_D (readelf -d of DIR/lib/libhamustro.so.VERSION; - for standard input)",
        about: "the Linux SDK's files, libhamustro.so -> soname -> libhamustro.so.VERSION, and hamustro.pc's Version",
        run: |args| linux_sdk(args).unwrap_or_else(identity),
    },
    Check {
        name: "windows-sdk",
        usage: "DIR",
        about: "the Windows SDK's files, lib/hamustro.def naming hamustro.dll, and the README's MSVC `lib /def:` line",
        run: |args| windows_sdk(args).unwrap_or_else(identity),
    },
];

/// What every Linux SDK holds, beside the versioned library.
const LINUX_FILES: &[&str] = &[
    "include/hamustro.h",
    "include/hamustro.hpp",
    "bin/hamustro-collector",
    "lib/libhamustro.a",
    "lib/pkgconfig/hamustro.pc",
    "lib/cmake/hamustro/hamustroConfig.cmake",
    "lib/cmake/hamustro/hamustroConfigVersion.cmake",
    "LICENSE",
    "README.md",
];

const WINDOWS_FILES: &[&str] = &[
    "bin/hamustro.dll",
    "bin/hamustro-collector.exe",
    "lib/libhamustro.dll.a",
    "lib/hamustro.def",
    "lib/libhamustro.a",
    "include/hamustro.h",
    "include/hamustro.hpp",
    "lib/cmake/hamustro/hamustroConfig.cmake",
    "lib/cmake/hamustro/hamustroConfigVersion.cmake",
    "LICENSE",
    "README.md",
];

/// Fails for each of `files` that is not a regular file (or a link to one) under `dir`.
fn expect_files(outcome: &mut Outcome, dir: &Path, files: &[&str]) {
    for file in files {
        outcome.expect(
            dir.join(file).is_file(),
            format!("expected {file} in {}, found no such file", dir.display()),
        );
    }
}

/// Every file and link under `dir`, relative to it, sorted: what the archive holds.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, found: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => walk(root, &path, found),
                Ok(_) => found.push(relative(root, &path)),
                Err(_) => continue,
            }
        }
    }
    let mut found = Vec::new();
    walk(dir, dir, &mut found);
    found.sort();
    found
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Where the link at `path` points, as written in it; `None` if it is no link.
fn link_target(path: &Path) -> Option<PathBuf> {
    std::fs::read_link(path).ok()
}

fn linux_sdk(args: &[String]) -> Result<Outcome, Outcome> {
    let [dir, version, report] = exactly(args, CHECKS[0].usage)?;
    let report = tool_output::read(&report).map_err(Outcome::failed)?;
    Ok(judge_linux_sdk(Path::new(&dir), &version, &report))
}

fn judge_linux_sdk(dir: &Path, version: &str, readelf_dynamic: &str) -> Outcome {
    let mut outcome = Outcome::default();
    let library = format!("libhamustro.so.{version}");
    expect_files(&mut outcome, dir, &[&format!("lib/{library}")]);
    expect_files(&mut outcome, dir, LINUX_FILES);

    let lib = dir.join("lib");
    match linkage::soname(readelf_dynamic) {
        Some(soname) if soname.starts_with("libhamustro.so.") => {
            outcome.found(format!("soname {soname}"));
            let soname_link = link_target(&lib.join(&soname));
            let dev_link = link_target(&lib.join("libhamustro.so"));
            outcome.expect(
                soname_link.as_deref() == Some(Path::new(&library))
                    && dev_link.as_deref() == Some(Path::new(&soname)),
                format!(
                    "expected the links libhamustro.so -> {soname} -> {library}, found \
                     libhamustro.so -> {}, {soname} -> {}",
                    shown(dev_link.as_deref()),
                    shown(soname_link.as_deref())
                ),
            );
        }
        Some(soname) => outcome.fail(format!(
            "expected a soname libhamustro.so.*, found {soname}"
        )),
        None => outcome.fail(format!(
            "expected a soname, found none in readelf -d's report of lib/{library}"
        )),
    }

    if let Ok(pc) = tool_output::read_file(&lib.join("pkgconfig/hamustro.pc")) {
        let found = pc
            .lines()
            .find_map(|line| line.strip_prefix("Version:"))
            .map(str::trim);
        outcome.expect(
            found == Some(version),
            format!(
                "expected hamustro.pc's Version: {version}, found {}",
                found.unwrap_or("no Version line")
            ),
        );
    }
    outcome.found(format!("files: {}", tree(dir).join(" ")));
    outcome
}

fn shown(target: Option<&Path>) -> String {
    target.map_or("(no link)".to_string(), |target| {
        target.display().to_string()
    })
}

fn windows_sdk(args: &[String]) -> Result<Outcome, Outcome> {
    let [dir] = exactly(args, CHECKS[1].usage)?;
    Ok(judge_windows_sdk(Path::new(&dir)))
}

fn judge_windows_sdk(dir: &Path) -> Outcome {
    let mut outcome = Outcome::default();
    expect_files(&mut outcome, dir, WINDOWS_FILES);
    if let Ok(def) = tool_output::read_file(&dir.join("lib/hamustro.def")) {
        let library = DefFile::parse(&def).library;
        outcome.expect(
            library.as_deref() == Some("hamustro.dll"),
            format!(
                "expected lib/hamustro.def to name LIBRARY \"hamustro.dll\", found {}",
                library.map_or("no LIBRARY line".to_string(), |name| format!("{name:?}"))
            ),
        );
    }
    if let Ok(readme) = tool_output::read_file(&dir.join("README.md")) {
        outcome.expect(
            readme.contains("lib /def:"),
            "expected README.md to say how MSVC links (`lib /def:`), found no such line",
        );
    }
    outcome.found(format!("files: {}", tree(dir).join(" ")));
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    const VERSION: &str = "0.9.0";
    const READELF: &str =
        " 0x000000000000000e (SONAME)             Library soname: [libhamustro.so.0]\n";

    fn linux_tree(name: &str) -> crate::scratch::Scratch {
        let dir = crate::scratch::Scratch::new(name);
        for file in LINUX_FILES {
            crate::scratch::write_file(&dir, file, "x");
        }
        crate::scratch::write_file(
            &dir,
            "lib/pkgconfig/hamustro.pc",
            "Name: hamustro\nVersion: 0.9.0\n",
        );
        crate::scratch::write_file(&dir, "lib/libhamustro.so.0.9.0", "\x7fELF");
        symlink("libhamustro.so.0.9.0", dir.join("lib/libhamustro.so.0")).unwrap();
        symlink("libhamustro.so.0", dir.join("lib/libhamustro.so")).unwrap();
        dir
    }

    fn windows_tree(name: &str) -> crate::scratch::Scratch {
        let dir = crate::scratch::Scratch::new(name);
        for file in WINDOWS_FILES {
            crate::scratch::write_file(&dir, file, "x");
        }
        crate::scratch::write_file(
            &dir,
            "lib/hamustro.def",
            "LIBRARY \"hamustro.dll\"\nEXPORTS\nhamustro_version\n",
        );
        crate::scratch::write_file(
            &dir,
            "README.md",
            "lib /def:lib\\hamustro.def /machine:x64\n",
        );
        dir
    }

    #[test]
    fn a_complete_linux_sdk_passes() {
        let dir = linux_tree("linux-sdk-complete");
        let outcome = judge_linux_sdk(&dir, VERSION, READELF);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(outcome.passed(), "{outcome:?}");
        assert_eq!(outcome.found[0], "soname libhamustro.so.0");
        assert!(
            outcome.found[1].contains(" lib/libhamustro.so lib/libhamustro.so.0 "),
            "{outcome:?}"
        );
    }

    #[test]
    fn a_missing_linux_file_fails_naming_it() {
        let dir = linux_tree("linux-sdk-missing");
        std::fs::remove_file(dir.join("include/hamustro.hpp")).unwrap();
        let outcome = judge_linux_sdk(&dir, VERSION, READELF);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(outcome.failures.len(), 1, "{outcome:?}");
        assert!(
            outcome.failures[0].starts_with("expected include/hamustro.hpp in "),
            "{outcome:?}"
        );
    }

    #[test]
    fn wrong_links_a_wrong_soname_or_version_fail() {
        let dir = linux_tree("linux-sdk-links");
        std::fs::remove_file(dir.join("lib/libhamustro.so")).unwrap();
        symlink("libhamustro.so.0.9.0", dir.join("lib/libhamustro.so")).unwrap();
        let outcome = judge_linux_sdk(&dir, VERSION, READELF);
        assert_eq!(
            outcome.failures,
            ["expected the links libhamustro.so -> libhamustro.so.0 -> libhamustro.so.0.9.0, \
              found libhamustro.so -> libhamustro.so.0.9.0, libhamustro.so.0 -> libhamustro.so.0.9.0"]
        );
        let outcome = judge_linux_sdk(&dir, VERSION, "");
        assert!(
            outcome.failures[0].starts_with("expected a soname, found none"),
            "{outcome:?}"
        );
        let outcome = judge_linux_sdk(
            &dir,
            VERSION,
            &READELF.replace("libhamustro.so.0", "libother.so.1"),
        );
        assert!(
            outcome.failures[0].ends_with("found libother.so.1"),
            "{outcome:?}"
        );
        let outcome = judge_linux_sdk(&dir, "0.9.1", READELF);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            outcome
                .failures
                .iter()
                .any(|failure| failure == "expected hamustro.pc's Version: 0.9.1, found 0.9.0"),
            "{outcome:?}"
        );
    }

    #[test]
    fn a_complete_windows_sdk_passes() {
        let dir = windows_tree("windows-sdk-complete");
        let outcome = judge_windows_sdk(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(outcome.passed(), "{outcome:?}");
        assert!(
            outcome.found[0].starts_with("files: LICENSE README.md bin/hamustro-collector.exe"),
            "{outcome:?}"
        );
    }

    #[test]
    fn a_missing_windows_file_fails_naming_it() {
        let dir = windows_tree("windows-sdk-missing");
        std::fs::remove_file(dir.join("lib/libhamustro.dll.a")).unwrap();
        let outcome = judge_windows_sdk(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(outcome.failures.len(), 1, "{outcome:?}");
        assert!(
            outcome.failures[0].starts_with("expected lib/libhamustro.dll.a in "),
            "{outcome:?}"
        );
    }

    #[test]
    fn a_def_without_library_or_a_readme_without_msvc_fails() {
        let dir = windows_tree("windows-sdk-def");
        crate::scratch::write_file(&dir, "lib/hamustro.def", "EXPORTS\nhamustro_version\n");
        crate::scratch::write_file(&dir, "README.md", "MinGW only\n");
        let outcome = judge_windows_sdk(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            outcome.failures,
            [
                "expected lib/hamustro.def to name LIBRARY \"hamustro.dll\", found no LIBRARY line",
                "expected README.md to say how MSVC links (`lib /def:`), found no such line"
            ]
        );
    }
}
