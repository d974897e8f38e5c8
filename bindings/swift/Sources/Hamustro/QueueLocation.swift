// Where the queue database lives when the app gives neither `databasePath` nor
// `databaseDirectory`, and what the binding sets on that directory on Apple
// platforms: excluded from iCloud and iTunes (or Finder) backups, since it holds
// unsent events, not the user's data; and on iOS, tvOS, watchOS and visionOS the file
// protection class `completeUntilFirstUserAuthentication`, so that delivery in the
// background can read it while the device is locked, once it has been unlocked after
// a restart. New files (the database's -wal, -shm and journals) inherit the
// directory's class; the files an earlier run left get it too.
//
// The binding chooses only the directory; the library names the file in it after the
// client id (`hamustro_config_set_database_directory`), so that every client id has a
// file of its own, and finds a queue an earlier version of this binding left there
// under the name of its time.
//
// A path or directory the app gives is the app's own business: the binding sets
// nothing on it (excluding the app's own folder from backup would exclude the app's
// data with it).
import Foundation

enum QueueLocation {
    /// What to configure and the directory the binding looks after.
    struct Choice: Equatable {
        /// The `databasePath` given to the library; nil leaves it unset.
        let databasePath: String?
        /// The `databaseDirectory` given to the library; nil leaves its default.
        let databaseDirectory: String?
        /// The binding's own queue directory, to ``prepare(directory:)``; nil when
        /// the app chose the path or directory, or the library does.
        let prepared: URL?
    }

    /// What the app gave, when it gave a path or a directory (both: the library
    /// refuses them); otherwise, with an Application Support directory (Apple
    /// platforms), its `hamustro` folder, prepared by the binding; otherwise (Linux)
    /// the library's default (`$XDG_DATA_HOME` or `~/.local/share`).
    static func choose(
        databasePath: String?, databaseDirectory: String?, applicationSupport: URL?
    ) -> Choice {
        if databasePath != nil || databaseDirectory != nil {
            return Choice(databasePath: databasePath, databaseDirectory: databaseDirectory, prepared: nil)
        }
        guard let applicationSupport else {
            return Choice(databasePath: nil, databaseDirectory: nil, prepared: nil)
        }
        let directory = applicationSupport.appendingPathComponent("hamustro", isDirectory: true)
        return Choice(databasePath: nil, databaseDirectory: directory.path, prepared: directory)
    }

    /// The app's Application Support directory on Apple platforms (in its container
    /// when sandboxed, as on iOS), from FileManager; nil elsewhere, where the library's
    /// own default applies.
    static var applicationSupport: URL? {
        #if canImport(Darwin)
        return FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask).first
        #else
        return nil
        #endif
    }

    /// Creates the binding's queue directory if needed (mode 0700, as the library
    /// makes it), excludes it from backups, and gives it and the files in it the file
    /// protection class `completeUntilFirstUserAuthentication` where the platform has
    /// one. Called before the library opens the queue, so that the files it creates
    /// inherit the class.
    ///
    /// Best effort: a step that fails leaves the queue working (if the directory itself
    /// cannot be made, the library says so, as ``HamustroError/Code/storage``), and
    /// nothing is printed.
    static func prepare(directory: URL) {
        let files = FileManager.default
        var attributes: [FileAttributeKey: Any] = [.posixPermissions: 0o700]
        #if os(iOS) || os(tvOS) || os(watchOS) || os(visionOS)
        attributes[.protectionKey] = FileProtectionType.completeUntilFirstUserAuthentication
        #endif
        if !files.fileExists(atPath: directory.path) {
            // Application Support itself is the app's: made as the system makes it
            // (it may not exist yet in a new iOS container), with nothing set on it.
            try? files.createDirectory(
                at: directory.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? files.createDirectory(
                at: directory, withIntermediateDirectories: false, attributes: attributes)
        }
        #if canImport(Darwin)
        // Excluding the directory excludes everything in it, later files included.
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        var url = directory
        try? url.setResourceValues(values)
        #endif
        #if os(iOS) || os(tvOS) || os(watchOS) || os(visionOS)
        let protection: [FileAttributeKey: Any] = [
            .protectionKey: FileProtectionType.completeUntilFirstUserAuthentication,
        ]
        try? files.setAttributes(protection, ofItemAtPath: directory.path)
        let present = (try? files.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in present {
            try? files.setAttributes(
                protection, ofItemAtPath: directory.appendingPathComponent(name).path)
        }
        #endif
    }
}
