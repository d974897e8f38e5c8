// swift-tools-version:5.9
//
// The Swift binding's UIKit glue (Sources/Hamustro/BackgroundFlush+UIKit.swift) built
// and run on Linux, where there is no UIKit: against a stub of the few UIKit
// declarations it uses (Sources/UIKit), with the glue and the logic it feeds linked
// in from the binding's sources (Sources/HamustroUIKitGlue holds symlinks to them).
// run-tests.sh runs it after the binding's own tests:
//   swift test --package-path bindings/swift/Tests/UIKitStub
// A build against the real SDK, on a Mac, stays the authority on the declarations.
import PackageDescription

let strict: [SwiftSetting] = [.enableExperimentalFeature("StrictConcurrency")]

let package = Package(
    name: "UIKitStub",
    targets: [
        // Swift 6 language mode, so that the stub's isolation (UIApplication on the
        // main actor) is checked in the glue as strictly as a Swift 6 app would.
        .target(name: "UIKit", swiftSettings: [.unsafeFlags(["-swift-version", "6"])]),
        .target(
            name: "HamustroUIKitGlue", dependencies: ["UIKit"],
            swiftSettings: strict + [.unsafeFlags(["-swift-version", "6"])]),
        .testTarget(
            name: "UIKitGlueTests", dependencies: ["HamustroUIKitGlue", "UIKit"],
            swiftSettings: strict),
    ]
)
