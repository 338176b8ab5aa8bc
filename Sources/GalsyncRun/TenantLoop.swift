import Foundation
import GalsyncConfig
import GalsyncCore
import GalsyncCrypto
import GraphHTTP
import Logging
import SyncStore
import SystemdSupport
import Synchronization

/// One tenant's life inside `galsync run`: a cycle at start, then every `sync.interval` (with a
/// little jitter), never two at once. Its logger carries the tenant (`GALSYNC_TENANT`), its
/// metrics a `tenant` label; a tenant whose credentials cannot be loaded records a failed cycle
/// in its own state (so `status` reports it) and tries again next interval, without touching
/// the other tenants.
struct TenantLoop: Sendable {
    let logger: Logger
    let notifier: ServiceNotifier
    let status: Status
    /// Another process (a `galsync sync` from the shell) may hold the state when a tenant
    /// starts in a many-tenant install: the loop then waits for it rather than failing the
    /// service. A single-tenant service takes the lock before READY, as it always has.
    let lock: HeldLock
    /// With state in PostgreSQL: this node's lease on the tenant (nil with SQLite alone).
    let lease: HeldLease?

    init(config: Configuration, runtime: GalsyncRuntime?, lock: StateLock?, logger: Logger, notifier: ServiceNotifier, lease: HeldLease? = nil) {
        self.lease = lease
        var logger = logger
        if !config.name.isEmpty { logger[metadataKey: "tenant"] = "\(config.name)" }
        self.logger = logger
        self.notifier = notifier
        self.status = Status(config: config, runtime: runtime)
        self.lock = HeldLock(lock)
    }

    /// What the loop is doing, shared with the watchdog and the reload handler.
    actor Status {
        var config: Configuration
        /// nil while the tenant's credentials cannot be loaded (each cycle tries again).
        var runtime: GalsyncRuntime?
        var cycle = 0
        var running = false
        /// The runtime the running cycle uses: a reload swaps `runtime` for the next cycle, but
        /// the watchdog must keep watching the requests of the cycle still under way.
        var cycleRuntime: GalsyncRuntime?
        var progressMark = -1
        var lastCertificateWarning: Date?
        var metrics = MetricsFile()
        /// Cycles that ran to an end (with a summary) in this process.
        var completed = 0
        func complete() { completed += 1 }
        /// SIGUSR1's requests for a cycle now.
        let requests = CycleRequests()
        /// Counts a finished cycle and its own requests; returns the metrics to write.
        func recordMetrics(_ summary: CycleSummary?, duration: TimeInterval, requests: [Int: Int]) -> MetricsFile {
            metrics.record(summary, duration: duration, at: Date(), requests: requests)
            return metrics
        }
        init(config: Configuration, runtime: GalsyncRuntime?) { self.config = config; self.runtime = runtime }
        func swap(_ c: Configuration, _ r: GalsyncRuntime?) { config = c; runtime = r }
        func begin() -> (Int, Configuration, GalsyncRuntime?) { cycle += 1; running = true; cycleRuntime = runtime; return (cycle, config, runtime) }
        func adopt(_ r: GalsyncRuntime) { runtime = r; cycleRuntime = r }
        func end() { running = false; cycleRuntime = nil }
        /// True while the loop is alive: between cycles, or in a cycle that still sends requests
        /// or waits on purpose (Retry-After, a mailbox's learned rate).
        func alive() -> Bool {
            guard running, let r = cycleRuntime ?? runtime else { return true }
            let now = r.graph.metrics.activity
            defer { progressMark = now }
            return now != progressMark
        }
        func certificateWarningDue(_ now: Date) -> Bool {
            if let last = lastCertificateWarning, now.timeIntervalSince(last) < 86_400 { return false }
            lastCertificateWarning = now
            return true
        }
    }

    /// Prefix for STATUS= lines: which tenant, when there are several.
    func label(_ config: Configuration) -> String { config.name.isEmpty ? "" : "\(config.name): " }

    func run() async throws {
        while !Task.isCancelled {
            let (count, config, begun) = await status.begin()
            var runtime = begun
            let started = Date()
            if runtime == nil {
                do {
                    let made = try GalsyncRuntime.make(config, gate: lease?.gate)
                    await status.adopt(made)
                    runtime = made
                } catch {
                    await status.end()
                    await failedToStart(config, error)
                    try await status.requests.wait(for: .milliseconds(Int(config.sync.interval * 1000)))
                    continue
                }
            }
            if let lease, !lease.isValid {
                await status.end()
                logger.error("\(LeaseExpired(tenant: lease.tenant, token: lease.token))")
                return
            }
            guard let runtime, holdsLock(config) else {
                await status.end()
                try await status.requests.wait(for: .milliseconds(Int(min(config.sync.interval, 60) * 1000)))
                continue
            }
            notifier.status("\(label(config))cycle running: starting")
            await warnAboutCertificate(runtime)
            // STATUS= every 5 s, an info line every 30 s, both "cycle 7: writing 41/99 mailboxes, ...".
            let ticks = Mutex(0)
            let reporting = CycleRunner.ProgressReporting(every: .seconds(5)) { [notifier, logger, prefix = label(config)] line in
                notifier.status(prefix + line)
                if ticks.withLock({ t in t += 1; return t % 6 == 0 }) { logger.info("\(line)") }
            }
            // The cycle's own requests: a reload gives the next cycle a new runtime counting from
            // zero, so the metrics add up differences, never the runtime's totals.
            let requestsBefore = runtime.graph.metrics.byStatus
            var options = SyncEngine.Options()
            // A tenant just taken over lists every mailbox: the node before may have written
            // what its last saved state does not know (its contacts are adopted, not made again);
            // not after a clean handover (saved, then released).
            let completed = await status.completed
            options.forceReconcile = lease.map { !$0.cleanHandover } == true && completed == 0
            let result = await CycleRunner(runtime: runtime, holdsLock: true, logger: logger, reporting: reporting).run(options)
            let cycleRequests = MetricsFile.delta(from: requestsBefore, to: runtime.graph.metrics.byStatus)
            await status.end()
            if result.summary != nil, result.error == nil { await status.complete() }
            if Task.isCancelled { return }
            // The history's number for the cycle (what `status` shows); the loop's own count only
            // when the cycle ended before it was recorded.
            let n = result.cycleId.map { Int($0) } ?? count
            let took = Date().timeIntervalSince(started)
            let wait = max(0, config.sync.interval * Double.random(in: 0.95...1.05) - took)
            report(result, cycle: n, config: config, wait: wait)
            if result.summary != nil || result.error != nil {
                do {
                    try await status.recordMetrics(result.summary, duration: took, requests: cycleRequests).write(config: config)
                } catch {
                    logger.warning("could not write the metrics file \(config.sync.metricsFile ?? ""): \(error)")
                }
            }
            if let lease {
                do {
                    try await lease.save(statePath: config.sync.state)
                } catch {
                    logger.error("could not save the tenant's state to PostgreSQL: \(error)")
                    if !lease.isValid { return }
                }
            }
            if took > config.sync.interval {
                logger.warning("cycle \(n) took \(Int(took)) s, longer than sync.interval (\(Int(config.sync.interval)) s); the next one starts now")
            }
            try await status.requests.wait(for: .milliseconds(Int(wait * 1000)))
        }
    }

    /// The journal and STATUS= lines for a finished cycle.
    func report(_ result: CycleRunner.Result, cycle n: Int, config: Configuration, wait: TimeInterval) {
        if let s = result.summary {
            logger.info("cycle \(n): created \(s.created), updated \(s.updated), deleted \(s.deleted), unchanged \(s.unchanged); mailboxes ok \(s.mailboxesOK), failed \(s.mailboxesFailed), skipped \(s.mailboxesSkipped)\(s.pending > 0 ? "; \(s.pending) operations pending" : ""); \(s.requests) requests, \(s.throttled) throttled, \(String(format: "%.1f", s.duration)) s",
                        metadata: ["cycle": "\(n)", "count": "\(s.created + s.updated + s.deleted)"])
            // The message names the mailbox (`journalctl -p warning -o cat` shows only messages);
            // the fields carry both id and UPN for filtering.
            for (owner, problem) in s.problems.sorted(by: { s.handle($0.key) < s.handle($1.key) }) {
                var fields: Logger.Metadata = ["cycle": "\(n)", "mailbox": "\(owner)"]
                if let upn = s.names[owner]?.upn { fields["mailbox_upn"] = "\(upn)" }
                logger.warning("\(s.handle(owner)): \(problem)", metadata: fields)
            }
            notifier.status("\(label(config))cycle \(n): \(s.mailboxesOK + s.mailboxesFailed) mailboxes, \(s.mailboxesFailed) failed\(s.pending > 0 ? ", \(s.pending) pending" : ""); +\(s.created) ~\(s.updated) -\(s.deleted); next in \(Int(wait / 60))m")
        } else if let error = result.error {
            logger.error("cycle \(n) failed: \(error)", metadata: ["cycle": "\(n)", "error_code": "\(result.exitStatus.rawValue)"])
            notifier.status("\(label(config))cycle \(n) failed: \(GalsyncService.short(error)); next in \(Int(wait / 60))m")
        }
    }

    /// Takes the tenant's state lock when it is not held yet; false (logged) while another
    /// galsync holds it.
    func holdsLock(_ config: Configuration) -> Bool {
        if lock.value.withLock({ $0 != nil }) { return true }
        do {
            let taken = try StateLock(statePath: config.sync.state)
            lock.value.withLock { $0 = taken }
            return true
        } catch {
            logger.error("cannot take the tenant's state: \(error)", metadata: ["error_code": "\(GalsyncRuntime.exitStatus(for: error).rawValue)"])
            return false
        }
    }

    /// After the loop ended (stopped, or its lease lost): with a lease still its own, the state
    /// is saved and the lease released, so that another node takes the tenant at once; then the
    /// local state lock is let go.
    func finish() async {
        if let lease {
            var saved = false
            if lease.isValid {
                do {
                    try await lease.save(statePath: await status.config.sync.state)
                    saved = true
                } catch {
                    logger.warning("could not save the tenant's state before letting it go: \(error)")
                }
            }
            await lease.release(clean: saved)
            logger.notice("tenant \(lease.tenant) released by node \(lease.node)")
        }
        lock.value.withLock { $0 = nil }
    }

    /// The tenant's credentials could not be loaded: said in the journal and recorded as a
    /// failed cycle in its state, so that `status` and `status --check` report the tenant.
    func failedToStart(_ config: Configuration, _ error: any Error) async {
        logger.error("cannot start the tenant's cycle: \(error)", metadata: ["error_code": "\(GalsyncRuntime.exitStatus(for: error).rawValue)"])
        notifier.status("\(label(config))cannot start: \(GalsyncService.short(error))")
        guard holdsLock(config) else { return }
        CycleRunner.recordFailure(config: config, error: error, logger: logger)
        // With shared state, saved too: `status` on any node reads it from there.
        if let lease { try? await lease.save(statePath: config.sync.state) }
    }

    /// From 30 days before expiry, once a day.
    func warnAboutCertificate(_ runtime: GalsyncRuntime) async {
        guard let data = FileManager.default.contents(atPath: runtime.config.tenant.certificate),
              let cert = try? Certificate(pemOrDER: data) else { return }
        let days = CertificateTool.daysLeft(cert)
        guard days < 30, await status.certificateWarningDue(Date()) else { return }
        logger.warning("the certificate expires in \(days) days: make a new one with 'galsync cert new', upload it, put it in place of the old files and restart galsync (see docs/operations.md)",
                       metadata: ["error_code": "certificate_expiry"])
    }
}

/// The tenant's state lock, once taken (shared by the loop's copies).
final class HeldLock: Sendable {
    let value: Mutex<StateLock?>
    init(_ lock: StateLock?) { value = Mutex(lock) }
}
