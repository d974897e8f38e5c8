// What a tracker does when the app goes to the background: iOS suspends an app soon
// after, so the binding asks for a background task, flushes with a bounded timeout off
// the main thread, and ends the task when the flush returns or when the system expires
// the task first, whichever comes first, exactly once.
//
// The logic is here, free of UIKit, so that it runs and is tested on Linux: the
// operations it needs (begin and end a task, flush) are closures. The UIKit glue that
// subscribes to `UIApplication.didEnterBackgroundNotification` and passes
// `beginBackgroundTask(withName:expirationHandler:)` and `endBackgroundTask(_:)` is
// BackgroundFlush+UIKit.swift.
import Foundation

struct BackgroundFlush: Sendable {
    /// The longest a background flush waits. iOS gives a background task about 30
    /// seconds and expires it a few seconds before that; a flush still waiting then
    /// is left to its own timeout (the task is ended at expiry regardless), and what
    /// it did not deliver stays queued for the next launch or foreground.
    static let defaultTimeout: TimeInterval = 10

    /// The timeout given to `flush`.
    let timeout: TimeInterval
    /// Delivers what is queued, waiting at most its argument (seconds). Its outcome is
    /// the library's to report (``Tracker/stats()``): a failed flush keeps the events.
    let flush: @Sendable (TimeInterval) -> Void

    init(timeout: TimeInterval = defaultTimeout, flush: @escaping @Sendable (TimeInterval) -> Void) {
        self.timeout = timeout
        self.flush = flush
    }

    /// Starts one background flush and returns at once; call it on the thread that
    /// learnt of the move to the background (the main thread, for UIKit).
    ///
    /// - Parameters:
    ///   - queue: Where the flush runs; never the caller's thread.
    ///   - beginTask: Begins a background task whose expiry calls its argument, and
    ///     returns the task's identifier, or nil when the system refuses one (the
    ///     flush then runs anyway, for as long as the app does).
    ///   - endTask: Ends the task of that identifier. Called exactly once for a task
    ///     that began: when the flush returns or at expiry, whichever is first, even
    ///     when the two race (or expiry comes before `beginTask` has returned).
    /// - Returns: The run, which tells how it ended.
    @discardableResult
    func start(
        on queue: DispatchQueue = .global(qos: .utility),
        beginTask: (_ expirationHandler: @escaping @Sendable () -> Void) -> Int?,
        endTask: @escaping @Sendable (Int) -> Void
    ) -> BackgroundFlushRun {
        let run = BackgroundFlushRun(endTask: endTask)
        run.began(beginTask { run.finish(.expired) })
        let flush = self.flush
        let timeout = self.timeout
        queue.async {
            flush(timeout)
            run.finish(.flushed)
        }
        return run
    }
}

/// One background flush's task, which is ended exactly once.
final class BackgroundFlushRun: @unchecked Sendable {
    /// How a run ended: the flush returned first, or the system expired the task.
    enum Outcome: Equatable, Sendable {
        case flushed
        case expired
    }

    private let endTask: @Sendable (Int) -> Void
    /// Guards the three fields below. `@unchecked Sendable`: they are only read and
    /// written under it.
    private let lock = NSLock()
    /// Whether `beginTask` has returned, and the identifier it returned.
    private var hasBegun = false
    private var identifier: Int?
    /// The first of the flush's return and the expiry.
    private var ending: Outcome?

    init(endTask: @escaping @Sendable (Int) -> Void) {
        self.endTask = endTask
    }

    /// How the run ended; nil while the flush runs and the task lasts.
    var outcome: Outcome? {
        lock.lock()
        defer { lock.unlock() }
        return ending
    }

    /// `beginTask` returned `identifier`. Ends the task at once when the run already
    /// finished (an expiry before `beginTask` returned).
    fileprivate func began(_ identifier: Int?) {
        lock.lock()
        hasBegun = true
        self.identifier = identifier
        let finishedFirst = ending != nil
        lock.unlock()
        if finishedFirst, let identifier {
            endTask(identifier)
        }
    }

    /// The flush returned or the task expired: the first call ends the task (or
    /// leaves it to ``began(_:)`` when its identifier is not known yet); later calls
    /// do nothing. `endTask` runs outside the lock, so it may block or call back.
    fileprivate func finish(_ outcome: Outcome) {
        lock.lock()
        guard ending == nil else {
            lock.unlock()
            return
        }
        ending = outcome
        let identifier = hasBegun ? self.identifier : nil
        lock.unlock()
        if let identifier {
            endTask(identifier)
        }
    }
}
