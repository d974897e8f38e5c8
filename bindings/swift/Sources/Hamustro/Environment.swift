import CHamustro

/// The environment an app build runs in: the collector's `env` field and part of the
/// session. The raw values are the C API's `hamustro_environment` values.
public enum Environment: Int32, Sendable, CaseIterable {
    /// A build in users' hands (the default).
    case production = 0
    /// Generally available.
    case generalAvailability = 1
    /// Released to marketing.
    case releaseToMarketing = 2
    /// A release candidate.
    case releaseCandidate = 3
    /// A beta build.
    case beta = 4
    /// An alpha build.
    case alpha = 5
    /// A weekly build.
    case weekly = 6
    /// A nightly build.
    case nightly = 7
    /// A staging deployment.
    case staging = 8
    /// A build under quality assurance.
    case qualityAssurance = 9
    /// A test build, e.g. in automated tests.
    case testing = 10
    /// A developer's own build.
    case development = 11
}

/// How request bodies are encoded. The raw values are the C API's
/// `hamustro_payload_format` values.
public enum PayloadFormat: UInt32, Sendable, CaseIterable {
    /// `application/protobuf`: smaller and faster (the default).
    case protobuf = 0
    /// `application/json`, the protobuf JSON mapping.
    case json = 1
}
