import Foundation
@testable import HamustroUIKitGlue
import UIKit
import XCTest

/// The glue between UIKit and BackgroundFlush: the notification begins a task on the
/// main thread, the flush runs off it, and the task ends on the main thread, once.
final class UIKitGlueTests: XCTestCase {
    /// A flush that waits until the test lets it return.
    final class HeldFlush: @unchecked Sendable {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var onMainThread: [Bool] = []

        var threads: [Bool] {
            lock.lock()
            defer { lock.unlock() }
            return onMainThread
        }

        var flush: BackgroundFlush {
            BackgroundFlush { _ in
                self.lock.lock()
                self.onMainThread.append(Thread.isMainThread)
                self.lock.unlock()
                self.entered.signal()
                self.release.wait()
            }
        }
    }

    // XCTest runs each test on the main thread; the UIKit stub is the main actor's.
    func testEnteringTheBackgroundBeginsATaskFlushesOffTheMainThreadAndEndsIt() {
        let ended = expectation(description: "task ended")
        MainActor.assumeIsolated {
            let held = HeldFlush()
            let observer = held.flush.observeAppLifecycle()
            defer { NotificationCenter.default.removeObserver(observer) }
            let application = UIApplication()
            application.nextTask = UIBackgroundTaskIdentifier(rawValue: 42)
            application.onEnd = { ended.fulfill() }

            NotificationCenter.default.post(
                name: UIApplication.didEnterBackgroundNotification, object: application)
            // Posted on the main thread, the observer has run when post returns.
            XCTAssertEqual(application.begun, ["hamustro flush"])
            XCTAssertEqual(held.entered.wait(timeout: .now() + 10), .success, "no flush")
            XCTAssertEqual(held.threads, [false], "the flush ran on the main thread")
            XCTAssertEqual(application.ended, [], "ended before the flush returned")

            held.release.signal()
            wait(for: [ended], timeout: 10)
            XCTAssertEqual(application.ended, [UIBackgroundTaskIdentifier(rawValue: 42)])
        }
    }

    func testAnExpiryEndsTheTaskBeforeItsHandlerReturns() throws {
        try MainActor.assumeIsolated {
            let held = HeldFlush()
            let observer = held.flush.observeAppLifecycle()
            defer { NotificationCenter.default.removeObserver(observer) }
            let application = UIApplication()
            NotificationCenter.default.post(
                name: UIApplication.didEnterBackgroundNotification, object: application)
            XCTAssertEqual(held.entered.wait(timeout: .now() + 10), .success, "no flush")

            let expire = try XCTUnwrap(application.expirationHandlers.first ?? nil, "no expiration handler")
            expire()
            XCTAssertEqual(application.ended, [UIBackgroundTaskIdentifier(rawValue: 1)])
            held.release.signal()
        }
    }

    func testARefusedTaskStillFlushesAndItsExpiryEndsNothing() throws {
        try MainActor.assumeIsolated {
            let held = HeldFlush()
            let observer = held.flush.observeAppLifecycle()
            defer { NotificationCenter.default.removeObserver(observer) }
            let application = UIApplication()
            application.nextTask = .invalid
            NotificationCenter.default.post(
                name: UIApplication.didEnterBackgroundNotification, object: application)
            XCTAssertEqual(held.entered.wait(timeout: .now() + 10), .success, "no flush")

            // A refused task has no identifier: its end, at expiry here, ends nothing.
            let expire = try XCTUnwrap(application.expirationHandlers.first ?? nil, "no expiration handler")
            expire()
            XCTAssertEqual(application.ended, [], "ended the invalid task")
            held.release.signal()
        }
    }

    func testOnlyTheApplicationsNotificationCountsAndRemovalStopsIt() {
        MainActor.assumeIsolated {
            let held = HeldFlush()
            let observer = held.flush.observeAppLifecycle()
            // Without the application as its object (posted by someone else): ignored,
            // without a crash.
            NotificationCenter.default.post(name: UIApplication.didEnterBackgroundNotification, object: nil)
            NotificationCenter.default.post(
                name: UIApplication.didEnterBackgroundNotification, object: NSObject())

            NotificationCenter.default.removeObserver(observer)
            let application = UIApplication()
            NotificationCenter.default.post(
                name: UIApplication.didEnterBackgroundNotification, object: application)
            XCTAssertEqual(application.begun, [], "observed after removal")
        }
    }
}
