import Foundation

/// The repository's development collector (`cargo build -p hamustro-collector` makes
/// `target/debug/hamustro-collector`) run as a child process in `--jsonl` mode: it
/// validates requests like the genuine collector and prints one JSON object per
/// accepted event and per rejected request.
final class DevelopmentCollector: @unchecked Sendable {
    /// An event the collector accepted.
    struct Event {
        let session: String
        let nr: Int
        let name: String
        let params: [String: String]
        let tenantID: String?
        let userID: String?
        /// Header names lower-cased.
        let headers: [String: String]
        /// Every attribute the collector printed, e.g. "env", "country", "content_type".
        let fields: [String: Any]
    }

    /// The base URL to give a tracker.
    let url: URL
    private let process: Process
    private let output: OutputLines

    /// The collector binary: `$HAMUSTRO_COLLECTOR`, or the debug build in the
    /// repository holding this file.
    static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["HAMUSTRO_COLLECTOR"] {
            return URL(fileURLWithPath: path)
        }
        var repo = URL(fileURLWithPath: #filePath)
        for _ in 0..<5 { repo.deleteLastPathComponent() }  // up from bindings/swift/Tests/HamustroTests/<file>
        return repo.appendingPathComponent("target/debug/hamustro-collector")
    }

    /// Starts a collector on a free port that accepts requests signed with `secret`,
    /// or, with `failWith`, answers every request with that HTTP status instead.
    init(secret: String, failWith status: Int? = nil) throws {
        process = Process()
        process.executableURL = Self.executable
        process.arguments = ["--port", "0", "--secret", secret, "--jsonl"]
            + (status.map { ["--fail-with", String($0)] } ?? [])
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        output = OutputLines(reading: pipe.fileHandleForReading)

        // "hamustro development collector listening on http://127.0.0.1:PORT/api/v1/track …"
        let banner = try? output.waitForLine(0, timeout: 30)
        guard let banner,
              let range = banner.range(of: "listening on "),
              let address = banner[range.upperBound...].split(separator: " ").first,
              let trackURL = URL(string: String(address))
        else {
            process.terminate()
            throw CollectorError(
                "\(Self.executable.path) did not start: first line \(banner ?? "missing")")
        }
        url = trackURL.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    deinit { stop() }

    /// Stops the collector; its port is then closed.
    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// Waits for `count` accepted events, in the order the collector printed them.
    func events(_ count: Int, timeout: TimeInterval = 10) throws -> [Event] {
        try objects(count, withKey: "event", timeout: timeout).map { object in
            Event(
                session: object["session"] as? String ?? "",
                nr: object["nr"] as? Int ?? -1,
                name: object["event"] as? String ?? "",
                params: object["params"] as? [String: String] ?? [:],
                tenantID: object["tenant_id"] as? String,
                userID: object["user_id"] as? String,
                headers: Dictionary(
                    (object["headers"] as? [String: String] ?? [:]).map { ($0.key.lowercased(), $0.value) },
                    uniquingKeysWith: { _, last in last }),
                fields: object
            )
        }
    }

    /// The number of accepted events printed so far, without waiting.
    var eventCount: Int {
        output.all.dropFirst().filter { line in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8))
            return (object as? [String: Any])?["event"] != nil
        }.count
    }

    /// Waits for `count` rejected requests and gives their HTTP statuses.
    func rejections(_ count: Int, timeout: TimeInterval = 10) throws -> [Int] {
        try objects(count, withKey: "rejected", timeout: timeout).map { $0["rejected"] as? Int ?? -1 }
    }

    /// The first `count` JSON objects printed after the banner that have `key`.
    private func objects(_ count: Int, withKey key: String, timeout: TimeInterval) throws -> [[String: Any]] {
        var found: [[String: Any]] = []
        let arrived = output.wait(timeout: timeout) { lines in
            found = lines.dropFirst().compactMap { line in
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8))
                guard let object = object as? [String: Any], object[key] != nil else { return nil }
                return object
            }
            return found.count >= count
        }
        guard arrived else {
            throw CollectorError(
                "\(found.count) of \(count) \(key) lines arrived; the collector printed:\n"
                    + output.all.joined(separator: "\n"))
        }
        return Array(found.prefix(count))
    }
}

/// A child process's output lines, read on a thread of their own as they come.
private final class OutputLines: @unchecked Sendable {
    /// Guarded by `condition`.
    private var lines: [String] = []
    private var ended = false
    private let condition = NSCondition()

    init(reading reader: FileHandle) {
        Thread.detachNewThread { [self] in read(reader) }
    }

    var all: [String] {
        condition.lock()
        defer { condition.unlock() }
        return lines
    }

    /// Waits until `done` holds for the lines so far; false when the output ended or
    /// `timeout` passed first.
    func wait(timeout: TimeInterval, until done: ([String]) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !done(lines) {
            if ended || !condition.wait(until: deadline) {
                return done(lines)
            }
        }
        return true
    }

    func waitForLine(_ index: Int, timeout: TimeInterval) throws -> String {
        var line: String?
        _ = wait(timeout: timeout) { lines in
            line = lines.count > index ? lines[index] : nil
            return line != nil
        }
        guard let line else { throw CollectorError("no line \(index + 1) was printed") }
        return line
    }

    private func read(_ reader: FileHandle) {
        var pending = Data()
        while true {
            let chunk = reader.availableData
            condition.lock()
            if chunk.isEmpty {
                ended = true
                condition.broadcast()
                condition.unlock()
                return
            }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                lines.append(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                pending.removeSubrange(pending.startIndex...newline)
            }
            condition.broadcast()
            condition.unlock()
        }
    }
}

struct CollectorError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
