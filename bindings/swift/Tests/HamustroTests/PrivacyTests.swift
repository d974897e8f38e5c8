import Foundation
import Hamustro
import XCTest

/// What leaves the device: salted user ids, detected system fields, and the TLS
/// opt-in for a local development collector.
final class PrivacyTests: TrackerTestCase {
    func testASaltedUserIDReachesTheCollectorAsItsSHA256() throws {
        let collector = try DevelopmentCollector(secret: "s3cret")
        let tracker = try makeTracker(url: collector.url, userIDSalt: "salt")
        try tracker.setUser(tenantID: "acme", userID: "u1")
        try tracker.trackEvent("signed_in")
        try tracker.flush(timeout: 10)

        let event = try collector.events(1)[0]
        // sha256hex("u1" + "salt"), from the shell: printf 'u1salt' | sha256sum
        XCTAssertEqual(event.userID, "f9ae7b1cbfe50baf3c62a789384fd378f2f8fef693d1f682a6ecaaaee285b595")
        XCTAssertEqual(event.tenantID, "acme", "only the user id is salted")
    }

    func testWithoutASaltTheUserIDIsSentAsGiven() throws {
        let collector = try DevelopmentCollector(secret: "s3cret")
        let tracker = try makeTracker(url: collector.url)
        try tracker.setUser(tenantID: nil, userID: "u1")
        try tracker.trackEvent("signed_in")
        try tracker.flush(timeout: 10)
        XCTAssertEqual(try collector.events(1)[0].userID, "u1")
    }

    func testSystemIsDetectedWhenNotGivenAndEmptySendsNone() throws {
        let collector = try DevelopmentCollector(secret: "s3cret")
        do {
            let tracker = try makeTracker(url: collector.url, system: nil)
            try tracker.trackEvent("detected")
            try tracker.flush(timeout: 10)
        }
        let tracker = try makeTracker(url: collector.url, database: "none.sqlite3", system: "")
        try tracker.trackEvent("none")
        try tracker.flush(timeout: 10)

        let events = try collector.events(2)
        // The tests run on Linux (in the Swift chroot).
        XCTAssertEqual(events[0].fields["system"] as? String, "Linux")
        let none = events[1].fields["system"]
        XCTAssertTrue(none == nil || none is NSNull || none as? String == "", "system sent as \(String(describing: none))")
    }

    func testAcceptingInvalidCertificatesIsRefusedForAHostOffTheDevice() throws {
        assertThrows(.invalidArgument) {
            _ = try self.makeTracker(
                url: URL(string: "https://t.example.com")!,
                acceptInvalidCertificatesForLoopback: true)
        }
        // Allowed for the loopback address (nothing is sent here).
        _ = try makeTracker(acceptInvalidCertificatesForLoopback: true)
    }
}
