// The UIKit side of BackgroundFlush.swift: on
// `UIApplication.didEnterBackgroundNotification`, one background flush with a
// background task. Nothing here on macOS or Linux. watchOS has UIKit but no
// UIApplication, so it is left out too.
#if canImport(UIKit) && !os(watchOS)
import Foundation
import UIKit

extension BackgroundFlush {
    /// Runs a background flush each time the app enters the background, until the
    /// returned token is given to `NotificationCenter.removeObserver(_:)`.
    func observeAppLifecycle() -> NSObjectProtocol {
        // On the main queue, whoever posts it: UIApplication is the main actor's.
        NotificationCenter.default.addObserver(
            forName: UIApplication.didEnterBackgroundNotification, object: nil, queue: .main
        ) { notification in
            // The notification's object is the application, so that this never names
            // UIApplication.shared, which app extensions (which may link the package)
            // cannot use.
            guard let application = notification.object as? UIApplication else { return }
            // MainActor.assumeIsolated is there from iOS 13 and tvOS 13 (the package's
            // iOS minimum; SwiftPM's default tvOS minimum is older).
            guard #available(iOS 13, tvOS 13, *) else { return }
            MainActor.assumeIsolated { begin(in: application) }
        }
    }

    @available(iOS 13, tvOS 13, *)
    @MainActor
    private func begin(in application: UIApplication) {
        start(
            beginTask: { expirationHandler in
                let task = application.beginBackgroundTask(
                    withName: "hamustro flush", expirationHandler: expirationHandler)
                return task == .invalid ? nil : task.rawValue
            },
            endTask: { identifier in
                let task = UIBackgroundTaskIdentifier(rawValue: identifier)
                // At expiry, on the main thread: the task must end before the handler
                // returns. After the flush, on its queue: the main thread ends it.
                if Thread.isMainThread {
                    MainActor.assumeIsolated { application.endBackgroundTask(task) }
                } else {
                    DispatchQueue.main.async { application.endBackgroundTask(task) }
                }
            })
    }
}
#endif
