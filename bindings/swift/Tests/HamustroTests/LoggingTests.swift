import Foundation
import Hamustro
import XCTest

/// `setLogHandler` hands the library's messages to a Swift closure.
final class LoggingTests: TrackerTestCase {
    override func tearDownWithError() throws {
        // The handler is process-wide: leave none behind for the other tests.
        Hamustro.setLogHandler(nil)
        try super.tearDownWithError()
    }

    func testTheHandlerReceivesADeliveredDebugMessageAndNeverTheSecretOrUserID() throws {
        let secret = "log-test-secret-5e1f"
        let userID = "log-test-user-7c2d"
        let log = LogRecorder()
        Hamustro.setLogHandler(maxLevel: .debug, log.record)

        let collector = try DevelopmentCollector(secret: secret)
        let tracker = try makeTracker(url: collector.url, secret: secret)
        try tracker.setUser(tenantID: "acme", userID: userID)
        try tracker.trackEvent("logged", parameters: ["p": "v"])
        try tracker.flush(timeout: 10)
        _ = try collector.events(1)

        // Logged on the delivery thread, perhaps just after flush returned.
        let delivered = log.wait(timeout: 10) { $0.message.hasPrefix("delivered ") }
        XCTAssertEqual(delivered?.level, .debug, "messages: \(log.all)")
        for entry in log.all {
            XCTAssertFalse(entry.message.contains(secret), "\(entry)")
            XCTAssertFalse(entry.message.contains(userID), "\(entry)")
        }
    }

    func testMaxLevelLeavesOutLessSevereMessages() throws {
        let log = LogRecorder()
        Hamustro.setLogHandler(maxLevel: .info, log.record)
        let collector = try DevelopmentCollector(secret: "s3cret")
        let tracker = try makeTracker(url: collector.url)
        try tracker.trackEvent("logged")
        try tracker.flush(timeout: 10)
        try tracker.setEnabled(false)  // logs "tracking disabled" at info

        XCTAssertNotNil(log.wait(timeout: 10) { $0.message == "tracking disabled" })
        XCTAssertEqual(log.all.filter { $0.level == .debug }.map(\.message), [])
    }

    func testRemovingTheHandlerStopsTheMessages() throws {
        let log = LogRecorder()
        Hamustro.setLogHandler(maxLevel: .debug, log.record)
        let tracker = try makeTracker()
        try tracker.setEnabled(false)
        XCTAssertNotNil(log.wait(timeout: 10) { $0.message == "tracking disabled" })

        Hamustro.setLogHandler(nil)
        try tracker.setEnabled(true)
        XCTAssertFalse(log.all.contains { $0.message == "tracking enabled" }, "\(log.all)")
    }

    func testANewHandlerReplacesTheOldOne() throws {
        let old = LogRecorder()
        let new = LogRecorder()
        Hamustro.setLogHandler(maxLevel: .debug, old.record)
        Hamustro.setLogHandler(maxLevel: .debug, new.record)
        let tracker = try makeTracker()
        try tracker.setEnabled(false)

        XCTAssertNotNil(new.wait(timeout: 10) { $0.message == "tracking disabled" })
        XCTAssertEqual(old.all.map(\.message), [])
    }

    func testLevelsAreOrderedBySeverityWithTheCAPIsValues() {
        XCTAssertEqual(LogLevel.allCases.map(\.rawValue), [1, 2, 3, 4])
        XCTAssertLessThan(LogLevel.error, .warning)
        XCTAssertLessThan(LogLevel.info, .debug)
    }
}

/// The messages a handler received, from whichever threads the library calls it on.
private final class LogRecorder: @unchecked Sendable {
    struct Entry: CustomStringConvertible {
        let level: LogLevel
        let message: String
        var description: String { "\(level): \(message)" }
    }

    /// Guarded by `condition`.
    private var entries: [Entry] = []
    private let condition = NSCondition()

    /// The handler to install.
    var record: @Sendable (LogLevel, String) -> Void {
        { [self] level, message in
            condition.lock()
            entries.append(Entry(level: level, message: message))
            condition.broadcast()
            condition.unlock()
        }
    }

    var all: [Entry] {
        condition.lock()
        defer { condition.unlock() }
        return entries
    }

    /// Waits for an entry matching `predicate`; nil if none came within `timeout`.
    func wait(timeout: TimeInterval, for predicate: (Entry) -> Bool) -> Entry? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let entry = entries.first(where: predicate) { return entry }
            if !condition.wait(until: deadline) { return entries.first(where: predicate) }
        }
    }
}
