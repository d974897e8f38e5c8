// hamustro-example: track a few game events with the Swift Tracker and deliver them to
// a collector.
//
//     swift run hamustro-example [COLLECTOR_URL [SHARED_SECRET [DATABASE_PATH]]]
//
// COLLECTOR_URL defaults to http://127.0.0.1:8080 and SHARED_SECRET to dev-secret, which
// is what the development collector uses:
//
//     cargo run -p hamustro-collector -- --port 8080
//
// DATABASE_PATH is the SQLite file that queues events until they are delivered. It
// defaults to hamustro-example/events.sqlite3 in the temporary directory, so that the
// example leaves nothing in your data directory; events it could not deliver wait there
// for the next run. A real app leaves `databasePath` nil (Application Support).
//
// On Linux, run-example.sh starts a development collector and runs this against it.
import Foundation
import Hamustro

/// Tracks the demo's events and flushes them; returns the exit status.
func run(_ arguments: [String]) -> Int32 {
    let urlString = arguments.count > 1 ? arguments[1] : "http://127.0.0.1:8080"
    let secret = arguments.count > 2 ? arguments[2] : "dev-secret"
    let databasePath = arguments.count > 3
        ? arguments[3]
        : FileManager.default.temporaryDirectory
            .appendingPathComponent("hamustro-example", isDirectory: true)
            .appendingPathComponent("events.sqlite3").path
    guard let url = URL(string: urlString) else {
        printError("not a URL: \(urlString)")
        return 2
    }

    // The events of the demo, in order: a name and its parameters.
    let events: [(name: String, parameters: [String: String])] = [
        ("Game.Launched", ["launch_source": "desktop_icon"]),
        ("Level.Started", ["level": "1-1", "difficulty": "normal"]),
        ("Item.Purchased", ["item": "sword_of_dawn", "category": "weapon",
                            "currency": "gems", "price": "120"]),
        ("Level.Completed", ["level": "1-1", "score": "48210", "duration_s": "173"]),
        ("Achievement.Unlocked", ["achievement": "first_blood"]),
    ]

    print("hamustro \(Hamustro.version), collector \(url.absoluteString)")
    print("queue database: \(databasePath)")
    do {
        let os = ProcessInfo.processInfo.operatingSystemVersion
        let tracker = try Tracker(
            collectorURL: url,
            sharedSecretKey: secret,
            // A real app uses an identifier that is stable for the installation; only
            // its SHA-256 is sent.
            deviceID: "example-device-0001",
            clientID: "hamustro-swift-example",
            systemVersion: "\(os.majorVersion).\(os.minorVersion)",
            productVersion: "1.4.2",
            // The environment is part of the session: keep test data out of production.
            environment: .development,
            productLanguage: "en",
            // Send once ten events are queued (flush below sends the rest), and give
            // up on a request after five seconds.
            queueSize: 10,
            databasePath: databasePath,
            requestTimeout: 5
        )
        // Stops the delivery thread when run() returns; queued events stay on disk.
        defer { tracker.close() }

        // Later events are attributed to this tenant and user (persisted across runs).
        try tracker.setUser(tenantID: "studio-42", userID: "player-1337")
        print("user set: tenant studio-42, user player-1337")
        // Extra HTTP headers, e.g. for a proxy in front of the collector. They are not
        // persisted: set them for every new Tracker.
        try tracker.setHeaders(["X-Game-Build": "2024.06.1"])
        print("header set: X-Game-Build: 2024.06.1")

        // Each call returns once the event is in the on-disk queue; it never waits for
        // the network.
        for event in events {
            try tracker.trackEvent(event.name, parameters: event.parameters)
            let parameters = event.parameters.sorted { $0.key < $1.key }
                .map { "\($0.key)=\($0.value)" }
                .joined(separator: ", ")
            print("tracked \(event.name) {\(parameters)}")
        }

        // Wait (at most 10 s) until everything tracked so far is delivered. It throws
        // on failure; the events then stay queued and are retried in the background or
        // by the next run.
        try tracker.flush(timeout: 10)
        let stats = try tracker.stats()
        print("flushed: \(stats.queued) events queued, \(stats.delivered) delivered to "
            + "\(url.absoluteString) over this queue's lifetime")
        return 0
    } catch {
        printError("\(error)")
        return 1
    }
}

/// Prints "error: MESSAGE" to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
}

exit(run(CommandLine.arguments))
