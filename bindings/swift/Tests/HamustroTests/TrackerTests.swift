import CHamustro
import Foundation
import Hamustro
import XCTest

final class TrackerTests: TrackerTestCase {
    func testTrackAndFlushDeliversEventsWithParametersUserAndHeaders() throws {
        let collector = try DevelopmentCollector(secret: "s3cret")
        let tracker = try makeTracker(url: collector.url, secret: "s3cret")
        try tracker.setUser(tenantID: "acme", userID: "u-42")
        try tracker.setHeaders(["X-App-Build": "1234"])
        try tracker.trackEvent("app_open", parameters: ["screen": "home", "from": "push"])
        try tracker.trackEvent("purchase", parameters: ["sku": "hamster-food", "price": "3.50"])
        try tracker.flush(timeout: 10)

        let events = try collector.events(2)
        XCTAssertEqual(events.map(\.name), ["app_open", "purchase"])
        XCTAssertEqual(events.map(\.nr), [1, 2])
        XCTAssertEqual(events[0].params, ["screen": "home", "from": "push"])
        XCTAssertEqual(events[1].params, ["sku": "hamster-food", "price": "3.50"])
        for event in events {
            XCTAssertEqual(event.tenantID, "acme")
            XCTAssertEqual(event.userID, "u-42")
            XCTAssertEqual(event.headers["x-app-build"], "1234")
        }
        XCTAssertEqual(events[0].session, events[1].session)
    }

    func testTheConfigurationReachesTheCollector() throws {
        let collector = try DevelopmentCollector(secret: "s3cret")
        let tracker = try makeTracker(
            url: collector.url, secret: "s3cret", environment: .qualityAssurance, payloadFormat: .json)
        try tracker.trackEvent("configured")
        try tracker.flush(timeout: 10)

        let fields = try collector.events(1)[0].fields
        XCTAssertEqual(fields["content_type"] as? String, "application/json")
        XCTAssertEqual(fields["env"] as? Int, Int(Environment.qualityAssurance.rawValue))
        XCTAssertEqual(fields["client_id"] as? String, "swift-tests")
        XCTAssertEqual(fields["system_version"] as? String, "6.0")
        XCTAssertEqual(fields["product_version"] as? String, "1.0.0")
        XCTAssertEqual(fields["device_make"] as? String, "Hamster Inc.")
        XCTAssertEqual(fields["system"] as? String, "Linux")
        XCTAssertEqual(fields["product_language"] as? String, "hu")
        XCTAssertEqual(fields["country"] as? String, "HU")
        let deviceID = try XCTUnwrap(fields["device_id"] as? String)
        XCTAssertEqual(deviceID.count, 64, "the SHA-256 hex of the device id, not the id")
    }

    func testEventsKeepTheUserTheyWereTrackedWith() throws {
        let collector = try DevelopmentCollector(secret: "s3cret")
        let tracker = try makeTracker(url: collector.url, secret: "s3cret")
        try tracker.trackEvent("anonymous")
        try tracker.setUser(tenantID: nil, userID: "u-7")
        try tracker.trackEvent("signed_in")
        try tracker.flush(timeout: 10)

        let events = try collector.events(2)
        XCTAssertEqual(events.map(\.name), ["anonymous", "signed_in"])
        XCTAssertEqual(events.map(\.userID), [nil, "u-7"])
        XCTAssertEqual(events.map(\.tenantID), [nil, nil])
    }

    func testEmptyRequiredFieldThrowsInvalidArgument() throws {
        assertThrows(.invalidArgument) { _ = try self.makeTracker(secret: "") }
        assertThrows(.invalidArgument) { _ = try self.makeTracker(clientID: "") }
    }

    func testInvalidArgumentsToATrackerThrowInvalidArgument() throws {
        let tracker = try makeTracker()
        assertThrows(.invalidArgument) { try tracker.trackEvent("") }
        assertThrows(.invalidArgument) { try tracker.trackEvent("open", parameters: ["": "empty name"]) }
        assertThrows(.invalidArgument) { try tracker.setHeaders(["bad name": "x"]) }
        assertThrows(.invalidArgument) { try tracker.setHeaders(["X-Hamustro-Signature": "forged"]) }
    }

    func testNULInAStringThrowsInvalidArgumentInsteadOfBeingCut() throws {
        let tracker = try makeTracker()
        assertThrows(.invalidArgument) { try tracker.trackEvent("open\0ed") }
        assertThrows(.invalidArgument) { try tracker.trackEvent("open", parameters: ["a": "b\0c"]) }
        assertThrows(.invalidArgument) { try tracker.setUser(tenantID: nil, userID: "u\0") }
    }

    func testFlushToADeadPortThrowsNetworkWithinTheTimeout() throws {
        let collector = try DevelopmentCollector(secret: "s3cret")
        let stoppedURL = collector.url
        collector.stop()
        let tracker = try makeTracker(url: stoppedURL)
        try tracker.trackEvent("lost_in_space")

        let started = Date()
        assertThrows(.network) { try tracker.flush(timeout: 5) }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }

    func testWrongSecretIsRejected() throws {
        let collector = try DevelopmentCollector(secret: "right")
        let tracker = try makeTracker(url: collector.url, secret: "wrong")
        try tracker.trackEvent("forged")

        assertThrows(.rejected) { try tracker.flush(timeout: 10) }
        let statuses = try collector.rejections(1)
        XCTAssertTrue((400..<500).contains(statuses[0]), "rejected with \(statuses[0])")
    }

    func testClosingTwiceIsFine() throws {
        let tracker = try makeTracker()
        tracker.close()
        tracker.close()
    }

    func testClosingFromManyThreadsAtOnceIsFine() throws {
        let tracker = try makeTracker()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in tracker.close() }
    }

    func testCallsAfterCloseThrowInvalidHandle() throws {
        let tracker = try makeTracker()
        tracker.close()
        assertThrows(.invalidHandle) { try tracker.trackEvent("late") }
        assertThrows(.invalidHandle) { try tracker.setUser(tenantID: "t", userID: "u") }
        assertThrows(.invalidHandle) { try tracker.setHeaders([:]) }
        assertThrows(.invalidHandle) { try tracker.flush(timeout: 1) }
    }

    func testDeinitFreesTheNativeTrackerAndItsDatabase() throws {
        do {
            let first = try makeTracker()
            // The library allows one live tracker per database file.
            withExtendedLifetime(first) {
                assertThrows(.storage) { _ = try self.makeTracker() }
            }
        }
        // `first` is released: its deinit freed the handle and the database's lock.
        let second = try makeTracker()
        try second.trackEvent("after_restart")
    }

    func testCloseReleasesTheDatabaseForANewTracker() throws {
        let first = try makeTracker()
        first.close()
        let second = try makeTracker()
        try second.trackEvent("after_close")
        withExtendedLifetime(first) {}
    }

    func testOneTrackerIsUsableFromManyThreads() throws {
        let collector = try DevelopmentCollector(secret: "s3cret")
        let tracker = try makeTracker(url: collector.url, secret: "s3cret")
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 40) { index in
            do {
                try tracker.trackEvent("tap", parameters: ["index": String(index)])
            } catch {
                failures.append(error)
            }
        }
        XCTAssertEqual(failures.all.map { "\($0)" }, [])
        try tracker.flush(timeout: 10)

        let events = try collector.events(40)
        XCTAssertEqual(events.map(\.nr).sorted(), Array(1...40), "gap-free numbers")
        XCTAssertEqual(Set(events.compactMap { $0.params["index"] }), Set((0..<40).map(String.init)))
    }

    func testErrorDescriptionNamesCodeAndMessage() {
        let error = HamustroError(code: .rejected, message: "collector answered 401")
        XCTAssertEqual(error.description, "rejected: collector answered 401")
    }

    func testEnumsMatchTheCHeader() {
        let environments = [
            HAMUSTRO_ENVIRONMENT_PRODUCTION, HAMUSTRO_ENVIRONMENT_GENERAL_AVAILABILITY,
            HAMUSTRO_ENVIRONMENT_RELEASE_TO_MARKETING, HAMUSTRO_ENVIRONMENT_RELEASE_CANDIDATE,
            HAMUSTRO_ENVIRONMENT_BETA, HAMUSTRO_ENVIRONMENT_ALPHA, HAMUSTRO_ENVIRONMENT_WEEKLY,
            HAMUSTRO_ENVIRONMENT_NIGHTLY, HAMUSTRO_ENVIRONMENT_STAGING,
            HAMUSTRO_ENVIRONMENT_QUALITY_ASSURANCE, HAMUSTRO_ENVIRONMENT_TESTING,
            HAMUSTRO_ENVIRONMENT_DEVELOPMENT,
        ]
        XCTAssertEqual(Environment.allCases.map(\.rawValue), environments.map { Int32($0.rawValue) })
        XCTAssertEqual(
            PayloadFormat.allCases.map(\.rawValue),
            [HAMUSTRO_PAYLOAD_FORMAT_PROTOBUF, HAMUSTRO_PAYLOAD_FORMAT_JSON].map { UInt32($0.rawValue) })
        let statuses = [
            HAMUSTRO_STATUS_INVALID_ARGUMENT, HAMUSTRO_STATUS_INVALID_HANDLE, HAMUSTRO_STATUS_STORAGE,
            HAMUSTRO_STATUS_NETWORK, HAMUSTRO_STATUS_REJECTED, HAMUSTRO_STATUS_TIMEOUT,
            HAMUSTRO_STATUS_INTERNAL, HAMUSTRO_STATUS_DISABLED, HAMUSTRO_STATUS_OUT_OF_RESOURCES,
        ]
        XCTAssertEqual(HamustroError.Code.allCases.map(\.rawValue), statuses.map { UInt32($0.rawValue) })
    }

    func testVersionIsTheLibrarys() {
        XCTAssertEqual(Hamustro.version, String(cString: hamustro_version()))
        XCTAssertFalse(Hamustro.version.isEmpty)
    }
}

/// Errors collected from several threads.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [Error] = []

    func append(_ error: Error) {
        lock.lock()
        errors.append(error)
        lock.unlock()
    }

    var all: [Error] {
        lock.lock()
        defer { lock.unlock() }
        return errors
    }
}
