import CHamustro

/// The C library's version, e.g. "0.1.0". Write it `Hamustro.version` (the module's
/// name) when a `version` of your own is in scope.
public let version: String = String(cString: hamustro_version())
