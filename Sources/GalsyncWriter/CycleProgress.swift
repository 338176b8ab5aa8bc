import Synchronization

/// What a running cycle has done so far, readable while it runs: a cycle that is interrupted
/// (SIGINT, SIGTERM) still records what it wrote, and the progress line, the info line every
/// 30 s and the service's STATUS= read it (`CycleProgressLine`).
public final class CycleProgress: Sendable {
    public struct Counts: Sendable, Equatable {
        public var created = 0, updated = 0, deleted = 0
        /// What the cycle is doing: "reading the directory", "planning", "writing"...
        public var phase = "starting"
        /// The cycle's number in the state's history (the one `status` and the journal show).
        public var cycle: Int64?
        /// Mailboxes with work, and those whose work is all answered (done or failed).
        public var mailboxes = 0, mailboxesDone = 0
        /// Operations planned for this write.
        public var operations = 0
        /// When the longest Retry-After the writer is waiting out ends.
        public var waitingUntil: ContinuousClock.Instant?
        /// When the first write of the cycle began (for the ETA).
        public var writingSince: ContinuousClock.Instant?

        public var written: Int { created + updated + deleted }

        public init() {}
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

    public func phase(_ text: String) { counts.withLock { $0.phase = text } }
    public func cycle(_ id: Int64) { counts.withLock { $0.cycle = id } }

    /// A write begins: `mailboxes` with work, `operations` in all (added to any earlier
    /// round's, so follow-up rounds keep the counts climbing).
    func writing(mailboxes: Int, operations: Int) {
        counts.withLock {
            $0.mailboxes = mailboxes
            $0.writingSince = $0.writingSince ?? .now
            $0.operations = $0.written + operations
            $0.mailboxesDone = 0
        }
    }

    func mailboxDone() { counts.withLock { $0.mailboxesDone += 1 } }

    func waiting(until: ContinuousClock.Instant) {
        counts.withLock { $0.waitingUntil = max($0.waitingUntil ?? until, until) }
    }
}
