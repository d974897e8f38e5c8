//! `apple-archive`: a static library an app links is built for one Apple platform in
//! every member (else Xcode refuses it, or the App Store does), for arm64, and defines
//! every function of the C header.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use super::listing::Listing;
use crate::checks::exactly;
use crate::outcome::Outcome;

pub const USAGE: &str = "LISTING PLATFORM (ios, iossimulator or macos)";

/// A platform as `LC_BUILD_VERSION` names it (llvm-objdump's spelling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Ios,
    IosSimulator,
    Macos,
}

impl Platform {
    pub fn parse(name: &str) -> Result<Self, String> {
        match name {
            "ios" => Ok(Self::Ios),
            "iossimulator" => Ok(Self::IosSimulator),
            "macos" => Ok(Self::Macos),
            _ => Err(format!(
                "platform {name:?}: expected ios, iossimulator or macos"
            )),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Self::Ios => "ios",
            Self::IosSimulator => "iossimulator",
            Self::Macos => "macos",
        })
    }
}

pub fn run(args: &[String]) -> Outcome {
    let [listing, platform] = match exactly(args, USAGE) {
        Ok(args) => args,
        Err(outcome) => return outcome,
    };
    let platform = match Platform::parse(&platform) {
        Ok(platform) => platform,
        Err(problem) => return Outcome::failed(problem),
    };
    let listing = match Listing::read(Path::new(&listing)) {
        Ok(listing) => listing,
        Err(problem) => return Outcome::failed(problem),
    };
    match crate::header::functions() {
        Ok(functions) => judge(&listing, platform, &functions),
        Err(problem) => Outcome::failed(problem),
    }
}

/// Every member for `platform` and arm64, every one of `functions` defined.
pub fn judge(listing: &Listing, platform: Platform, functions: &BTreeSet<String>) -> Outcome {
    let mut outcome = Outcome::default();
    let expected = platform.to_string();
    outcome.expect(
        !listing.members.is_empty(),
        format!(
            "{}: expected object files, found no members",
            listing.archive
        ),
    );
    for member in &listing.members {
        if member.platforms.is_empty() {
            outcome.fail(format!(
                "{}: expected an LC_BUILD_VERSION for {expected}, found none",
                member.name
            ));
        } else if member.platforms.iter().any(|found| *found != expected) {
            outcome.fail(format!(
                "{}: expected platform {expected}, found {}",
                member.name,
                member.platforms.join(", ")
            ));
        }
        outcome.expect(
            member.arm64,
            format!(
                "{}: expected MH_MAGIC_64 ARM64, found another header",
                member.name
            ),
        );
    }
    let missing: Vec<&str> = functions
        .difference(&listing.defined)
        .map(String::as_str)
        .collect();
    outcome.expect(
        missing.is_empty(),
        format!(
            "{}: expected every function of include/hamustro.h defined, found {} missing: {}",
            listing.archive,
            missing.len(),
            missing.join(", ")
        ),
    );
    if outcome.passed() {
        let minimum_versions: BTreeSet<&str> = listing
            .members
            .iter()
            .flat_map(|member| member.minimum_versions.iter().map(String::as_str))
            .collect();
        outcome.found(format!(
            "{} Mach-O arm64 members, each for {platform} (minos {}); all {} functions of \
             include/hamustro.h defined",
            listing.members.len(),
            minimum_versions.into_iter().collect::<Vec<_>>().join(", "),
            functions.len()
        ));
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::super::listing::{fixtures, members, symbols};
    use super::*;

    fn listing(private_headers: &str) -> Listing {
        Listing {
            archive: "libhamustro.a".into(),
            members: members(private_headers),
            defined: symbols(fixtures::DEFINED),
            undefined: symbols(fixtures::UNDEFINED),
        }
    }

    fn functions(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn passes_when_every_member_is_for_the_platform() {
        let outcome = judge(
            &listing(&fixtures::private_headers("ios")),
            Platform::Ios,
            &functions(&["hamustro_version", "hamustro_tracker_new"]),
        );
        assert!(outcome.passed(), "{outcome:?}");
        assert_eq!(
            outcome.found,
            ["2 Mach-O arm64 members, each for ios (minos 13.0); all 2 functions of include/hamustro.h defined"]
        );
    }

    #[test]
    fn fails_naming_each_member_built_for_another_platform() {
        let outcome = judge(
            &listing(&fixtures::private_headers("macos")),
            Platform::IosSimulator,
            &functions(&["hamustro_version"]),
        );
        assert_eq!(outcome.failures.len(), 2, "{outcome:?}");
        assert!(
            outcome.failures[0]
                .ends_with("(hamustro-1.o): expected platform iossimulator, found macos"),
            "{outcome:?}"
        );
    }

    #[test]
    fn fails_on_a_member_without_build_version_or_not_arm64() {
        let headers = fixtures::private_headers("ios")
            .replacen("  platform ios\n", "", 1)
            .replacen("MH_MAGIC_64   ARM64", "MH_MAGIC_64   X86_64", 1);
        let outcome = judge(&listing(&headers), Platform::Ios, &functions(&[]));
        assert_eq!(outcome.failures.len(), 2, "{outcome:?}");
        assert!(outcome.failures[0].contains("expected an LC_BUILD_VERSION for ios, found none"));
        assert!(outcome.failures[1].contains("expected MH_MAGIC_64 ARM64"));
    }

    #[test]
    fn fails_naming_the_functions_not_defined() {
        let outcome = judge(
            &listing(&fixtures::private_headers("ios")),
            Platform::Ios,
            &functions(&["hamustro_version", "hamustro_flush", "hamustro_free"]),
        );
        assert_eq!(
            outcome.failures,
            ["libhamustro.a: expected every function of include/hamustro.h defined, found 2 missing: hamustro_flush, hamustro_free"]
        );
    }

    #[test]
    fn an_empty_archive_fails() {
        let outcome = judge(
            &listing("Archive : libhamustro.a\n"),
            Platform::Ios,
            &functions(&[]),
        );
        assert!(
            outcome.failures[0].contains("found no members"),
            "{outcome:?}"
        );
    }

    #[test]
    fn bad_arguments_fail_with_a_message() {
        let args = |list: &[&str]| list.iter().map(ToString::to_string).collect::<Vec<_>>();
        let outcome = run(&args(&["/no/such/listing", "tvos"]));
        assert!(
            outcome.failures[0].contains("platform \"tvos\""),
            "{outcome:?}"
        );
        let outcome = run(&args(&["/no/such/listing", "ios"]));
        assert!(
            outcome.failures[0].contains("/no/such/listing/"),
            "{outcome:?}"
        );
        let outcome = run(&args(&["/no/such/listing"]));
        assert!(
            outcome.failures[0].contains("expected 2 arguments"),
            "{outcome:?}"
        );
    }
}
