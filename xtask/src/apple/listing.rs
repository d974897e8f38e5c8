//! What llvm-objdump and llvm-nm say of one static library, as scripts/apple-test.sh
//! saves it (it runs the tools, in the cross chroot; this reads their output): one
//! directory an archive, holding
//!
//! - `private-headers.txt`: `llvm-objdump --macho --private-headers ARCHIVE`
//! - `defined-symbols.txt`: `llvm-nm --no-llvm-bc --extern-only --defined-only ARCHIVE`
//! - `undefined-symbols.txt`: the same with `--undefined-only`

use std::collections::BTreeSet;
use std::path::Path;

pub const PRIVATE_HEADERS: &str = "private-headers.txt";
pub const DEFINED_SYMBOLS: &str = "defined-symbols.txt";
pub const UNDEFINED_SYMBOLS: &str = "undefined-symbols.txt";

/// One archive, as the tools listed it.
#[derive(Debug)]
pub struct Listing {
    /// The archive's path as llvm-objdump names it, for messages.
    pub archive: String,
    pub members: Vec<Member>,
    /// Every external symbol some member defines.
    pub defined: BTreeSet<String>,
    /// Every external symbol some member uses without defining it.
    pub undefined: BTreeSet<String>,
}

/// One object file of the archive, from its Mach-O header and load commands.
#[derive(Debug, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    /// The header says `MH_MAGIC_64 ARM64`.
    pub arm64: bool,
    /// Each `LC_BUILD_VERSION`'s `platform` (ios, iossimulator, macos…).
    pub platforms: Vec<String>,
    /// Each `LC_BUILD_VERSION`'s `minos`.
    pub minimum_versions: Vec<String>,
}

impl Listing {
    /// Reads the three files of `directory`; a missing one is an error naming it.
    pub fn read(directory: &Path) -> Result<Self, String> {
        let read = |name: &str| {
            let path = directory.join(name);
            std::fs::read_to_string(&path).map_err(|error| format!("{}: {error}", path.display()))
        };
        let headers = read(PRIVATE_HEADERS)?;
        Ok(Self {
            archive: archive_name(&headers).unwrap_or_else(|| directory.display().to_string()),
            members: members(&headers),
            defined: symbols(&read(DEFINED_SYMBOLS)?),
            undefined: symbols(&read(UNDEFINED_SYMBOLS)?),
        })
    }

    /// What the archive calls from outside itself: used by a member, defined by none.
    pub fn called(&self) -> BTreeSet<String> {
        self.undefined.difference(&self.defined).cloned().collect()
    }
}

/// `Archive : PATH`, llvm-objdump's first line for an archive.
fn archive_name(private_headers: &str) -> Option<String> {
    private_headers
        .lines()
        .find_map(|line| line.strip_prefix("Archive : "))
        .map(str::to_string)
}

/// A member starts at an unindented `ARCHIVE(MEMBER):` line.
fn member_name(line: &str) -> Option<&str> {
    let name = line.strip_suffix(':')?;
    let unindented = !line.starts_with(char::is_whitespace);
    (unindented && name.ends_with(')') && name.contains('(')).then_some(name)
}

/// The members of llvm-objdump's `--private-headers` listing, in its order.
pub fn members(private_headers: &str) -> Vec<Member> {
    let mut members: Vec<Member> = Vec::new();
    for line in private_headers.lines() {
        if let Some(name) = member_name(line) {
            members.push(Member {
                name: name.to_string(),
                arm64: false,
                platforms: Vec::new(),
                minimum_versions: Vec::new(),
            });
            continue;
        }
        let Some(member) = members.last_mut() else {
            continue;
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["MH_MAGIC_64", "ARM64", ..] => member.arm64 = true,
            ["platform", platform] => member.platforms.push((*platform).to_string()),
            ["minos", version] => member.minimum_versions.push((*version).to_string()),
            _ => {}
        }
    }
    members
}

/// The symbol names of an llvm-nm listing, all members together, without Mach-O's
/// leading underscore or the suffix `x86_64` Darwin gives some functions (`stat$INODE64`).
pub fn symbols(nm: &str) -> BTreeSet<String> {
    nm.lines()
        .filter(|line| !line.trim_end().ends_with(':'))
        .filter_map(|line| line.split_whitespace().last())
        .map(|name| {
            let name = name.strip_prefix('_').unwrap_or(name);
            name.split('$').next().unwrap_or(name).to_string()
        })
        .collect()
}

#[cfg(test)]
pub mod fixtures {
    //! Listings as the chroot's llvm tools print them, cut down to the lines read.

    /// An archive of two members for `platform`, the first also arm64 for `minos 13.0`.
    pub fn private_headers(platform: &str) -> String {
        format!(
            "Archive : /cache/aarch64-apple-ios/release/libhamustro.a\n\
             /cache/aarch64-apple-ios/release/libhamustro.a(hamustro-1.o):\n\
             Mach header\n      magic cputype cpusubtype  caps    filetype ncmds sizeofcmds      flags\n\
             MH_MAGIC_64   ARM64        ALL  0x00      OBJECT     4        280 0x00000000\n\
             Load command 1\n       cmd LC_BUILD_VERSION\n   cmdsize 24\n  platform {platform}\n\
             \x20      sdk n/a\n     minos 13.0\n    ntools 0\n\
             /cache/aarch64-apple-ios/release/libhamustro.a(sqlite3.o):\n\
             Mach header\n      magic cputype cpusubtype  caps    filetype ncmds sizeofcmds      flags\n\
             MH_MAGIC_64   ARM64        ALL  0x00      OBJECT     4        280 0x00000000\n\
             Load command 1\n       cmd LC_BUILD_VERSION\n   cmdsize 24\n  platform {platform}\n\
             \x20      sdk n/a\n     minos 13.0\n    ntools 0\n"
        )
    }

    /// llvm-nm names a member `ARCHIVE(MEMBER):` (LLVM 14) or `MEMBER:` (LLVM 19, the
    /// chroot's); one of each.
    pub const DEFINED: &str = "\n/cache/libhamustro.a(hamustro-1.o):\n\
        0000000000000000 T _hamustro_version\n\
        0000000000000010 T _hamustro_tracker_new\n\n\
        8017ddc1302f104c-sqlite3.o:\n\
        0000000000000000 T _sqlite3_open\n";

    pub const UNDEFINED: &str = "\n/cache/libhamustro.a(hamustro-1.o):\n\
        _mach_absolute_time\n\
        _sqlite3_open\n\n\
        8017ddc1302f104c-sqlite3.o:\n\
        \x20                U _fstat$INODE64\n\
        _statfs\n";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_members_platform_and_architecture() {
        let members = members(&fixtures::private_headers("ios"));
        assert_eq!(members.len(), 2);
        assert_eq!(
            members[0],
            Member {
                name: "/cache/aarch64-apple-ios/release/libhamustro.a(hamustro-1.o)".into(),
                arm64: true,
                platforms: vec!["ios".into()],
                minimum_versions: vec!["13.0".into()],
            }
        );
        assert_eq!(
            archive_name(&fixtures::private_headers("ios")).as_deref(),
            Some("/cache/aarch64-apple-ios/release/libhamustro.a")
        );
    }

    #[test]
    fn symbols_lose_the_underscore_and_the_variant_suffix() {
        let defined = symbols(fixtures::DEFINED);
        assert_eq!(
            defined.into_iter().collect::<Vec<_>>(),
            ["hamustro_tracker_new", "hamustro_version", "sqlite3_open"]
        );
        let undefined = symbols(fixtures::UNDEFINED);
        assert_eq!(
            undefined.into_iter().collect::<Vec<_>>(),
            ["fstat", "mach_absolute_time", "sqlite3_open", "statfs"]
        );
    }

    #[test]
    fn called_is_what_no_member_defines() {
        let listing = Listing {
            archive: "a".into(),
            members: Vec::new(),
            defined: symbols(fixtures::DEFINED),
            undefined: symbols(fixtures::UNDEFINED),
        };
        assert_eq!(
            listing.called().into_iter().collect::<Vec<_>>(),
            ["fstat", "mach_absolute_time", "statfs"]
        );
    }

    #[test]
    fn a_missing_listing_file_is_an_error_naming_it() {
        let error = Listing::read(Path::new("/no/such/listing")).expect_err("missing");
        assert!(
            error.contains("/no/such/listing/private-headers.txt"),
            "{error}"
        );
    }
}
