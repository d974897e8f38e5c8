import CHamustro

/// A failed hamustro call: what kind of failure (``code``) and the library's readable
/// account of it (``message``).
///
/// The message comes from `hamustro_last_error_message`, read on the calling thread
/// right after the failing call. It names the thing that failed (a field, a header, the
/// collector's answer) and never contains the shared secret or a user id.
public struct HamustroError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure, one for each `hamustro_status` the C API returns.
    public enum Code: UInt32, Sendable, CaseIterable {
        /// An argument is empty, malformed or out of range, or a required
        /// configuration field is missing. Fix the call; retrying will not help.
        case invalidArgument = 1
        /// The tracker was closed; create a new one.
        case invalidHandle = 2
        /// The queue database could not be opened, read or written (disk full, no
        /// permission, or another live tracker uses the same file). Nothing was
        /// stored by the failing call.
        case storage = 3
        /// The collector could not be reached or answered with a server error. The
        /// events stay queued and are retried in the background.
        case network = 4
        /// The collector refused the request (HTTP 4xx, e.g. a wrong shared
        /// secret). The events stay queued.
        case rejected = 5
        /// A wait ran out before the work was done; it goes on in the background.
        case timeout = 6
        /// A bug in hamustro (a caught panic), or a status this binding does not know
        /// yet. Please report it with the message.
        case `internal` = 7
        /// Tracking was switched off for this queue database (the choice is stored in
        /// it, so it may come from an earlier run or another binding): nothing is
        /// stored or sent.
        case disabled = 8
        /// The system refused memory, a thread or address space the call needs.
        /// Nothing was lost (no tracker was made, or the events stay queued); retry
        /// when the process has more to spare.
        case outOfResources = 9
    }

    /// The kind of failure.
    public let code: Code
    /// The library's message, e.g. "shared_secret_key must not be empty".
    public let message: String

    /// Creates an error; the binding makes these from failed C calls.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// The code and the message, e.g. "network: cannot reach http://…".
    public var description: String {
        "\(code): \(message)"
    }
}
