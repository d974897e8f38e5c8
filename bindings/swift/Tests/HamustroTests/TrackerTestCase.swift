import Foundation
import Hamustro
import XCTest

/// The base of the test classes: a temporary directory per test for the queue
/// databases, a tracker with test values, and error assertions.
class TrackerTestCase: XCTestCase {
    /// This test's directory, removed after it.
    var directory: URL!

    /// Nothing listens on port 9 (discard) of the loopback address: deliveries to it
    /// fail at once, so events stay queued.
    let deadURL = URL(string: "http://127.0.0.1:9")!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("hamustro-swift-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: directory)
    }

    /// A tracker with test values for every required field, its queue in this test's
    /// directory (`database`, or the library's name in `databaseDirectory`), pointed at
    /// the dead port unless `url` is given.
    func makeTracker(
        url: URL? = nil,
        secret: String = "s3cret",
        clientID: String = "swift-tests",
        database: String? = nil,
        databaseDirectory: String? = nil,
        environment: Environment = .testing,
        systemVersion: String? = "6.0",
        system: String? = "Linux",
        systemLanguage: String? = nil,
        queueSize: UInt32 = 100,
        payloadFormat: PayloadFormat? = nil,
        userIDSalt: String? = nil,
        maxQueuedEvents: UInt64? = nil,
        country: String? = "HU",
        acceptInvalidCertificatesForLoopback: Bool? = nil,
        flushOnBackground: Bool? = nil
    ) throws -> Tracker {
        try Tracker(
            collectorURL: url ?? deadURL,
            sharedSecretKey: secret,
            deviceID: "device-1",
            clientID: clientID,
            systemVersion: systemVersion,
            productVersion: "1.0.0",
            environment: environment,
            deviceMake: "Hamster Inc.",
            system: system,
            systemLanguage: systemLanguage,
            productLanguage: "hu",
            queueSize: queueSize,
            // `queue.sqlite3` unless named; with a directory alone, the library names it.
            databasePath: (database ?? (databaseDirectory == nil ? "queue.sqlite3" : nil))
                .map { directory.appendingPathComponent($0).path },
            databaseDirectory: databaseDirectory,
            payloadFormat: payloadFormat,
            requestTimeout: 2,
            ip: "",
            country: country,
            userIDSalt: userIDSalt,
            maxQueuedEvents: maxQueuedEvents,
            acceptInvalidCertificatesForLoopback: acceptInvalidCertificatesForLoopback,
            flushOnBackground: flushOnBackground
        )
    }

    /// Asserts that `body` throws a ``HamustroError`` with `code` and a message.
    func assertThrows(
        _ code: HamustroError.Code,
        file: StaticString = #filePath, line: UInt = #line,
        _ body: () throws -> Void
    ) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard let error = error as? HamustroError else {
                return XCTFail("\(error) is not a HamustroError", file: file, line: line)
            }
            XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
            XCTAssertFalse(error.message.isEmpty, "\(error) has no message", file: file, line: line)
        }
    }
}
