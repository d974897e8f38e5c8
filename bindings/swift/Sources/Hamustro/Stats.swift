// A tracker's delivery state: `hamustro_tracker_get_stats` and
// `hamustro_tracker_last_delivery_error`, as one Swift value.
import CHamustro
import Foundation

extension Tracker {
    /// A snapshot of a tracker's queue and delivery, from ``Tracker/stats()``.
    public struct Stats: Sendable {
        /// Events stored on the device and not yet accepted by the collector.
        public let queued: UInt64
        /// Events in the request being sent right now.
        public let inFlight: UInt64
        /// Events the collector accepted, over the queue database's lifetime.
        public let delivered: UInt64
        /// Events dropped because the queue reached `maxQueuedEvents`, over the
        /// queue database's lifetime.
        public let dropped: UInt64
        /// When the last delivery succeeded (whole seconds); nil if none has yet.
        public let lastSync: Date?
        /// Failed delivery attempts since the last success; 0 while delivery works.
        public let consecutiveFailures: UInt32
        /// The last failed delivery attempt of this tracker: its code
        /// (``HamustroError/Code/network``, ``HamustroError/Code/rejected``, …) and
        /// the library's message, which never holds the secret or a user id. nil if
        /// no attempt has failed since the tracker was created. It stays after a
        /// later success: ``consecutiveFailures`` tells whether delivery fails now.
        public let lastError: HamustroError?
        /// Seconds until the next automatic attempt after a failure; nil if none is
        /// scheduled.
        public let nextRetry: TimeInterval?
        /// Whether tracking is switched on (``Tracker/setEnabled(_:)``).
        public let isEnabled: Bool
        /// Records kept aside in the database's quarantine table instead of being
        /// sent (undecodable, of another database, or numbered like a different
        /// event), over the queue database's lifetime; each was logged.
        public let quarantined: UInt64

        /// Creates a snapshot; the binding makes these from the C library's figures.
        public init(
            queued: UInt64, inFlight: UInt64, delivered: UInt64, dropped: UInt64,
            lastSync: Date?, consecutiveFailures: UInt32, lastError: HamustroError?,
            nextRetry: TimeInterval?, isEnabled: Bool, quarantined: UInt64 = 0
        ) {
            self.queued = queued
            self.inFlight = inFlight
            self.delivered = delivered
            self.dropped = dropped
            self.lastSync = lastSync
            self.consecutiveFailures = consecutiveFailures
            self.lastError = lastError
            self.nextRetry = nextRetry
            self.isEnabled = isEnabled
            self.quarantined = quarantined
        }
    }

    /// The tracker's queue and delivery state right now.
    ///
    /// ```swift
    /// let stats = try tracker.stats()
    /// if stats.consecutiveFailures > 0, let error = stats.lastError {
    ///     print("delivery failing (\(error)); \(stats.queued) events wait on the device")
    /// }
    /// ```
    ///
    /// The figures come from one call and the last error's message from a second, so
    /// a delivery failing in between may pair a code with the next attempt's message.
    ///
    /// - Throws: ``HamustroError`` with ``HamustroError/Code/storage`` (the counters
    ///   could not be read), or ``HamustroError/Code/invalidHandle`` after ``close()``.
    public func stats() throws -> Stats {
        var raw = hamustro_stats()
        // The library fills as much of the struct as this header declares.
        raw.size = UInt32(MemoryLayout<hamustro_stats>.size)
        try check(hamustro_tracker_get_stats(handle, &raw))

        var lastError: HamustroError?
        if raw.last_error_status != HAMUSTRO_STATUS_OK.rawValue {
            lastError = HamustroError(status: raw.last_error_status, message: try lastDeliveryError())
        }
        return Stats(
            queued: raw.queued,
            inFlight: raw.in_flight,
            delivered: raw.delivered,
            dropped: raw.dropped,
            // The C struct says "none" with 0.
            lastSync: raw.last_sync_time == 0
                ? nil : Date(timeIntervalSince1970: TimeInterval(raw.last_sync_time)),
            consecutiveFailures: raw.consecutive_failures,
            lastError: lastError,
            nextRetry: raw.next_retry_ms == 0 ? nil : TimeInterval(raw.next_retry_ms) / 1000,
            isEnabled: raw.enabled != 0,
            quarantined: raw.quarantined
        )
    }

    /// The message of the tracker's last failed delivery attempt ("" if none).
    private func lastDeliveryError() throws -> String {
        var length = 0
        try check(hamustro_tracker_last_delivery_error(handle, nil, 0, &length))
        while length > 0 {
            var buffer = [CChar](repeating: 0, count: length + 1)
            var needed = 0
            try buffer.withUnsafeMutableBufferPointer {
                try check(hamustro_tracker_last_delivery_error(handle, $0.baseAddress, $0.count, &needed))
            }
            // A longer message may have replaced the one measured: measure again.
            if needed <= length {
                return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            }
            length = needed
        }
        return ""
    }
}
