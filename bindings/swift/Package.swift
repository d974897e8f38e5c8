// swift-tools-version:5.9
//
// The Swift binding of hamustro: a thin Swift class over the C API in
// include/hamustro.h, in the libsignal style (a C module under a Swift class that
// frees its native handle in deinit).
//
// This is the package for working on the binding. Apps consume the release through
// the repository's root Package.swift, whose CHamustro is the release's XCFramework
// zip (written by release.sh).
//
// Where the C library comes from:
// - By default (Linux, or macOS without an XCFramework) `CHamustro` is a system
//   library: its module map points at ../../include/hamustro.h and links
//   `-lhamustro`, so build the Rust library first and pass its directory, e.g.
//     swift build -Xlinker -L<repo>/target/debug -Xlinker -rpath -Xlinker <repo>/target/debug
//   (run-tests.sh does this for the tests, run-example.sh for the example).
// - On Apple platforms, once ./build-xcframework.sh has made Hamustro.xcframework
//   next to this file, `CHamustro` is that binary target instead (static library,
//   header and module map included; no flags needed). HAMUSTRO_XCFRAMEWORK=0 or =1
//   in the environment forces either choice.
import Foundation
import PackageDescription

let xcframework = "Hamustro.xcframework"

#if canImport(Darwin)
let xcframeworkBuilt = FileManager.default.fileExists(
    atPath: Context.packageDirectory + "/" + xcframework)
#else
let xcframeworkBuilt = false  // An XCFramework is of no use off Apple platforms.
#endif

let useXCFramework: Bool
switch ProcessInfo.processInfo.environment["HAMUSTRO_XCFRAMEWORK"] {
case "1": useXCFramework = true
case "0": useXCFramework = false
default: useXCFramework = xcframeworkBuilt
}

let cTarget: Target = useXCFramework
    ? .binaryTarget(name: "CHamustro", path: xcframework)
    : .systemLibrary(name: "CHamustro", path: "Sources/CHamustro")

let package = Package(
    name: "Hamustro",
    platforms: [.macOS(.v10_15), .iOS(.v13)],
    products: [
        .library(name: "Hamustro", targets: ["Hamustro"]),
        // `swift run hamustro-example [URL [SECRET [DATABASE_PATH]]]`: tracks a few
        // events and flushes them (run-example.sh runs it against a local collector).
        .executable(name: "hamustro-example", targets: ["HamustroExample"]),
    ],
    targets: [
        cTarget,
        .target(
            name: "Hamustro",
            dependencies: ["CHamustro"],
            // The App Store's privacy manifest, in the target's resource bundle (and in
            // every slice of the XCFramework).
            resources: [.copy("PrivacyInfo.xcprivacy")],
            swiftSettings: [.enableExperimentalFeature("StrictConcurrency")]
        ),
        .executableTarget(
            name: "HamustroExample",
            dependencies: ["Hamustro"],
            swiftSettings: [.enableExperimentalFeature("StrictConcurrency")]
        ),
        .testTarget(
            name: "HamustroTests",
            dependencies: ["Hamustro"],
            swiftSettings: [.enableExperimentalFeature("StrictConcurrency")]
        ),
    ]
)
