import Synchronization

/// Counts what a cycle sent: requests (a `$batch` is one), answers by status, and throttled
/// answers. Shared by every sender of a cycle.
public final class RequestMetrics: Sendable {
    private struct Counts { var requests = 0; var throttled = 0; var byStatus: [Int: Int] = [:]; var waits = 0 }
    private let counts = Mutex(Counts())

    public init() {}

    public func record(status: Int) {
        counts.withLock {
            $0.requests += 1
            $0.byStatus[status, default: 0] += 1
            if status == 429 { $0.throttled += 1 }
        }
    }

    /// A batch item answered 429 (counted in `throttled`, not in `requests`).
    public func recordThrottledItem() { counts.withLock { $0.throttled += 1 } }

    /// A sender waited on purpose (a `Retry-After`, or a mailbox's learned rate) and is still
    /// alive: the watchdog counts this as progress, so a long deliberate wait is not a hang.
    public func recordDeliberateWait() { counts.withLock { $0.waits += 1 } }

    /// Requests sent plus deliberate waits: what the watchdog watches move.
    public var activity: Int { counts.withLock { $0.requests + $0.waits } }

    public var requests: Int { counts.withLock { $0.requests } }
    public var throttled: Int { counts.withLock { $0.throttled } }
    public var byStatus: [Int: Int] { counts.withLock { $0.byStatus } }
}
