import Foundation
import Hamustro
import XCTest

/// `stats()` reports the queue and delivery as the library sees them.
final class StatsTests: TrackerTestCase {
    func testANewTrackerHasEmptyStats() throws {
        let stats = try makeTracker().stats()
        XCTAssertEqual(stats.queued, 0)
        XCTAssertEqual(stats.inFlight, 0)
        XCTAssertEqual(stats.delivered, 0)
        XCTAssertEqual(stats.dropped, 0)
        XCTAssertNil(stats.lastSync)
        XCTAssertEqual(stats.consecutiveFailures, 0)
        XCTAssertNil(stats.lastError)
        XCTAssertNil(stats.nextRetry)
        XCTAssertTrue(stats.isEnabled)
    }

    func testStatsReportAFailedDeliveryThenASuccessfulOne() throws {
        let failing = try DevelopmentCollector(secret: "s3cret", failWith: 500)
        do {
            let tracker = try makeTracker(url: failing.url)
            try tracker.trackEvent("first")
            try tracker.trackEvent("second")
            assertThrows(.network) { try tracker.flush(timeout: 10) }

            let failed = try tracker.stats()
            XCTAssertEqual(failed.queued, 2)
            XCTAssertEqual(failed.delivered, 0)
            XCTAssertNil(failed.lastSync)
            XCTAssertGreaterThanOrEqual(failed.consecutiveFailures, 1)
            let error = try XCTUnwrap(failed.lastError)
            XCTAssertEqual(error.code, .network)
            XCTAssertTrue(error.message.contains("500"), "the message names the answer: \(error)")
            // The library backs off exponentially: at most 2^(failures - 1) seconds.
            let nextRetry = try XCTUnwrap(failed.nextRetry)
            XCTAssertGreaterThan(nextRetry, 0)
            XCTAssertLessThanOrEqual(nextRetry, pow(2, Double(failed.consecutiveFailures - 1)))
        }
        XCTAssertGreaterThanOrEqual(try failing.rejections(1)[0], 500)

        // The events stayed in the database; a tracker on a working collector sends them.
        let collector = try DevelopmentCollector(secret: "s3cret")
        let before = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let tracker = try makeTracker(url: collector.url)
        try tracker.flush(timeout: 10)
        let delivered = try tracker.stats()
        XCTAssertEqual(try collector.events(2).map(\.name), ["first", "second"])
        XCTAssertEqual(delivered.queued, 0)
        XCTAssertEqual(delivered.inFlight, 0)
        XCTAssertEqual(delivered.delivered, 2)
        XCTAssertEqual(delivered.consecutiveFailures, 0)
        XCTAssertNil(delivered.nextRetry)
        XCTAssertNil(delivered.lastError, "a new tracker has had no failure")
        let lastSync = try XCTUnwrap(delivered.lastSync)
        XCTAssertGreaterThanOrEqual(lastSync, before)
        XCTAssertLessThanOrEqual(lastSync, Date())
    }

    func testDeliveredCountsEveryAcceptedEvent() throws {
        let collector = try DevelopmentCollector(secret: "s3cret")
        let tracker = try makeTracker(url: collector.url)
        let count = 5
        for n in 0..<count {
            try tracker.trackEvent("counted", parameters: ["n": String(n)])
        }
        try tracker.flush(timeout: 10)
        _ = try collector.events(count)
        let stats = try tracker.stats()
        XCTAssertEqual(stats.delivered, UInt64(count))
        XCTAssertEqual(stats.queued, 0)
        XCTAssertEqual(stats.consecutiveFailures, 0)
        XCTAssertNotNil(stats.lastSync)
    }
}
