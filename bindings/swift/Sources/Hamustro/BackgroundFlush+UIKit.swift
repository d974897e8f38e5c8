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
        NotificationCenter.default.addObserver(
            forName: UIApplication.didEnterBackgroundNotification, object: nil, queue: nil
        ) { notification in
            // The notification's object is the application, so that this never names
            // UIApplication.shared, which app extensions (which may link the package)
            // cannot use. UIKit posts it on the main thread, where the task begins;
            // begin and end are documented as safe on any thread.
            guard let application = notification.object as? UIApplication else { return }
            start(
                beginTask: { expirationHandler in
                    let task = application.beginBackgroundTask(
                        withName: "hamustro flush", expirationHandler: expirationHandler)
                    return task == .invalid ? nil : task.rawValue
                },
                endTask: { identifier in
                    application.endBackgroundTask(UIBackgroundTaskIdentifier(rawValue: identifier))
                })
        }
    }
}
#endif
