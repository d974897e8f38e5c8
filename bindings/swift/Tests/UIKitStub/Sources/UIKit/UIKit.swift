// A stub of the UIKit declarations BackgroundFlush+UIKit.swift uses, spelled as the
// iOS SDK's Swift interface has them: UIApplication on the main actor, its
// notification name nonisolated, the expiration handler a main-actor closure. Each
// call is recorded, so that the tests see what the glue did.
import Foundation

public struct UIBackgroundTaskIdentifier: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let invalid = UIBackgroundTaskIdentifier(rawValue: 0)
}

@MainActor
open class UIApplication: NSObject {
    nonisolated public static let didEnterBackgroundNotification =
        Notification.Name("UIApplicationDidEnterBackgroundNotification")

    /// What `beginBackgroundTask` returns next; `.invalid` refuses a task.
    public var nextTask = UIBackgroundTaskIdentifier(rawValue: 1)
    /// The names of the tasks begun, in order.
    public private(set) var begun: [String?] = []
    /// The expiration handlers of the tasks begun, in order.
    public private(set) var expirationHandlers: [(@MainActor @Sendable () -> Void)?] = []
    /// The tasks ended, in order.
    public private(set) var ended: [UIBackgroundTaskIdentifier] = []
    /// Called at each end, on the main actor.
    public var onEnd: (@MainActor () -> Void)?

    override public nonisolated init() {
        super.init()
    }

    open func beginBackgroundTask(
        withName taskName: String?,
        expirationHandler handler: (@MainActor @Sendable () -> Void)? = nil
    ) -> UIBackgroundTaskIdentifier {
        begun.append(taskName)
        expirationHandlers.append(handler)
        return nextTask
    }

    open func endBackgroundTask(_ identifier: UIBackgroundTaskIdentifier) {
        ended.append(identifier)
        onEnd?()
    }
}
