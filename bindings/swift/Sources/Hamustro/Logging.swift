// The library's log messages, handed to a Swift closure: `hamustro_set_log_callback`
// with a C trampoline and the closure, boxed, as its user data.
import CHamustro

/// How severe a log message is, most severe first. The raw values are the C API's
/// levels (1 error … 4 debug).
public enum LogLevel: UInt32, Sendable, CaseIterable, Comparable {
    /// Something failed, e.g. an event could not be written to the queue database.
    case error = 1
    /// Something went wrong that the library copes with, e.g. a failed delivery
    /// (retried later) or a full queue (the oldest events dropped).
    case warning = 2
    /// What the library does at a glance, e.g. a tracker starting or tracking being
    /// switched off.
    case info = 3
    /// Every step, e.g. each delivered batch.
    case debug = 4

    /// `a < b` when `a` is more severe than `b`, so `level <= .info` means "info or
    /// more severe".
    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

/// Sends the library's log messages up to `maxLevel` to `handler`; nil turns logging
/// off (the default). Write it `Hamustro.setLogHandler` when a name of your own is in
/// scope.
///
/// ```swift
/// Hamustro.setLogHandler(maxLevel: .debug) { level, message in
///     print("hamustro \(level): \(message)")   // e.g. "hamustro debug: delivered 3 events …"
/// }
/// ```
///
/// Logging is process-wide: the handler receives the messages of every tracker, and
/// replaces the one installed before (by this or any other binding of the library in
/// the process). Messages describe what the library does (deliveries, failures,
/// retries, storage) and never hold the shared secret, user ids or event parameters.
///
/// The handler runs on the library's threads, the delivery thread among them, and
/// possibly on several at once: it must be thread-safe (hence `@Sendable`) and return
/// quickly. It may call hamustro, this function included.
///
/// Every handler ever installed is kept in memory for the life of the process: a
/// library thread may still be calling the previous handler just after it was
/// replaced, so releasing it could never be made safe. Each costs a few bytes; install
/// handlers once or a few times, not per event. After a replacement the previous
/// handler may still receive a message or two.
///
/// - Parameters:
///   - maxLevel: The least severe level passed on; `.info` by default.
///   - handler: Receives each message's level and text, or nil to stop logging.
public func setLogHandler(
    maxLevel: LogLevel = .info,
    _ handler: (@Sendable (LogLevel, String) -> Void)?
) {
    guard let handler else {
        // Fails only for a level out of range; the callback is NULL, so none is read.
        _ = hamustro_set_log_callback(nil, nil, maxLevel.rawValue)
        return
    }
    // Retained here and never released (see above): the C library holds this pointer
    // until a later call replaces it, and its threads may use it a little longer.
    let box = Unmanaged.passRetained(LogHandlerBox(handler)).toOpaque()
    // Fails only for a level out of range, which `LogLevel` rules out.
    _ = hamustro_set_log_callback(forwardLogMessage, box, maxLevel.rawValue)
}

/// A handler as the C library's `user_data`: a class, so that a pointer to it can be
/// passed and retained.
private final class LogHandlerBox: Sendable {
    let handler: @Sendable (LogLevel, String) -> Void

    init(_ handler: @escaping @Sendable (LogLevel, String) -> Void) {
        self.handler = handler
    }
}

/// The C callback: finds the handler in `userData` and calls it. A plain function,
/// capturing nothing, so that Swift can pass it as a C function pointer.
private func forwardLogMessage(
    _ level: UInt32, _ message: UnsafePointer<CChar>?, _ userData: UnsafeMutableRawPointer?
) {
    guard let userData else { return }
    let box = Unmanaged<LogHandlerBox>.fromOpaque(userData).takeUnretainedValue()
    // A level added after this binding can only be more verbose than debug.
    let level = LogLevel(rawValue: level) ?? .debug
    // The message is valid only during the call: copied into a String here.
    box.handler(level, message.map { String(cString: $0) } ?? "")
}
