import Foundation
import GalsyncConfig
import GalsyncCore
import GalsyncWriter
import GraphClient
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
    /// Where the progress line goes while the cycle runs, and how often.
    let reporting: ProgressReporting?

    /// `report` gets `CycleProgressLine`'s text every `every` while a cycle runs.
    public struct ProgressReporting: Sendable {
        public var every: Duration
        public var report: @Sendable (String) -> Void
        public init(every: Duration, report: @escaping @Sendable (String) -> Void) {
            self.every = every
            self.report = report
        }
    }

    public init(runtime: GalsyncRuntime, holdsLock: Bool = false, logger: Logger = .silent, lockWait: Duration? = nil,
                reporting: ProgressReporting? = nil) {
        self.runtime = runtime
        self.holdsLock = holdsLock
        self.logger = logger
        self.lockWait = lockWait
        self.reporting = reporting
    }

    /// Runs `body` with a sibling task that reports `progress` until `body` returns.
    func reportingProgress<T: Sendable>(_ progress: CycleProgress, _ body: () async throws -> T) async throws -> T {
        guard let reporting else { return try await body() }
        return try await reporting.around(progress, metrics: runtime.graph.metrics, body)
    }
}

extension CycleRunner.ProgressReporting {
    /// Runs `body` with a sibling task that reports `progress` (and the requests `metrics`
    /// counts from now) every `every`, until `body` returns: for a cycle, and for `purge`.
    public func around<T: Sendable>(_ progress: CycleProgress, metrics: RequestMetrics, _ body: () async throws -> T) async throws -> T {
        let reporting = self
        let requestsBefore = metrics.requests, throttledBefore = metrics.throttled
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: reporting.every)
                    if Task.isCancelled { break }
                    let c = progress.current
                    reporting.report(CycleProgressLine.text(c, requests: metrics.requests - requestsBefore, throttled: metrics.throttled - throttledBefore,
                                                            writingFor: c.writingSince.map { Double((ContinuousClock.now - $0).components.seconds) }))
                }
            }
            defer { group.cancelAll() }
            return try await body()
        }
    }
}

extension CycleRunner {

    /// `status.json` for members of the `galsync` group (see `StatusFile`); the service names
    /// itself as running, a one-off command does not (it has ended when the file is read).
    func writeStatusFile(_ store: StateStore) {
        Self.writeStatusFile(store, config: runtime.config, holdsLock: holdsLock, logger: logger)
    }

    static func writeStatusFile(_ store: StateStore, config: Configuration, holdsLock: Bool, logger: Logger) {
        // Itself, not read from /proc/locks: the unit's ProcSubset=pid hides that file.
        let running = holdsLock ? StateLockHolder(pid: getpid(), command: StatusFile.ownCommand()) : nil
        do {
            try StatusFile.write(config: config, store: store, running: running)
        } catch {
            logger.warning("could not write the status file for the galsync group: \(error)")
        }
    }

    /// A cycle that could not start (the tenant's key or certificate cannot be loaded), recorded
    /// as failed in the state's history by the service, which holds the lock: `status` and
    /// `status --check` then report it as they report any failed cycle.
    static func recordFailure(config: Configuration, error: any Error, logger: Logger) {
        do {
            let store = try StateStore(path: config.sync.state)
            let id = try store.startCycle()
            var record = StateStore.CycleRecord(id: id, started: Date())
            record.outcome = "error"
            record.message = "\(error)"
            try store.finishCycle(record)
            writeStatusFile(store, config: config, holdsLock: true, logger: logger)
        } catch {
            logger.warning("could not record the failed cycle in the state: \(error)")
        }
    }

    public struct Result: Sendable {
        public var summary: CycleSummary?
        public var error: (any Error)?
        public var exitStatus: ExitStatus
        /// The cycle's number in the state's history (nil for `plan`, or when none was recorded).
        public var cycleId: Int64? = nil
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
                let progress = CycleProgress()
                let engine = SyncEngine(config: config, graph: runtime.graph, store: store, logger: logger, projections: runtime.projections, listProjections: runtime.listProjections, progress: progress)
                var summary = try await reportingProgress(progress) { try await engine.cycle(options) }
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
            let id = try store.startCycle()
            // However the cycle ends (recorded below), the status file for the galsync group follows.
            defer { writeStatusFile(store) }
            // The cycle's number in the history: its log lines and progress carry it, so the
            // journal and `status` count cycles the same way.
            var numbered = logger
            numbered[metadataKey: "cycle"] = "\(id)"
            let progress = CycleProgress()
            progress.cycle(id)
            let engine = SyncEngine(config: config, graph: runtime.graph, store: store, logger: numbered, projections: runtime.projections, listProjections: runtime.listProjections, progress: progress)
            let started = Date()
            do {
                var summary = try await reportingProgress(progress) { try await engine.cycle(options) }
                summary.requests += await runtime.tokens.requestsSent - tokensBefore
                var record = StateStore.CycleRecord(id: id, started: Date() - summary.duration)
                record.outcome = summary.mailboxesFailed > 0 || summary.pending > 0 ? "partial" : "ok"
                record.created = summary.created; record.updated = summary.updated; record.deleted = summary.deleted
                record.unchanged = summary.unchanged; record.mailboxesOK = summary.mailboxesOK
                record.mailboxesFailed = summary.mailboxesFailed; record.mailboxesSkipped = summary.mailboxesSkipped
                record.requests = summary.requests; record.throttled = summary.throttled; record.pending = summary.pending
                try store.finishCycle(record)
                return Result(summary: summary, error: nil, exitStatus: summary.exitStatus, cycleId: id)
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
                    return Result(summary: partial, error: error, exitStatus: .interrupted, cycleId: id)
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
