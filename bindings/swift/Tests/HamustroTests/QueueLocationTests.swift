import Foundation
@testable import Hamustro
import XCTest

/// Where the queue lives when the app gives no path: on Apple platforms the binding
/// gives the library Application Support's `hamustro` folder, and prepares that
/// directory (backup exclusion and file protection are Apple-only and not run here);
/// the library names the file in it.
final class QueueLocationTests: TrackerTestCase {
    let support = URL(fileURLWithPath: "/var/mobile/Containers/Data/Application/X/Library/Application Support")

    func testWithApplicationSupportTheQueueIsInItsHamustroFolder() {
        let choice = QueueLocation.choose(databasePath: nil, databaseDirectory: nil, applicationSupport: support)
        XCTAssertNil(choice.databasePath, "the library names the file")
        XCTAssertEqual(choice.databaseDirectory, support.path + "/hamustro")
        XCTAssertEqual(choice.prepared?.path, support.path + "/hamustro")
    }

    func testAPathOrDirectoryTheAppGivesIsUsedAndLeftAlone() {
        XCTAssertEqual(
            QueueLocation.choose(
                databasePath: "/app/Documents/q.sqlite3", databaseDirectory: nil, applicationSupport: support),
            QueueLocation.Choice(databasePath: "/app/Documents/q.sqlite3", databaseDirectory: nil, prepared: nil))
        XCTAssertEqual(
            QueueLocation.choose(databasePath: nil, databaseDirectory: "/app/Documents/queues", applicationSupport: support),
            QueueLocation.Choice(databasePath: nil, databaseDirectory: "/app/Documents/queues", prepared: nil))
    }

    func testWithoutApplicationSupportTheLibraryChooses() {
        XCTAssertEqual(
            QueueLocation.choose(databasePath: nil, databaseDirectory: nil, applicationSupport: nil),
            QueueLocation.Choice(databasePath: nil, databaseDirectory: nil, prepared: nil))
        #if os(Linux)
        XCTAssertNil(QueueLocation.applicationSupport, "Linux keeps the library's XDG default")
        #endif
    }

    /// Client ids that the binding's old file name confused (`a.b` and `a_b`) get a
    /// queue each in one directory, and each delivers only its own events.
    func testClientIDsSharingADirectoryKeepTheirQueuesApart() throws {
        let queues = directory.appendingPathComponent("Application Support/hamustro")
        let first = try makeTracker(clientID: "a.b", databaseDirectory: queues.path)
        try first.trackEvent("first")
        try first.trackEvent("first")
        let second = try makeTracker(clientID: "a_b", databaseDirectory: queues.path)
        try second.trackEvent("second")
        XCTAssertEqual(try first.stats().queued, 2)
        XCTAssertEqual(try second.stats().queued, 1)
        let files = try FileManager.default.contentsOfDirectory(atPath: queues.path)
            .filter { $0.hasSuffix(".sqlite3") }
        XCTAssertEqual(files.count, 2, "\(files)")
    }

    /// A queue an earlier version of this binding left under the name it computed
    /// (the client id with every Unicode scalar but an ASCII letter, digit, `-` or `_`
    /// made `_`: the library's old name too) is found by the library in the directory,
    /// so an app updating to this version keeps its unsent events.
    func testAQueueUnderTheOldFileNameIsKept() throws {
        let queues = directory.appendingPathComponent("hamustro")
        let clientID = "my app/1.e\u{301}"
        let old = try makeTracker(clientID: clientID, database: "hamustro/my_app_1_e_.sqlite3")
        try old.trackEvent("waiting")
        try old.trackEvent("waiting")
        old.close()
        let tracker = try makeTracker(clientID: clientID, databaseDirectory: queues.path)
        XCTAssertEqual(try tracker.stats().queued, 2)
    }

    func testAPathAndADirectoryTogetherAreRefused() {
        assertThrows(.invalidArgument) {
            _ = try makeTracker(
                database: "queue.sqlite3", databaseDirectory: directory.appendingPathComponent("queues").path)
        }
    }

    func testPreparingMakesAPrivateDirectoryAndKeepsWhatIsInIt() throws {
        let queue = directory.appendingPathComponent("Application Support/hamustro")
        QueueLocation.prepare(directory: queue)
        let attributes = try FileManager.default.attributesOfItem(atPath: queue.path)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o700)

        let file = queue.appendingPathComponent("c.sqlite3")
        try Data("queue".utf8).write(to: file)
        QueueLocation.prepare(directory: queue)  // the next launch
        XCTAssertEqual(try Data(contentsOf: file), Data("queue".utf8))

        // Nothing to prepare in a file's place: no crash, the library then reports it.
        let blocked = directory.appendingPathComponent("blocked")
        try Data().write(to: blocked)
        QueueLocation.prepare(directory: blocked.appendingPathComponent("hamustro"))
    }

    func testATrackerOpensInAPreparedDirectory() throws {
        let queue = directory.appendingPathComponent("support/hamustro")
        QueueLocation.prepare(directory: queue)
        let tracker = try makeTracker(database: "support/hamustro/q.sqlite3")
        try tracker.trackEvent("stored")
        XCTAssertTrue(FileManager.default.fileExists(atPath: queue.appendingPathComponent("q.sqlite3").path))
    }
}
