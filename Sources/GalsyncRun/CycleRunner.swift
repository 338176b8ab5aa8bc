import Foundation
import GalsyncConfig
import GalsyncCore
import Logging
import SyncStore

/// Runs one cycle the way `sync` and (later) the service do: take the state lock, open the
/// state, record the cycle in the history whatever happens, and say how it ended.
public struct CycleRunner: Sendable {
    public let runtime: GalsyncRuntime
    /// The service holds the state lock for its whole life; a one-shot command takes it here.
    let holdsLock: Bool
    let logger: Logger
    /// How long a one-shot command waits for another galsync to let go of the state
    /// (`sync --wait-lock`); nil: it fails at once, naming the holder.
    let lockWait: Duration?

    public init(runtime: GalsyncRuntime, holdsLock: Bool = false, logger: Logger = .silent, lockWait: Duration? = nil) {
        self.runtime = runtime
        self.holdsLock = holdsLock
        self.logger = logger
        self.lockWait = lockWait
    }

    public struct Result: Sendable {
        public var summary: CycleSummary?
        public var error: (any Error)?
        public var exitStatus: ExitStatus
    }

    public func run(_ options: SyncEngine.Options) async -> Result {
        let config = runtime.config
        // The token provider counts from the process's start; a cycle reports its own requests.
        let tokensBefore = await runtime.tokens.requestsSent, graphBefore = runtime.graph.metrics.requests
        do {
            if options.planOnly {
                // plan writes nothing: it opens the state read-only (a read-only mount will do), and
                // without a state yet it plans against an empty one in memory.
                let exists = FileManager.default.fileExists(atPath: config.sync.state)
                let store = exists ? try StateStore(path: config.sync.state, readOnly: true) : try StateStore(inMemory: ())
                var summary = try await SyncEngine(config: config, graph: runtime.graph, store: store, logger: logger, projections: runtime.projections).cycle(options)
                summary.requests += await runtime.tokens.requestsSent - tokensBefore
                return Result(summary: summary, error: nil, exitStatus: summary.exitStatus)
            }
            var lock: StateLock?
            if !holdsLock {
                if let lockWait {
                    lock = try await StateLock.acquire(statePath: config.sync.state, waiting: lockWait)
                } else {
                    lock = try StateLock(statePath: config.sync.state)
                }
            }
            defer { withExtendedLifetime(lock) {} }
            let store = try StateStore(path: config.sync.state)
            let engine = SyncEngine(config: config, graph: runtime.graph, store: store, logger: logger, projections: runtime.projections)
            let id = try store.startCycle()
            let started = Date()
            do {
                var summary = try await engine.cycle(options)
                summary.requests += await runtime.tokens.requestsSent - tokensBefore
                var record = StateStore.CycleRecord(id: id, started: Date() - summary.duration)
                record.outcome = summary.mailboxesFailed > 0 || summary.pending > 0 ? "partial" : "ok"
                record.created = summary.created; record.updated = summary.updated; record.deleted = summary.deleted
                record.unchanged = summary.unchanged; record.mailboxesOK = summary.mailboxesOK
                record.mailboxesFailed = summary.mailboxesFailed; record.mailboxesSkipped = summary.mailboxesSkipped
                record.requests = summary.requests; record.throttled = summary.throttled; record.pending = summary.pending
                try store.finishCycle(record)
                return Result(summary: summary, error: nil, exitStatus: summary.exitStatus)
            } catch {
                // Whatever ended the cycle, what it had confirmed is recorded with it.
                let done = engine.progress.current
                var record = StateStore.CycleRecord(id: id, started: started)
                record.created = done.created; record.updated = done.updated; record.deleted = done.deleted
                record.requests = await runtime.tokens.requestsSent - tokensBefore + runtime.graph.metrics.requests - graphBefore
                if error is CancellationError {
                    record.outcome = "interrupted"
                    record.message = "stopped by a signal after creating \(done.created), updating \(done.updated) and deleting \(done.deleted) contacts; the next cycle finishes the work"
                    try? store.finishCycle(record)
                    var partial = CycleSummary()
                    partial.created = done.created; partial.updated = done.updated; partial.deleted = done.deleted
                    partial.duration = Date().timeIntervalSince(started)
                    partial.warnings.append(record.message!)
                    return Result(summary: partial, error: error, exitStatus: .interrupted)
                }
                record.outcome = "error"
                record.message = "\(error)"
                try? store.finishCycle(record)
                throw error
            }
        } catch {
            return Result(summary: nil, error: error, exitStatus: GalsyncRuntime.exitStatus(for: error))
        }
    }
}
