// swift-tools-version:5.9
//
// hamustro for Swift, as apps consume it: add this repository as a package dependency
// (a release tag, e.g. `.package(url: "<this repository>", from: "0.1.0")`) and depend
// on the `Hamustro` product. `CHamustro` is that release's Hamustro.xcframework,
// downloaded and checked against `checksum`. bindings/swift/release.sh writes
// `version` (Cargo.toml's), `checksum` (of the zip it makes) and, when given,
// `downloads`; edit none of them by hand.
//
// To work on the binding itself, use bindings/swift/Package.swift: the same Swift
// sources over the library built from this tree (see bindings/swift/README.md).
import PackageDescription

let version = "0.1.0"
let checksum = "8a836c6c47ad7bdaf12dfcf5efbbfa1605cf5809c38c1576ce9f9017b860c5c0"
let downloads = "https://example.com/hamustro/releases/download"

let package = Package(
    name: "Hamustro",
    platforms: [.macOS(.v10_15), .iOS(.v13)],
    products: [
        .library(name: "Hamustro", targets: ["Hamustro"]),
    ],
    targets: [
        .binaryTarget(
            name: "CHamustro",
            url: "\(downloads)/v\(version)/Hamustro.xcframework.zip",
            checksum: checksum
        ),
        .target(
            name: "Hamustro",
            dependencies: ["CHamustro"],
            path: "bindings/swift/Sources/Hamustro",
            resources: [.copy("PrivacyInfo.xcprivacy")]
        ),
    ]
)
