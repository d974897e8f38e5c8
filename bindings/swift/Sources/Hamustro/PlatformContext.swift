// The device context the binding fills in from Foundation when the app leaves a field
// nil: `system`, `system_version`, `system_language` and `country`. The app's own
// values always win, `""` included (it sends none).
//
// Who detects what, and why:
// - On Apple platforms, Foundation. The process has no `LANG`, so the library's
//   locale detection (LC_ALL, LC_MESSAGES, LANG) finds nothing there: language and
//   country would go out empty. `ProcessInfo.operatingSystemVersion` is the version the
//   system reports to the app: in the iOS simulator it is the simulated iOS, where the
//   library's `kern.osproductversion` would give the Mac's. The name comes from
//   `#if os(...)`, which also knows tvOS, watchOS and visionOS by the names users know.
// - On Linux (and any other platform), the library. Foundation's `Locale.current`
//   ignores `LANG` there (it is `en_001` whatever the environment says), and the
//   library's kernel release is the complete one (`6.1.0-18-amd64`, not `6.1.0`), so
//   the binding leaves all four to it.
import Foundation

/// The defaults the binding gives the library for the fields the app left nil; a nil
/// field here leaves the library's own detection.
struct PlatformContext: Equatable, Sendable {
    var system: String?
    var systemVersion: String?
    var systemLanguage: String?
    var country: String?

    /// The context a new tracker fills in: ``running``, or inside
    /// ``withOverride(_:_:)`` the one given.
    static var current: PlatformContext {
        overridden.value ?? running
    }

    /// Runs `body` with `context` in place of the running platform's, for the tests:
    /// what an iPhone gives, checked end to end on Linux. Process-wide while `body`
    /// runs (the tests make their trackers one at a time). A lock rather than a task
    /// local: task locals need tvOS 13 and watchOS 6, newer than SwiftPM's default
    /// deployment targets there (the package names only macOS and iOS).
    static func withOverride<R>(_ context: PlatformContext, _ body: () throws -> R) rethrows -> R {
        overridden.value = context
        defer { overridden.value = nil }
        return try body()
    }

    private static let overridden = Overridden()

    /// `@unchecked Sendable`: `context` is only read and written under `lock`.
    private final class Overridden: @unchecked Sendable {
        private let lock = NSLock()
        private var context: PlatformContext?

        var value: PlatformContext? {
            get {
                lock.lock()
                defer { lock.unlock() }
                return context
            }
            set {
                lock.lock()
                context = newValue
                lock.unlock()
            }
        }
    }

    /// The running platform's context: from Foundation on Apple platforms, all nil
    /// (the library's) elsewhere.
    static var running: PlatformContext {
        #if canImport(Darwin)
        return apple(
            systemName: appleSystemName,
            version: ProcessInfo.processInfo.operatingSystemVersion,
            localeIdentifier: Locale.current.identifier)
        #else
        return PlatformContext()
        #endif
    }

    #if canImport(Darwin)
    /// The name of the Apple platform the app runs on. A Mac Catalyst app is compiled
    /// for iOS but runs on macOS, and ProcessInfo gives the Mac's version there.
    private static var appleSystemName: String {
        #if targetEnvironment(macCatalyst)
        return "macOS"
        #elseif os(iOS)
        return "iOS"
        #elseif os(tvOS)
        return "tvOS"
        #elseif os(watchOS)
        return "watchOS"
        #elseif os(visionOS)
        return "visionOS"
        #else
        return "macOS"
        #endif
    }
    #endif

    /// The context of an Apple platform from what Foundation reports: the system's
    /// name, its version (`17.4`, or `17.4.1` with a patch level, as the system writes
    /// it), and the language tag and country of the locale identifier.
    static func apple(
        systemName: String, version: OperatingSystemVersion, localeIdentifier: String
    ) -> PlatformContext {
        let locale = LocaleParts(identifier: localeIdentifier)
        var versionText = "\(version.majorVersion).\(version.minorVersion)"
        if version.patchVersion != 0 {
            versionText += ".\(version.patchVersion)"
        }
        return PlatformContext(
            system: systemName,
            systemVersion: version.majorVersion > 0 ? versionText : nil,
            systemLanguage: locale?.languageTag,
            country: locale?.country)
    }
}

/// A locale identifier's language, script and region, e.g. `zh-Hans_CN` or
/// `en_US@calendar=japanese`, as Foundation writes them.
///
/// Parsed here rather than asked of `Locale`: `languageCode` and its kin are deprecated
/// from iOS 16, and their replacements (`language.script`) give the likely script even
/// when the identifier names none (`pt_BR` → `Latn`), which would make every tag
/// `pt-Latn-BR`.
struct LocaleParts: Equatable {
    /// Two or three letters, lower case.
    let language: String
    /// Four letters, title case, when the identifier names one.
    let script: String?
    /// Two letters (upper case) or three digits (`419`, Latin America).
    let region: String?

    /// nil when the identifier does not start with a language (`""`, `C`, `POSIX`).
    init?(identifier: String) {
        // Keywords (`@currency=EUR`) and POSIX encodings (`.UTF-8`) are not part of it.
        let base = identifier.split(whereSeparator: { $0 == "@" || $0 == "." })
            .first.map(String.init) ?? ""
        var parts = base.split(
            omittingEmptySubsequences: false, whereSeparator: { $0 == "_" || $0 == "-" })[...]
        guard let language = parts.popFirst(), Self.isLetters(language, 2...3) else {
            return nil
        }
        self.language = language.lowercased()
        if let script = parts.first, Self.isLetters(script, 4...4) {
            self.script = script.prefix(1).uppercased() + script.dropFirst().lowercased()
            parts = parts.dropFirst()
        } else {
            script = nil
        }
        if let region = parts.first,
           Self.isLetters(region, 2...2)
            || (region.count == 3 && region.allSatisfy { ("0"..."9").contains($0) }) {
            self.region = region.uppercased()
        } else {
            region = nil
        }
    }

    /// The BCP 47 tag, e.g. `pt-BR`, `zh-Hans-CN`, `es-419`. A variant (`POSIX`) or
    /// keyword is left out.
    var languageTag: String {
        [language, script, region].compactMap { $0 }.joined(separator: "-")
    }

    /// The ISO 3166 country code of the region; nil for a numeric region such as
    /// `001` (the world) or `419`, which names no country.
    var country: String? {
        guard let region, region.count == 2 else { return nil }
        return region
    }

    private static func isLetters(_ text: Substring, _ lengths: ClosedRange<Int>) -> Bool {
        lengths.contains(text.count)
            && text.unicodeScalars.allSatisfy { $0.isASCII && CharacterSet.letters.contains($0) }
    }
}
