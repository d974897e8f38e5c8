import Foundation
@testable import Hamustro
import XCTest

/// The flush when the app enters the background: a task begun, a flush off the
/// caller's thread with a bounded timeout, the task ended exactly once (after the flush
/// or at expiry), and the switch that turns it off. UIKit only passes its task calls;
/// the logic is all here, so these run on Linux.
final class BackgroundFlushTests: TrackerTestCase {
    /// The task calls a test passes to `start`: every task ended, in order.
    final class Tasks: @unchecked Sendable {
        private let lock = NSLock()
        private var endedIDs: [Int] = []
        private var expirationHandlers: [@Sendable () -> Void] = []
        /// Fulfilled at each end (over-fulfilling it fails the test).
        let ended: XCTestExpectation?

        init(_ ended: XCTestExpectation?) { self.ended = ended }

        var endedTasks: [Int] {
            lock.lock()
            defer { lock.unlock() }
            return endedIDs
        }

        /// The system's expiry of the task begun `index`-th.
        func expire(_ index: Int = 0) {
            lock.lock()
            let handler = expirationHandlers[index]
            lock.unlock()
            handler()
        }

        func begin(returning identifier: Int?) -> (@escaping @Sendable () -> Void) -> Int? {
            { handler in
                self.lock.lock()
                self.expirationHandlers.append(handler)
                self.lock.unlock()
                return identifier
            }
        }

        var end: @Sendable (Int) -> Void {
            { identifier in
                self.lock.lock()
                self.endedIDs.append(identifier)
                self.lock.unlock()
                self.ended?.fulfill()
            }
        }
    }

    /// A flush that waits until the test lets it return, and records its timeouts.
    final class HeldFlush: @unchecked Sendable {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var timeouts: [TimeInterval] = []

        var calls: [TimeInterval] {
            lock.lock()
            defer { lock.unlock() }
            return timeouts
        }

        var operation: @Sendable (TimeInterval) -> Void {
            { timeout in
                self.lock.lock()
                self.timeouts.append(timeout)
                self.lock.unlock()
                self.entered.signal()
                self.release.wait()
            }
        }
    }

    func testTheFlushRunsOffTheCallersThreadAndThenEndsTheTask() {
        let tasks = Tasks(expectation(description: "task ended"))
        let flush = HeldFlush()
        let queue = DispatchQueue(label: "background flush")
        let run = BackgroundFlush(timeout: 7, flush: flush.operation)
            .start(on: queue, beginTask: tasks.begin(returning: 41), endTask: tasks.end)

        // start returned while the flush is still running on the queue.
        XCTAssertEqual(flush.entered.wait(timeout: .now() + 10), .success, "the flush never started")
        XCTAssertNil(run.outcome)
        XCTAssertEqual(tasks.endedTasks, [], "the task ended before the flush returned")
        flush.release.signal()

        wait(for: [tasks.ended!], timeout: 10)
        queue.sync {}  // the run's work on the queue is over
        XCTAssertEqual(tasks.endedTasks, [41])
        XCTAssertEqual(run.outcome, .flushed)
        XCTAssertEqual(flush.calls, [7], "one flush, with the run's timeout")
    }

    func testExpiryEndsTheTaskAtOnceAndTheFlushReturningLaterDoesNotEndItAgain() {
        let tasks = Tasks(expectation(description: "task ended"))
        let flush = HeldFlush()
        let queue = DispatchQueue(label: "background flush")
        let run = BackgroundFlush(flush: flush.operation)
            .start(on: queue, beginTask: tasks.begin(returning: 5), endTask: tasks.end)
        XCTAssertEqual(flush.entered.wait(timeout: .now() + 10), .success, "the flush never started")

        tasks.expire()
        // Ended within the expiry handler, as UIKit requires, with the flush still running.
        XCTAssertEqual(tasks.endedTasks, [5])
        XCTAssertEqual(run.outcome, .expired)

        wait(for: [tasks.ended!], timeout: 0)
        flush.release.signal()
        queue.sync {}  // the flush has returned and the run has seen it
        XCTAssertEqual(tasks.endedTasks, [5], "ended twice")
        XCTAssertEqual(run.outcome, .expired)
        XCTAssertEqual(flush.calls, [BackgroundFlush.defaultTimeout])
    }

    func testAnExpiryBeforeTheTasksIdentifierIsKnownEndsItOnceItIs() {
        let tasks = Tasks(expectation(description: "task ended"))
        let flush = HeldFlush()
        let queue = DispatchQueue(label: "background flush")
        let run = BackgroundFlush(flush: flush.operation).start(
            on: queue,
            beginTask: { expirationHandler in
                expirationHandler()  // the system expires it before begin returns
                return 9
            },
            endTask: tasks.end)

        XCTAssertEqual(tasks.endedTasks, [9], "not ended once its identifier came")
        XCTAssertEqual(run.outcome, .expired)
        wait(for: [tasks.ended!], timeout: 0)
        flush.release.signal()
        queue.sync {}
        XCTAssertEqual(tasks.endedTasks, [9], "ended twice")
    }

    func testARefusedTaskStillFlushesAndEndsNothing() {
        let tasks = Tasks(nil)
        let flushed = expectation(description: "flushed")
        let queue = DispatchQueue(label: "background flush")
        let run = BackgroundFlush { _ in flushed.fulfill() }
            .start(on: queue, beginTask: tasks.begin(returning: nil), endTask: tasks.end)
        wait(for: [flushed], timeout: 10)
        queue.sync {}
        XCTAssertEqual(run.outcome, .flushed)
        XCTAssertEqual(tasks.endedTasks, [], "ended a task that never began")
    }

    func testRacingExpiryAndFlushEndEachTaskExactlyOnce() {
        let runs = 500
        let ended = expectation(description: "tasks ended")
        ended.expectedFulfillmentCount = runs
        ended.assertForOverFulfill = true
        let tasks = Tasks(ended)
        // Concurrent, so that flushes return on several threads while expiries come
        // from this one.
        let queue = DispatchQueue(label: "background flushes", attributes: .concurrent)
        let flush = BackgroundFlush { _ in }
        var all: [BackgroundFlushRun] = []
        for task in 0..<runs {
            all.append(flush.start(on: queue, beginTask: tasks.begin(returning: task), endTask: tasks.end))
            tasks.expire(task)
        }
        wait(for: [ended], timeout: 30)
        queue.sync(flags: .barrier) {}  // every flush has returned
        XCTAssertEqual(tasks.endedTasks.sorted(), Array(0..<runs), "a task ended twice or never")
        XCTAssertTrue(all.allSatisfy { $0.outcome != nil })
    }

    func testATrackerFlushesWhatIsQueuedWhenTheAppGoesToTheBackground() throws {
        let collector = try DevelopmentCollector(secret: "s3cret")
        let tracker = try makeTracker(url: collector.url)
        // A tracker that never synced sends at once; after one sync, events wait for
        // queueSize (100) or a flush.
        try tracker.trackEvent("first")
        try tracker.flush(timeout: 10)
        _ = try collector.events(1)
        for name in ["a", "b", "c"] {
            try tracker.trackEvent(name)
        }
        XCTAssertEqual(collector.eventCount, 1, "delivered before the background flush")

        let backgroundFlush = try XCTUnwrap(tracker.backgroundFlush, "on by default")
        XCTAssertEqual(backgroundFlush.timeout, BackgroundFlush.defaultTimeout)
        let tasks = Tasks(expectation(description: "task ended"))
        let run = backgroundFlush.start(beginTask: tasks.begin(returning: 1), endTask: tasks.end)
        wait(for: [tasks.ended!], timeout: 20)

        XCTAssertEqual(run.outcome, .flushed)
        XCTAssertEqual(tasks.endedTasks, [1])
        XCTAssertEqual(try collector.events(4).map(\.name), ["first", "a", "b", "c"])
        XCTAssertEqual(try tracker.stats().queued, 0)
    }

    func testABackgroundFlushAfterCloseEndsItsTaskWithoutHarm() throws {
        let tracker = try makeTracker()
        let backgroundFlush = try XCTUnwrap(tracker.backgroundFlush)
        tracker.close()
        let tasks = Tasks(expectation(description: "task ended"))
        let run = backgroundFlush.start(beginTask: tasks.begin(returning: 3), endTask: tasks.end)
        wait(for: [tasks.ended!], timeout: 10)
        XCTAssertEqual(run.outcome, .flushed)
        XCTAssertEqual(tasks.endedTasks, [3])
    }

    func testFlushOnBackgroundFalseSwitchesItOff() throws {
        XCTAssertNil(try makeTracker(flushOnBackground: false).backgroundFlush)
        XCTAssertNotNil(try makeTracker(database: "on.sqlite3", flushOnBackground: true).backgroundFlush)
    }
}
