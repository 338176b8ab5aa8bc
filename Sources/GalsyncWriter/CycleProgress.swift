import Synchronization

/// What a running cycle has confirmed so far, readable while it runs: a cycle that is
/// interrupted (SIGINT, SIGTERM) still records what it wrote, and progress reports read it.
public final class CycleProgress: Sendable {
    public struct Counts: Sendable, Equatable {
        public var created = 0, updated = 0, deleted = 0
    }

    private let counts = Mutex(Counts())

    public init() {}

    public var current: Counts { counts.withLock { $0 } }

    func add(created: Int = 0, updated: Int = 0, deleted: Int = 0) {
        counts.withLock {
            $0.created += created
            $0.updated += updated
            $0.deleted += deleted
        }
    }
}
