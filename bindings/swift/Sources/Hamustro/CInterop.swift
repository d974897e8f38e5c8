// Every conversion between Swift values and the C API's arguments, in one place: status
// codes become thrown errors here, and Swift strings become NUL-terminated C strings.
import CHamustro

/// Throws the ``HamustroError`` for a failed call's status, with the message read on
/// this thread. Call it right after the C function, before any other hamustro call can
/// replace the thread's last message.
///
/// The status is spelled `UInt32`: Swift imports both the header's `enum
/// hamustro_status` (as a struct) and its `typedef uint32_t hamustro_status`, so the
/// name `hamustro_status` is ambiguous in Swift; the functions return the typedef.
func check(_ status: UInt32) throws {
    guard status != HAMUSTRO_STATUS_OK.rawValue else { return }
    throw HamustroError(status: status, message: lastErrorMessage())
}

extension HamustroError {
    /// The error for a failure `status` (not `HAMUSTRO_STATUS_OK`) and its message.
    init(status: UInt32, message: String) {
        if let code = Code(rawValue: status) {
            self.init(code: code, message: message)
        } else {
            // A code added in a later library version: keep its name in the message.
            let name = String(cString: hamustro_status_name(status))
            self.init(code: .internal, message: "\(name) (\(status)): \(message)")
        }
    }
}

/// The calling thread's last error message from the C library.
private func lastErrorMessage() -> String {
    let length = hamustro_last_error_message(nil, 0)
    guard length > 0 else { return "" }
    var buffer = [CChar](repeating: 0, count: length + 1)
    _ = buffer.withUnsafeMutableBufferPointer { hamustro_last_error_message($0.baseAddress, $0.count) }
    return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

/// An argument the C API would misread: it cuts a string at its first NUL, so a Swift
/// string holding one is refused here rather than sent truncated.
private func rejectNUL(_ value: String, _ name: String) throws {
    if value.utf8.contains(0) {
        throw HamustroError(code: .invalidArgument, message: "\(name) contains a NUL character")
    }
}

/// Calls `body` with a C string for `value`, or NULL when it is nil.
func withCString<R>(
    _ value: String?, _ name: String, _ body: (UnsafePointer<CChar>?) throws -> R
) throws -> R {
    guard let value else { return try body(nil) }
    try rejectNUL(value, name)
    return try value.withCString(body)
}

/// Calls `body` with two parallel arrays of C strings (names and values) and their
/// count, the C API's shape for event parameters and headers. Sorted by name, so that
/// the same dictionary always gives the same order.
func withCStringPairs<R>(
    _ pairs: [String: String],
    _ what: String,
    _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<UnsafePointer<CChar>?>?, Int) throws -> R
) throws -> R {
    let sorted = pairs.sorted { $0.key < $1.key }
    for (name, value) in sorted {
        try rejectNUL(name, "\(what) name \(name.debugDescription)")
        try rejectNUL(value, "the value of \(what) \(name.debugDescription)")
    }
    // One buffer holds every string, NUL-terminated, so that one allocation lives
    // for the whole call.
    var storage: [CChar] = []
    var offsets: [(name: Int, value: Int)] = []
    for (name, value) in sorted {
        let nameOffset = storage.count
        storage.append(contentsOf: name.utf8CString)
        offsets.append((nameOffset, storage.count))
        storage.append(contentsOf: value.utf8CString)
    }
    return try storage.withUnsafeBufferPointer { buffer in
        // Non-nil whenever there is a pair; with none, the C API takes NULL arrays.
        let base = buffer.baseAddress
        let names = offsets.map { offset in base.map { $0 + offset.name } }
        let values = offsets.map { offset in base.map { $0 + offset.value } }
        return try names.withUnsafeBufferPointer { names in
            try values.withUnsafeBufferPointer { values in
                try body(names.baseAddress, values.baseAddress, sorted.count)
            }
        }
    }
}

/// Milliseconds for the C API from seconds: rounded up so that a small positive
/// duration never becomes 0, clamped to `UInt32`. Zero, negative and NaN give 0.
func milliseconds(_ seconds: Double) -> UInt32 {
    guard seconds > 0 else { return 0 }
    let ms = (seconds * 1000).rounded(.up)
    return ms >= Double(UInt32.max) ? UInt32.max : UInt32(ms)
}
