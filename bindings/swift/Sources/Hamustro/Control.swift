// What a user may ask of an app's tracking: switching it off, erasing what waits on
// the device, and the parameters added to every event. All of it is the C library's
// (and persisted in the queue database); these are its calls, converted.
import CHamustro

extension Tracker {
    /// Switches tracking on or off, persistently: the choice is stored in the queue
    /// database, so it holds for every later tracker on it (whichever binding made it).
    ///
    /// While off, ``trackEvent(_:parameters:)`` stores nothing and returns normally,
    /// nothing is sent, and ``flush(timeout:)`` throws
    /// ``HamustroError/Code/disabled``. Events queued before are kept (and sent once
    /// tracking is switched on again) unless you also call ``discardQueued()``.
    ///
    /// ```swift
    /// // The user opted out: stop, and erase what was not sent yet.
    /// try tracker.setEnabled(false)
    /// try tracker.discardQueued()
    /// ```
    ///
    /// - Throws: ``HamustroError`` with ``HamustroError/Code/storage`` (the choice was
    ///   not stored), or ``HamustroError/Code/invalidHandle`` after ``close()``.
    public func setEnabled(_ enabled: Bool) throws {
        try check(hamustro_tracker_set_enabled(handle, enabled))
    }

    /// Whether tracking is switched on (the default for a new database); see
    /// ``setEnabled(_:)``.
    ///
    /// - Throws: ``HamustroError`` with ``HamustroError/Code/invalidHandle`` after
    ///   ``close()``.
    public var isEnabled: Bool {
        get throws {
            var enabled = false
            try check(hamustro_tracker_is_enabled(handle, &enabled))
            return enabled
        }
    }

    /// Deletes every queued event from the device, for example on a user's erasure
    /// request, and returns how many there were. A request already on its way may
    /// still reach the collector. Tracking goes on unless you also call
    /// ``setEnabled(_:)``.
    ///
    /// - Returns: The number of events deleted.
    /// - Throws: ``HamustroError`` with ``HamustroError/Code/storage``, or
    ///   ``HamustroError/Code/invalidHandle`` after ``close()``.
    @discardableResult
    public func discardQueued() throws -> UInt64 {
        var discarded: UInt64 = 0
        try check(hamustro_tracker_discard_queued(handle, &discarded))
        return discarded
    }

    /// Sets a global parameter, added to every event tracked afterwards; an event's
    /// own parameter of the same name wins. nil removes it. Persisted in the queue
    /// database, so later trackers on it add it too.
    ///
    /// ```swift
    /// try tracker.setGlobalParameter("ab_group", "b")
    /// try tracker.trackEvent("app_open")   // params: ["ab_group": "b"]
    /// ```
    ///
    /// - Parameters:
    ///   - name: The parameter's name; not empty.
    ///   - value: Its value, or nil to remove it.
    /// - Throws: ``HamustroError`` with ``HamustroError/Code/invalidArgument``,
    ///   ``HamustroError/Code/storage``, or ``HamustroError/Code/invalidHandle`` after
    ///   ``close()``.
    public func setGlobalParameter(_ name: String, _ value: String?) throws {
        try withCString(name, "global parameter name") { cName in
            try withCString(value, "the value of global parameter \(name.debugDescription)") { cValue in
                try check(hamustro_tracker_set_global_parameter(handle, cName, cValue))
            }
        }
    }

    /// Removes every global parameter (``setGlobalParameter(_:_:)``).
    ///
    /// - Throws: ``HamustroError`` with ``HamustroError/Code/storage``, or
    ///   ``HamustroError/Code/invalidHandle`` after ``close()``.
    public func clearGlobalParameters() throws {
        try check(hamustro_tracker_clear_global_parameters(handle))
    }
}
