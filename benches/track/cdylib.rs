//! The shipped library: `target/release/libhamustro.so`, rebuilt when older than its
//! sources, its size and whether it is stripped.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use crate::elf::elf_is_stripped;
use crate::progress;

pub struct CdylibInfo {
    pub path: PathBuf,
    pub bytes: Option<u64>,
    /// Some(true) when the ELF file has no symbol table and no debug sections.
    pub stripped: Option<bool>,
    pub rebuilt: bool,
    pub note: Option<String>,
}

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn target_dir() -> PathBuf {
    let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from) else {
        return manifest_dir().join("target");
    };
    if dir.is_absolute() {
        dir
    } else {
        manifest_dir().join(dir)
    }
}

/// Reports `target/release/libhamustro.so`, first building it with `cargo build
/// --release --lib` when it is missing or older than the sources.
pub fn cdylib() -> CdylibInfo {
    let path = target_dir().join("release").join("libhamustro.so");
    let built_at = modified(&path);
    let sources_at = newest_source();
    let mut rebuilt = false;
    let mut note = None;
    if built_at.is_none() || built_at < sources_at {
        progress("  missing or older than the sources: cargo build --release --lib");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--release", "--lib", "--quiet"])
            .current_dir(manifest_dir())
            .status();
        match status {
            Ok(status) if status.success() => rebuilt = true,
            Ok(status) => note = Some(format!("cargo build --release --lib failed: {status}")),
            Err(e) => note = Some(format!("cannot run cargo: {e}")),
        }
    }
    let bytes = std::fs::metadata(&path).ok().map(|m| m.len());
    let stripped = std::fs::read(&path)
        .ok()
        .and_then(|elf| elf_is_stripped(&elf));
    CdylibInfo {
        path,
        bytes,
        stripped,
        rebuilt,
        note,
    }
}

pub fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time among the inputs of the library.
pub fn newest_source() -> Option<SystemTime> {
    fn walk(path: &Path, newest: &mut Option<SystemTime>) {
        if path.is_dir() {
            for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
                walk(&entry.path(), newest);
            }
        } else {
            *newest = (*newest).max(modified(path));
        }
    }
    let mut newest = None;
    for input in ["src", "proto", "build.rs", "Cargo.toml", "Cargo.lock"] {
        walk(&manifest_dir().join(input), &mut newest);
    }
    newest
}
