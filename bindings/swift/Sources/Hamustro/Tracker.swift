import CHamustro
import Foundation

/// Tracks events and delivers them, signed, to a Hamustro collector.
///
/// ```swift
/// let tracker = try Tracker(
///     collectorURL: URL(string: "https://t.example.com")!,
///     sharedSecretKey: secret, deviceID: deviceID, clientID: "my-app",
///     systemVersion: "17.4", productVersion: "2.0.0")
/// try tracker.setUser(tenantID: "acme", userID: "u-42")
/// try tracker.trackEvent("app_open", parameters: ["screen": "home"])
/// ```
///
/// Each event is committed to an on-disk queue (SQLite) before ``trackEvent(_:parameters:)``
/// returns, and a background thread of the library delivers the queue when
/// `queueSize` events are waiting or the last delivery is older than
/// `queueRetentionMinutes`. No method but ``flush(timeout:)``, ``close()`` and
/// `deinit` waits for the network.
///
/// On Apple platforms the tracker fills the system, its version, language and country
/// from Foundation when they are not given; keeps its queue in Application Support,
/// excluded from backups and readable while the device is locked after its first
/// unlock (see `databaseDirectory`); and where UIKit is (iOS, tvOS, visionOS, Mac
/// Catalyst), flushes in a background task when the app enters the background (see
/// `flushOnBackground`).
///
/// Users' choices are the library's too: ``setEnabled(_:)`` switches tracking off
/// persistently, ``discardQueued()`` erases what is waiting on the device, and
/// `userIDSalt` keeps raw user ids on it. ``stats()`` tells how delivery is going.
///
/// Releasing the last reference frees the native tracker, as ``close()`` does: it waits
/// for a request in progress (at most `requestTimeout`), and events not yet delivered
/// stay in the database for the next tracker on it. One live tracker at a time may use
/// a database file; a second one fails with ``HamustroError/Code/storage``.
///
/// ## Thread safety
/// `Tracker` is `@unchecked Sendable` because the compiler cannot see what makes it
/// safe, which is true nonetheless:
/// - the C API allows every function to be called from any thread, concurrently, on
///   the same handle, and a handle that was freed meanwhile only gives an error
///   (``HamustroError/Code/invalidHandle``), never undefined behaviour;
/// - the native handle is a `let`, set once in `init` and never changed;
/// - the mutable properties, whether ``close()`` already ran and the subscription to
///   the app's move to the background, are read and written only under a lock.
public final class Tracker: @unchecked Sendable {
    /// The C API's tracker handle; closing invalidates it in the library, never here.
    /// Internal, not private, for the extensions in Control.swift and Stats.swift.
    let handle: hamustro_tracker
    /// Guards `closed`, so that the handle is freed once however many threads close,
    /// and `lifecycleObserver`.
    private let lock = NSLock()
    private var closed = false
    /// The subscription to the app's move to the background (UIKit only), removed on
    /// ``close()``; guarded by `lock`.
    private var lifecycleObserver: NSObjectProtocol?
    /// What the tracker does when the app enters the background; nil when
    /// `flushOnBackground` is false. On every platform, so that it is tested on Linux;
    /// only UIKit subscribes it to the notification.
    let backgroundFlush: BackgroundFlush?

    /// Creates a tracker: opens (or creates) the queue database, loads what an earlier
    /// run left there (unsent events, counters, user), and starts background delivery.
    ///
    /// The first six parameters are required and must not be empty (`systemVersion`
    /// may be nil). Every other parameter left nil keeps the library's default, which
    /// this binding never restates: see `include/hamustro.h` for each. The exceptions
    /// are Apple platforms' own: there, `system`, `systemVersion`, `systemLanguage`
    /// and `country` come from Foundation, and `databaseDirectory` from FileManager
    /// (below).
    ///
    /// - Parameters:
    ///   - collectorURL: The collector's base URL, e.g. `https://t.example.com`;
    ///     events are posted to `<url>/api/v1/track`. http or https (certificates are
    ///     verified).
    ///   - sharedSecretKey: The secret shared with the collector, signing every
    ///     request. Never logged nor put in an error message.
    ///   - deviceID: The device's raw identifier; only its SHA-256 is sent.
    ///   - clientID: The app's identifier at the collector.
    ///   - systemVersion: The operating system's version, e.g. "17.4". nil sends the
    ///     running system's: `ProcessInfo.operatingSystemVersion` on Apple platforms
    ///     (the simulated iOS in the simulator), the kernel release on Linux.
    ///   - productVersion: The app's version, e.g. "2.0.0".
    ///   - environment: The environment the build runs in.
    ///   - deviceMake: The device maker, e.g. "Apple".
    ///   - deviceModel: The device model, e.g. "iPhone15,2".
    ///   - system: The operating system's name, e.g. "iOS". nil detects it from the
    ///     operating system the app runs on ("iOS", "macOS" (Mac Catalyst too),
    ///     "tvOS", "watchOS", "visionOS", "Linux"); "" sends none.
    ///   - systemLanguage: The system language as a BCP 47 tag, e.g. "en-US". nil
    ///     takes it from `Locale.current` on Apple platforms, from the process's
    ///     POSIX locale (`LC_ALL`, `LC_MESSAGES`, `LANG`) elsewhere; "" sends none.
    ///   - browser: The browser's name, for web views.
    ///   - browserVersion: The browser's version.
    ///   - productGitHash: The git hash of the app build.
    ///   - productLanguage: The language of the app's UI, e.g. "de".
    ///   - queueSize: Deliver when this many events are queued; 0 or 1 delivers on
    ///     every event.
    ///   - queueRetentionMinutes: Deliver when the last successful delivery is older
    ///     than this; 0 delivers on every event.
    ///   - databasePath: The SQLite file holding the queue (created with its
    ///     directory). nil: a file the library names after the client id (a file of
    ///     its own for each client id) in `databaseDirectory`.
    ///   - databaseDirectory: The directory of that file (created if missing); give
    ///     this or `databasePath`, not both. nil: a `hamustro` folder of the
    ///     platform's data directory. On Apple platforms that is the app's Application
    ///     Support (from FileManager), and the binding excludes the folder from
    ///     backups and, on iOS, tvOS, watchOS and visionOS, gives it and its files the
    ///     protection class `completeUntilFirstUserAuthentication`, so that a flush in
    ///     the background works while the device is locked (after its first unlock).
    ///     A path or directory you give gets none of this: it is yours.
    ///   - payloadFormat: How request bodies are encoded.
    ///   - requestTimeout: The limit on each HTTP request, connecting included, in
    ///     seconds (rounded up to whole milliseconds); must be positive.
    ///   - ip: The IPv4 address sent with each event. nil detects the device's
    ///     primary address; "" sends none (the collector then records the request's).
    ///   - country: The country sent with each event, e.g. "HU". nil takes the region
    ///     of `Locale.current` on Apple platforms, of the POSIX locale elsewhere, if it
    ///     names a country.
    ///   - userIDSalt: When set, user ids given to ``setUser(tenantID:userID:)`` are
    ///     stored and sent as the hex SHA-256 of the user id followed by this salt, so
    ///     raw user ids never leave the device. Keep it constant for an app, or the
    ///     same user gets a new id. nil sends user ids as given.
    ///   - maxQueuedEvents: The most events kept queued on the device; tracking one
    ///     more drops the oldest (counted in ``Stats/dropped``). Must be positive.
    ///     nil keeps the library's default.
    ///   - acceptInvalidCertificatesForLoopback: `true` skips TLS certificate
    ///     verification, for a development collector with a self-signed certificate.
    ///     Only allowed when `collectorURL`'s host is 127.0.0.1, ::1 or localhost.
    ///   - caCertificates: PEM CA certificates (e.g. a company's private CA) trusted
    ///     besides the system's trust store (the keychains on Apple platforms). nil
    ///     trusts the system's store alone. Text that holds no certificate throws.
    ///   - caCertificatesOnly: `true` trusts `caCertificates` alone, not the system's
    ///     store: the collector is pinned to its CA.
    ///   - proxy: `"http://[user:password@]host:port"`, the HTTP proxy every request goes
    ///     through (credentials never logged). nil leaves it to the environment.
    ///   - proxyFromEnvironment: nil or `true`: without `proxy`, use the proxy the
    ///     standard variables choose (`https_proxy`, `http_proxy`, `all_proxy`,
    ///     `no_proxy`, read as curl reads them). The system's proxy settings
    ///     (System Settings, a PAC file) are not read. `false`: connect directly.
    ///   - flushOnBackground: nil or `true`: when the app enters the background
    ///     (`UIApplication.didEnterBackgroundNotification`, on iOS, tvOS, visionOS
    ///     and Mac Catalyst), begin a background task, flush for at most 10 seconds
    ///     off the main thread, and end the task when the flush returns or the system
    ///     expires the task, whichever is first. `false`: do nothing then. No effect
    ///     where there is no UIKit (macOS, watchOS, Linux).
    /// - Throws: ``HamustroError`` with ``HamustroError/Code/invalidArgument`` naming a
    ///   missing or bad field (or `acceptInvalidCertificatesForLoopback` with a host
    ///   that is not a loopback address, or both `databasePath` and
    ///   `databaseDirectory`), or ``HamustroError/Code/storage`` when the
    ///   database cannot be used (including when another live tracker has it open).
    public init(
        collectorURL: URL,
        sharedSecretKey: String,
        deviceID: String,
        clientID: String,
        systemVersion: String? = nil,
        productVersion: String,
        environment: Environment? = nil,
        deviceMake: String? = nil,
        deviceModel: String? = nil,
        system: String? = nil,
        systemLanguage: String? = nil,
        browser: String? = nil,
        browserVersion: String? = nil,
        productGitHash: String? = nil,
        productLanguage: String? = nil,
        queueSize: UInt32? = nil,
        queueRetentionMinutes: UInt32? = nil,
        databasePath: String? = nil,
        databaseDirectory: String? = nil,
        payloadFormat: PayloadFormat? = nil,
        requestTimeout: TimeInterval? = nil,
        ip: String? = nil,
        country: String? = nil,
        userIDSalt: String? = nil,
        maxQueuedEvents: UInt64? = nil,
        acceptInvalidCertificatesForLoopback: Bool? = nil,
        caCertificates: String? = nil,
        caCertificatesOnly: Bool? = nil,
        proxy: String? = nil,
        proxyFromEnvironment: Bool? = nil,
        flushOnBackground: Bool? = nil
    ) throws {
        var config = hamustro_config()
        try check(hamustro_config_new(&config))
        // The tracker keeps its own copy of the configuration.
        defer { _ = hamustro_config_free(config) }

        typealias Setter = (hamustro_config, UnsafePointer<CChar>?) -> UInt32
        func set(_ setter: Setter, _ value: String?, _ name: String) throws {
            // nil leaves the library's default: unset, or detected (system,
            // systemLanguage, ip, country).
            guard value != nil else { return }
            try withCString(value, name) { try check(setter(config, $0)) }
        }
        try set(hamustro_config_set_collector_url, collectorURL.absoluteString, "collectorURL")
        try set(hamustro_config_set_shared_secret_key, sharedSecretKey, "sharedSecretKey")
        try set(hamustro_config_set_device_id, deviceID, "deviceID")
        try set(hamustro_config_set_client_id, clientID, "clientID")
        // The app's values win, "" included; a nil field of the platform's context
        // leaves the library's detection (PlatformContext.swift says which is which).
        let platform = PlatformContext.current
        try set(hamustro_config_set_system_version, systemVersion ?? platform.systemVersion,
                "systemVersion")
        try set(hamustro_config_set_product_version, productVersion, "productVersion")
        if let environment {
            try check(hamustro_config_set_env(config, environment.rawValue))
        }
        try set(hamustro_config_set_device_make, deviceMake, "deviceMake")
        try set(hamustro_config_set_device_model, deviceModel, "deviceModel")
        try set(hamustro_config_set_system, system ?? platform.system, "system")
        try set(hamustro_config_set_system_language, systemLanguage ?? platform.systemLanguage,
                "systemLanguage")
        try set(hamustro_config_set_browser, browser, "browser")
        try set(hamustro_config_set_browser_version, browserVersion, "browserVersion")
        try set(hamustro_config_set_product_git_hash, productGitHash, "productGitHash")
        try set(hamustro_config_set_product_language, productLanguage, "productLanguage")
        if let queueSize {
            try check(hamustro_config_set_queue_size(config, queueSize))
        }
        if let queueRetentionMinutes {
            try check(hamustro_config_set_queue_retention(config, queueRetentionMinutes))
        }
        let queue = QueueLocation.choose(
            databasePath: databasePath, databaseDirectory: databaseDirectory,
            applicationSupport: QueueLocation.applicationSupport)
        if let directory = queue.prepared {
            // Before the library opens the queue, so that its new files inherit the
            // directory's protection class.
            QueueLocation.prepare(directory: directory)
        }
        try set(hamustro_config_set_database_path, queue.databasePath, "databasePath")
        try set(hamustro_config_set_database_directory, queue.databaseDirectory, "databaseDirectory")
        if let payloadFormat {
            try check(hamustro_config_set_payload_format(config, payloadFormat.rawValue))
        }
        if let requestTimeout {
            try check(hamustro_config_set_request_timeout_ms(config, milliseconds(requestTimeout)))
        }
        try set(hamustro_config_set_ip, ip, "ip")
        try set(hamustro_config_set_country, country ?? platform.country, "country")
        try set(hamustro_config_set_user_id_salt, userIDSalt, "userIDSalt")
        if let maxQueuedEvents {
            try check(hamustro_config_set_max_queued_events(config, maxQueuedEvents))
        }
        if let acceptInvalidCertificatesForLoopback {
            try check(hamustro_config_set_accept_invalid_certs_for_loopback(
                config, acceptInvalidCertificatesForLoopback))
        }
        try set(hamustro_config_set_ca_certificates, caCertificates, "caCertificates")
        if let caCertificatesOnly {
            try check(hamustro_config_set_ca_certificates_only(config, caCertificatesOnly))
        }
        try set(hamustro_config_set_proxy, proxy, "proxy")
        if let proxyFromEnvironment {
            try check(hamustro_config_set_proxy_from_environment(config, proxyFromEnvironment))
        }

        var tracker = hamustro_tracker()
        try check(hamustro_tracker_new(config, &tracker))
        handle = tracker

        if flushOnBackground == false {
            backgroundFlush = nil
        } else {
            // The handle, not self: the flush needs no reference to the tracker, and
            // one that runs after close() only gets an invalid-handle status.
            let native = tracker
            backgroundFlush = BackgroundFlush { timeout in
                _ = hamustro_tracker_flush(native, milliseconds(timeout))
            }
        }
        #if canImport(UIKit) && !os(watchOS)
        lifecycleObserver = backgroundFlush?.observeAppLifecycle()
        #endif
    }

    deinit {
        // No other reference exists, so no lock is needed.
        if let lifecycleObserver {
            NotificationCenter.default.removeObserver(lifecycleObserver)
        }
        if !closed {
            _ = hamustro_tracker_free(handle)
        }
    }

    /// Tracks one event. Returns once the event is committed to the on-disk queue:
    /// from then on it survives the app being killed and will be delivered. Never
    /// waits for the network.
    ///
    /// The time, the event's number within the session, the user, time zone, IP and
    /// country are filled in by the library, and the global parameters
    /// (``setGlobalParameter(_:_:)``) added; the event's own parameters win. While
    /// tracking is switched off (``setEnabled(_:)``) nothing is stored and it returns
    /// normally.
    ///
    /// - Parameters:
    ///   - name: The event's name; not empty.
    ///   - parameters: The event's parameters; names not empty.
    /// - Throws: ``HamustroError`` with ``HamustroError/Code/invalidArgument``
    ///   (past a limit: the name 1 to 1024 bytes, the encoded event 256 KiB),
    ///   ``HamustroError/Code/storage`` (nothing was stored: a full disk, or 50,000
    ///   events already waiting for a database that refuses them, 200,000 while it
    ///   takes them but lags behind), or ``HamustroError/Code/invalidHandle`` after
    ///   ``close()``.
    public func trackEvent(_ name: String, parameters: [String: String] = [:]) throws {
        try withCString(name, "event name") { event in
            try withCStringPairs(parameters, "parameter") { names, values, count in
                try check(hamustro_tracker_track_event(handle, event, names, values, count))
            }
        }
    }

    /// Sets (and persists) the tenant and user that later events are attributed to;
    /// nil clears a field. Events already tracked keep the user they were tracked with.
    /// With a `userIDSalt`, only the salted hash of `userID` is stored and sent.
    ///
    /// - Throws: ``HamustroError`` with ``HamustroError/Code/invalidArgument``,
    ///   ``HamustroError/Code/storage``, or ``HamustroError/Code/invalidHandle`` after
    ///   ``close()``.
    public func setUser(tenantID: String?, userID: String?) throws {
        try withCString(tenantID, "tenantID") { tenant in
            try withCString(userID, "userID") { user in
                try check(hamustro_tracker_set_user(handle, tenant, user))
            }
        }
    }

    /// Replaces the extra HTTP headers sent with every request; an empty dictionary
    /// removes them. Not persisted: set them again on every new tracker.
    ///
    /// - Parameter headers: Header names and values. Names must be valid HTTP header
    ///   names; values may hold tab, space, visible ASCII and characters beyond ASCII
    ///   except U+0080 to U+009F, U+2028 and U+2029. The headers the library sets
    ///   itself (X-Hamustro-Time, X-Hamustro-Signature, Content-Type) and those that
    ///   change how HTTP carries the request (Content-Length, Content-Encoding,
    ///   Transfer-Encoding, Trailer, TE, Connection, Keep-Alive, Upgrade,
    ///   HTTP2-Settings, Host, Expect, Proxy-*) cannot be set.
    /// - Throws: ``HamustroError`` with ``HamustroError/Code/invalidArgument``, or
    ///   ``HamustroError/Code/invalidHandle`` after ``close()``.
    public func setHeaders(_ headers: [String: String]) throws {
        try withCStringPairs(headers, "header") { names, values, count in
            try check(hamustro_tracker_set_headers(handle, names, values, count))
        }
    }

    /// Blocks until every event tracked before the call is delivered, a delivery
    /// attempt fails, or `timeout` passes. Ignores the retry backoff. Events are never
    /// dropped: on failure they stay queued and are retried in the background.
    ///
    /// - Parameter timeout: The longest wait, in seconds (rounded up to whole
    ///   milliseconds, at most about 49 days).
    /// - Throws: ``HamustroError`` with ``HamustroError/Code/network`` (unreachable, or
    ///   a server error), ``HamustroError/Code/rejected`` (HTTP 4xx; the collector's
    ///   answer is in the message), ``HamustroError/Code/timeout``,
    ///   ``HamustroError/Code/disabled`` while tracking is switched off
    ///   (``setEnabled(_:)``; nothing is sent), or ``HamustroError/Code/invalidHandle``
    ///   when the tracker is or gets closed.
    public func flush(timeout: TimeInterval) throws {
        try check(hamustro_tracker_flush(handle, milliseconds(timeout)))
    }

    /// Stops the tracker and frees its native handle, as releasing it does. Waits for
    /// a request in progress to finish (at most `requestTimeout`); queued events stay
    /// in the database and are sent by the next tracker on it. Calling it again does
    /// nothing; other methods then throw ``HamustroError/Code/invalidHandle``.
    public func close() {
        lock.lock()
        let wasClosed = closed
        closed = true
        let observer = lifecycleObserver
        lifecycleObserver = nil
        lock.unlock()
        if let observer {
            NotificationCenter.default.removeObserver(observer)
        }
        if !wasClosed {
            // Fails only for an invalid handle, which the flag above rules out.
            _ = hamustro_tracker_free(handle)
        }
    }
}
