import Foundation
@testable import Hamustro
import XCTest

/// Where the queue lives when the app gives no path: on Apple platforms the binding
/// puts it in Application Support under the library's own file name, and prepares that
/// directory (backup exclusion and file protection are Apple-only and not run here).
final class QueueLocationTests: TrackerTestCase {
    let support = URL(fileURLWithPath: "/var/mobile/Containers/Data/Application/X/Library/Application Support")

    func testWithApplicationSupportTheQueueIsInItsHamustroFolder() {
        let choice = QueueLocation.choose(databasePath: nil, clientID: "my app/1", applicationSupport: support)
        XCTAssertEqual(choice.databasePath, support.path + "/hamustro/my_app_1.sqlite3")
        XCTAssertEqual(choice.directory?.path, support.path + "/hamustro")
    }

    func testAPathTheAppGivesIsUsedAndLeftAlone() {
        let choice = QueueLocation.choose(
            databasePath: "/app/Documents/q.sqlite3", clientID: "c", applicationSupport: support)
        XCTAssertEqual(choice, QueueLocation.Choice(databasePath: "/app/Documents/q.sqlite3", directory: nil))
    }

    func testWithoutApplicationSupportTheLibraryChooses() {
        XCTAssertEqual(
            QueueLocation.choose(databasePath: nil, clientID: "c", applicationSupport: nil),
            QueueLocation.Choice(databasePath: nil, directory: nil))
        #if os(Linux)
        XCTAssertNil(QueueLocation.applicationSupport, "Linux keeps the library's XDG default")
        #endif
    }

    /// The binding's file name must be the library's default one, or an app updating
    /// to this version would start a new queue and leave its unsent events behind.
    /// Checked against the library itself: its default path on Linux is under
    /// `$XDG_DATA_HOME`, read when a tracker opens.
    func testTheFileNameIsTheLibrarysDefaultOne() throws {
        let previous = ProcessInfo.processInfo.environment["XDG_DATA_HOME"]
        setenv("XDG_DATA_HOME", directory.path, 1)
        defer {
            if let previous { setenv("XDG_DATA_HOME", previous, 1) } else { unsetenv("XDG_DATA_HOME") }
        }
        let clientIDs = ["my app/1", "plain-id_2", "a.b:c", "e\u{301}t\u{e9}", "👩‍👩‍👧", "日本"]
        for clientID in clientIDs {
            let tracker = try Tracker(
                collectorURL: deadURL, sharedSecretKey: "s", deviceID: "d", clientID: clientID,
                systemVersion: "1", productVersion: "1", queueSize: 100, ip: "")
            tracker.close()
            let expected = directory.appendingPathComponent("hamustro")
                .appendingPathComponent(QueueLocation.fileName(clientID: clientID))
            XCTAssertTrue(
                FileManager.default.fileExists(atPath: expected.path),
                "\(clientID.debugDescription): no \(expected.lastPathComponent); the library made "
                    + "\((try? FileManager.default.contentsOfDirectory(atPath: expected.deletingLastPathComponent().path)) ?? [])")
        }
        XCTAssertEqual(QueueLocation.fileName(clientID: "e\u{301}t\u{e9}"), "e_t_.sqlite3", "per Unicode scalar")
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
