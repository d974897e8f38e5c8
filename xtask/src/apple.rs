//! The checks of scripts/apple-test.sh on the Apple builds: the static libraries, the
//! `XCFramework` assembled from them, its privacy manifest, and the Swift package that
//! downloads it. The script builds and runs the tools (llvm-objdump and llvm-nm in the
//! cross chroot, swift in the Swift chroot) and saves their output; these read it.

mod archive;
mod listing;
mod plist;
mod privacy;
mod required_reason;
mod swift_manifests;
mod swift_package;
mod swift_release;
mod xcframework;

use crate::checks::Check;

pub const CHECKS: &[Check] = &[
    Check {
        name: "apple-archive",
        usage: archive::USAGE,
        about: "every member of the archive is an arm64 object for PLATFORM \
                (LC_BUILD_VERSION), and every function of include/hamustro.h is defined; \
                LISTING holds llvm-objdump's and llvm-nm's output for it",
        run: archive::run,
    },
    Check {
        name: "apple-xcframework",
        usage: xcframework::USAGE,
        about: "Info.plist lists exactly these slices, each for its platform and arm64, \
                and each slice holds its library, the header and module map, and the \
                privacy manifest",
        run: xcframework::run,
    },
    Check {
        name: "apple-privacy",
        usage: privacy::USAGE,
        about: "the manifest declares exactly the required-reason categories that the \
                archives call and the Swift sources use, each with a reason code; the \
                data every request carries; no tracking",
        run: privacy::run,
    },
    Check {
        name: "swift-release",
        usage: swift_release::USAGE,
        about: "release.sh's Package.swift (dump-package) names the zip's SHA-256 and \
                Cargo.toml's version",
        run: swift_release::run,
    },
    Check {
        name: "swift-manifests",
        usage: swift_manifests::USAGE,
        about: "the committed Package.swift names Cargo.toml's version; its Hamustro \
                target lays out every Swift source and the privacy manifest, which the \
                development manifest also declares",
        run: swift_manifests::run,
    },
];
