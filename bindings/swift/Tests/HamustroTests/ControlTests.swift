import Foundation
import Hamustro
import XCTest

/// Control over what is kept and sent: opting out, discarding the queue, capping it,
/// and global parameters.
final class ControlTests: TrackerTestCase {
    func testOptingOutPersistsAcrossANewTrackerAndNothingReachesTheCollector() throws {
        let collector = try DevelopmentCollector(secret: "s3cret")
        // queueSize 1: anything stored would be sent at once.
        do {
            let tracker = try makeTracker(url: collector.url, queueSize: 1)
            XCTAssertTrue(try tracker.isEnabled)
            try tracker.setEnabled(false)
            XCTAssertFalse(try tracker.isEnabled)
            XCTAssertFalse(try tracker.stats().isEnabled)
            try tracker.trackEvent("while_disabled")  // stores nothing, throws nothing
            assertThrows(.disabled) { try tracker.flush(timeout: 5) }
        }

        // The first tracker is released; the choice is in the database.
        let tracker = try makeTracker(url: collector.url, queueSize: 1)
        XCTAssertFalse(try tracker.isEnabled)
        try tracker.trackEvent("disabled_after_restart")
        assertThrows(.disabled) { try tracker.flush(timeout: 5) }
        XCTAssertEqual(try tracker.stats().queued, 0)
        XCTAssertEqual(collector.eventCount, 0)

        try tracker.setEnabled(true)
        XCTAssertTrue(try tracker.isEnabled)
        try tracker.trackEvent("enabled_again")
        try tracker.flush(timeout: 10)
        // The first event the collector ever received is the one after opting back in.
        XCTAssertEqual(try collector.events(1)[0].name, "enabled_again")
    }

    func testDiscardQueuedReturnsTheCountAndTheEventsNeverArrive() throws {
        do {
            let tracker = try makeTracker()
            for n in 0..<3 {
                try tracker.trackEvent("to_discard", parameters: ["n": String(n)])
            }
            XCTAssertEqual(try tracker.discardQueued(), 3)
            XCTAssertEqual(try tracker.stats().queued, 0)
            XCTAssertEqual(try tracker.discardQueued(), 0)
        }

        let collector = try DevelopmentCollector(secret: "s3cret")
        let tracker = try makeTracker(url: collector.url)
        try tracker.trackEvent("tracked_after")
        try tracker.flush(timeout: 10)
        XCTAssertEqual(try collector.events(1)[0].name, "tracked_after")
    }

    func testMaxQueuedEventsDropsTheOldest() throws {
        let tracker = try makeTracker(maxQueuedEvents: 5)
        for n in 0..<8 {
            try tracker.trackEvent("capped", parameters: ["n": String(n)])
        }
        tracker.close()

        let collector = try DevelopmentCollector(secret: "s3cret")
        let reopened = try makeTracker(url: collector.url, maxQueuedEvents: 5)
        let stats = try reopened.stats()
        XCTAssertEqual(stats.dropped, 3)
        try reopened.flush(timeout: 10)
        XCTAssertEqual(try collector.events(5).compactMap { $0.params["n"] }, ["3", "4", "5", "6", "7"])
    }

    func testZeroMaxQueuedEventsThrowsInvalidArgument() {
        assertThrows(.invalidArgument) { _ = try self.makeTracker(maxQueuedEvents: 0) }
    }

    func testGlobalParametersAreAddedTheEventsOwnWinAndClearingRemovesThem() throws {
        let collector = try DevelopmentCollector(secret: "s3cret")
        let tracker = try makeTracker(url: collector.url)
        try tracker.setGlobalParameter("ab_group", "b")
        try tracker.setGlobalParameter("screen", "global")
        try tracker.trackEvent("both", parameters: ["screen": "home"])
        try tracker.setGlobalParameter("screen", nil)
        try tracker.trackEvent("one_removed")
        try tracker.clearGlobalParameters()
        try tracker.trackEvent("all_cleared", parameters: ["own": "kept"])
        try tracker.flush(timeout: 10)

        let events = try collector.events(3)
        XCTAssertEqual(events.map(\.name), ["both", "one_removed", "all_cleared"])
        XCTAssertEqual(events[0].params, ["ab_group": "b", "screen": "home"])
        XCTAssertEqual(events[1].params, ["ab_group": "b"])
        XCTAssertEqual(events[2].params, ["own": "kept"])
    }

    func testGlobalParametersPersistAcrossANewTracker() throws {
        do {
            let tracker = try makeTracker()
            try tracker.setGlobalParameter("install_source", "store")
        }
        let collector = try DevelopmentCollector(secret: "s3cret")
        let tracker = try makeTracker(url: collector.url)
        try tracker.trackEvent("after_restart")
        try tracker.flush(timeout: 10)
        XCTAssertEqual(try collector.events(1)[0].params, ["install_source": "store"])
    }

    func testBadGlobalParametersThrowInvalidArgument() throws {
        let tracker = try makeTracker()
        assertThrows(.invalidArgument) { try tracker.setGlobalParameter("", "empty name") }
        assertThrows(.invalidArgument) { try tracker.setGlobalParameter("a\0b", "x") }
        assertThrows(.invalidArgument) { try tracker.setGlobalParameter("a", "x\0y") }
    }

    func testControlCallsAfterCloseThrowInvalidHandle() throws {
        let tracker = try makeTracker()
        tracker.close()
        assertThrows(.invalidHandle) { try tracker.setEnabled(false) }
        assertThrows(.invalidHandle) { _ = try tracker.isEnabled }
        assertThrows(.invalidHandle) { try tracker.discardQueued() }
        assertThrows(.invalidHandle) { try tracker.setGlobalParameter("a", "b") }
        assertThrows(.invalidHandle) { try tracker.clearGlobalParameters() }
        assertThrows(.invalidHandle) { _ = try tracker.stats() }
    }
}
