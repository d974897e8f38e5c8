import Foundation
@testable import Hamustro
import XCTest

/// The context filled in from the platform when the app leaves a field nil: from
/// Foundation on Apple platforms (checked here with the values an iPhone gives), from
/// the library on Linux; the app's values always win.
final class PlatformContextTests: TrackerTestCase {
    /// What Foundation says on an iPhone in Brazil running iOS 17.4.1.
    let iPhone = PlatformContext.apple(
        systemName: "iOS",
        version: OperatingSystemVersion(majorVersion: 17, minorVersion: 4, patchVersion: 1),
        localeIdentifier: "pt_BR")

    func testTheAppleContextComesFromWhatFoundationReports() {
        XCTAssertEqual(iPhone, PlatformContext(
            system: "iOS", systemVersion: "17.4.1", systemLanguage: "pt-BR", country: "BR"))
        let mac = PlatformContext.apple(
            systemName: "macOS",
            version: OperatingSystemVersion(majorVersion: 14, minorVersion: 0, patchVersion: 0),
            localeIdentifier: "en_001")
        // No patch level, as the system writes it; a world region names no country.
        XCTAssertEqual(mac, PlatformContext(
            system: "macOS", systemVersion: "14.0", systemLanguage: "en-001", country: nil))
        let unknown = PlatformContext.apple(
            systemName: "iOS",
            version: OperatingSystemVersion(majorVersion: 0, minorVersion: 0, patchVersion: 0),
            localeIdentifier: "")
        XCTAssertEqual(unknown, PlatformContext(system: "iOS"), "nothing made up")
    }

    func testLocaleIdentifiersBecomeLanguageTagsAndCountries() {
        let cases: [(identifier: String, tag: String?, country: String?)] = [
            ("pt_BR", "pt-BR", "BR"),
            ("zh-Hans_CN", "zh-Hans-CN", "CN"),
            ("zh_Hant_TW", "zh-Hant-TW", "TW"),
            ("sr_LATN_rs", "sr-Latn-RS", "RS"),
            ("en_US_POSIX", "en-US", "US"),
            ("de_AT@currency=EUR", "de-AT", "AT"),
            ("hu_HU.UTF-8", "hu-HU", "HU"),
            ("es_419", "es-419", nil),
            ("EN", "en", nil),
            ("haw_US", "haw-US", "US"),
            ("", nil, nil),
            ("C", nil, nil),
            ("POSIX", nil, nil),
            ("12_34", nil, nil),
            ("_US", nil, nil),
            ("éé_FR", nil, nil),
            ("en_ÜS", "en", nil),
            ("@calendar=japanese", nil, nil),
        ]
        for (identifier, tag, country) in cases {
            let parts = LocaleParts(identifier: identifier)
            XCTAssertEqual(parts?.languageTag, tag, identifier.debugDescription)
            XCTAssertEqual(parts?.country, country, identifier.debugDescription)
        }
    }

    /// The event a tracker made on an iPhone sends, with the context fields given.
    func eventFromAnIPhone(
        systemVersion: String?, system: String?, systemLanguage: String?, country: String?
    ) throws -> DevelopmentCollector.Event {
        let collector = try DevelopmentCollector(secret: "s3cret")
        let tracker = try PlatformContext.withOverride(iPhone) {
            try makeTracker(
                url: collector.url, systemVersion: systemVersion, system: system,
                systemLanguage: systemLanguage, country: country)
        }
        try tracker.trackEvent("opened")
        try tracker.flush(timeout: 10)
        return try collector.events(1)[0]
    }

    func testTheFilledInContextIsWhatTheCollectorReceives() throws {
        let event = try eventFromAnIPhone(
            systemVersion: nil, system: nil, systemLanguage: nil, country: nil)
        XCTAssertEqual(event.fields["system"] as? String, "iOS")
        XCTAssertEqual(event.fields["system_version"] as? String, "17.4.1")
        XCTAssertEqual(event.fields["system_language"] as? String, "pt-BR")
        XCTAssertEqual(event.fields["country"] as? String, "BR")
    }

    func testTheAppsValuesWinOverThePlatformsEvenEmpty() throws {
        let event = try eventFromAnIPhone(
            systemVersion: "9.1", system: "Android", systemLanguage: "", country: "AT")
        XCTAssertEqual(event.fields["system"] as? String, "Android")
        XCTAssertEqual(event.fields["system_version"] as? String, "9.1")
        XCTAssertEqual(event.fields["country"] as? String, "AT")
        let language = event.fields["system_language"]
        XCTAssertTrue(
            language == nil || language is NSNull || language as? String == "",
            "\"\" sends no language, not the locale's: sent \(String(describing: language))")
    }

    #if os(Linux)
    /// Foundation's Locale.current on Linux is `en_001` whatever LANG says, so the
    /// binding leaves the context to the library there.
    func testOnLinuxTheLibraryDetectsTheContext() throws {
        XCTAssertEqual(PlatformContext.running, PlatformContext())
        XCTAssertEqual(PlatformContext.current, PlatformContext())

        let collector = try DevelopmentCollector(secret: "s3cret")
        let tracker = try makeTracker(url: collector.url, systemVersion: nil, system: nil)
        try tracker.trackEvent("opened")
        try tracker.flush(timeout: 10)

        let event = try collector.events(1)[0]
        XCTAssertEqual(event.fields["system"] as? String, "Linux")
        let release = try String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8)
        XCTAssertEqual(
            event.fields["system_version"] as? String,
            release.trimmingCharacters(in: .whitespacesAndNewlines),
            "the library's kernel release")
    }
    #endif
}
