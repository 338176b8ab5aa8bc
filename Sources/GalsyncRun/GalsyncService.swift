import Foundation
import GalsyncConfig
import GalsyncCore
import GalsyncPlan
import GraphHTTP
import GalsyncCrypto
import Logging
import ServiceLifecycle
import SyncStore
import SystemdSupport
import Synchronization
import UnixSignals

/// `galsync run`: the long-running service. A cycle at start, then every `sync.interval` (with
/// a little jitter), never two at once; SIGHUP re-reads the configuration (a bad one is logged
/// and the old one kept); SIGUSR1 starts a cycle now (see `CycleRequests`); graceful shutdown
/// cancels the cycle, lets in-flight requests end and returns. systemd hears READY, STATUS,
/// WATCHDOG (only while the loop makes progress), RELOADING and STOPPING.
public struct GalsyncService: Service {
    let configPath: String
    let initial: Configuration
    let logger: Logger
    let notifier = ServiceNotifier()

    public init(configPath: String, config: Configuration, logger: Logger) {
        self.configPath = configPath
        self.initial = config
        self.logger = logger
    }

    /// What the loop is doing, shared with the watchdog and the reload handler.
    actor Status {
        var config: Configuration
        var runtime: GalsyncRuntime
        var cycle = 0
        var running = false
        /// The runtime the running cycle uses: a reload swaps `runtime` for the next cycle, but
        /// the watchdog must keep watching the requests of the cycle still under way.
        var cycleRuntime: GalsyncRuntime?
        var progressMark = -1
        var lastCertificateWarning: Date?
        var metrics = MetricsFile()
        /// SIGUSR1's requests for a cycle now.
        let requests = CycleRequests()
        /// Counts a finished cycle and its own requests; returns the metrics to write.
        func recordMetrics(_ summary: CycleSummary?, duration: TimeInterval, requests: [Int: Int]) -> MetricsFile {
            metrics.record(summary, duration: duration, at: Date(), requests: requests)
            return metrics
        }
        init(config: Configuration, runtime: GalsyncRuntime) { self.config = config; self.runtime = runtime }
        func swap(_ c: Configuration, _ r: GalsyncRuntime) { config = c; runtime = r }
        func begin() -> (Int, Configuration, GalsyncRuntime) { cycle += 1; running = true; cycleRuntime = runtime; return (cycle, config, runtime) }
        func end() { running = false; cycleRuntime = nil }
        /// True while the loop is alive: between cycles, or in a cycle that still sends requests
        /// or waits on purpose (Retry-After, a mailbox's learned rate).
        func alive() -> Bool {
            guard running else { return true }
            let now = (cycleRuntime ?? runtime).graph.metrics.activity
            defer { progressMark = now }
            return now != progressMark
        }
        func certificateWarningDue(_ now: Date) -> Bool {
            if let last = lastCertificateWarning, now.timeIntervalSince(last) < 86_400 { return false }
            lastCertificateWarning = now
            return true
        }
    }

    public func run() async throws {
        let lock = try StateLock(statePath: initial.sync.state)
        defer { withExtendedLifetime(lock) {} }
        _ = try StateStore(path: initial.sync.state)  // created and migrated before READY
        let status = Status(config: initial, runtime: try GalsyncRuntime.make(initial))
        // SIGHUP's handler is in place before READY: systemd may send a reload as soon as it
        // hears READY, and an untrapped SIGHUP would end the process (as a clean exit).
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let usr1 = await UnixSignalsSequence(trapping: .sigusr1)  // likewise: untrapped, it would end the process
        notifier.ready(status: "starting the first cycle")
        logger.info("galsync started", metadata: ["config": "\(configPath)", "state": "\(initial.sync.state)"])

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await watchdog(status) }
            group.addTask { await reloads(status, hangups) }
            group.addTask { await cycleRequests(status, usr1) }
            do {
                try await cancelWhenGracefulShutdown { try await loop(status) }
            } catch is CancellationError {
                // Graceful shutdown: the cycle was cancelled between batches; state is committed.
            }
            notifier.stopping()
            logger.info("galsync stopping")
            group.cancelAll()
        }
    }

    func loop(_ status: Status) async throws {
        while !Task.isCancelled {
            let (count, config, runtime) = await status.begin()
            notifier.status("cycle running: starting")
            await warnAboutCertificate(runtime, status: status)
            let started = Date()
            // STATUS= every 5 s, an info line every 30 s, both "cycle 7: writing 41/99 mailboxes, ...".
            let ticks = Mutex(0)
            let reporting = CycleRunner.ProgressReporting(every: .seconds(5)) { [notifier, logger] line in
                notifier.status(line)
                if ticks.withLock({ t in t += 1; return t % 6 == 0 }) { logger.info("\(line)") }
            }
            // The cycle's own requests: a reload gives the next cycle a new runtime counting from
            // zero, so the metrics add up differences, never the runtime's totals.
            let requestsBefore = runtime.graph.metrics.byStatus
            let result = await CycleRunner(runtime: runtime, holdsLock: true, logger: logger, reporting: reporting).run(SyncEngine.Options())
            let cycleRequests = MetricsFile.delta(from: requestsBefore, to: runtime.graph.metrics.byStatus)
            await status.end()
            if Task.isCancelled { return }
            // The history's number for the cycle (what `status` shows); the loop's own count only
            // when the cycle ended before it was recorded.
            let n = result.cycleId.map { Int($0) } ?? count
            let took = Date().timeIntervalSince(started)
            let wait = max(0, config.sync.interval * Double.random(in: 0.95...1.05) - took)
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
                notifier.status("cycle \(n): \(s.mailboxesOK + s.mailboxesFailed) mailboxes, \(s.mailboxesFailed) failed\(s.pending > 0 ? ", \(s.pending) pending" : ""); +\(s.created) ~\(s.updated) -\(s.deleted); next in \(Int(wait / 60))m")
            } else if let error = result.error {
                logger.error("cycle \(n) failed: \(error)", metadata: ["cycle": "\(n)", "error_code": "\(result.exitStatus.rawValue)"])
                notifier.status("cycle \(n) failed: \(Self.short(error)); next in \(Int(wait / 60))m")
            }
            if result.summary != nil || result.error != nil {
                do {
                    try await status.recordMetrics(result.summary, duration: took, requests: cycleRequests).write(config: config)
                } catch {
                    logger.warning("could not write the metrics file \(config.sync.metricsFile ?? ""): \(error)")
                }
            }
            if took > config.sync.interval {
                logger.warning("cycle \(n) took \(Int(took)) s, longer than sync.interval (\(Int(config.sync.interval)) s); the next one starts now")
            }
            try await status.requests.wait(for: .milliseconds(Int(wait * 1000)))
        }
    }

    /// Pings systemd at half `WATCHDOG_USEC`, but only while the loop is alive.
    func watchdog(_ status: Status) async throws {
        guard let interval = notifier.watchdogInterval else { return }
        while !Task.isCancelled {
            try await Task.sleep(for: interval / 2)
            if await status.alive() { notifier.watchdog() }
        }
    }

    /// SIGHUP: re-read and validate; keep the old configuration when the new one is bad.
    func reloads(_ status: Status, _ hangups: UnixSignalsSequence) async {
        for await _ in hangups {
            notifier.reloading()
            do {
                let config = try ConfigurationLoader.load(path: configPath)
                let old = await status.config
                if config.sync.state != old.sync.state {
                    logger.warning("sync.state cannot change while running; restart galsync to use \(config.sync.state)")
                }
                var adopted = config
                adopted.sync.state = old.sync.state
                // Refused here, not at the next cycle: a reload that every cycle would fail on.
                if let problem = ConfigSanity.stateProblem(adopted) { throw problem }
                if let placeholder = ConfigSanity.placeholders(adopted).first { throw SyncError.badConfiguration(placeholder) }
                await status.swap(adopted, try GalsyncRuntime.make(adopted))
                logger.notice("configuration reloaded from \(configPath)")
                notifier.ready(status: "configuration reloaded")
            } catch {
                logger.error("reload refused, keeping the previous configuration: \(error)")
                notifier.ready(status: "reload refused, the previous configuration stays: \(String("\(error)".prefix(160)))")
            }
        }
    }

    /// An error for STATUS= (one line in `systemctl status`): a transport error's problem
    /// without its fix, anything else cut at a word near 160 characters.
    static func short(_ error: any Error) -> String {
        if let t = error as? HTTPTransportError { return t.problem }
        let text = "\(error)"
        guard text.count > 160 else { return text }
        let cut = text.prefix(160)
        return String(cut[..<(cut.lastIndex(of: " ") ?? cut.endIndex)]) + " …"
    }

    /// SIGUSR1 (`systemctl kill -s USR1 galsync`): a cycle now, or right after the running one.
    func cycleRequests(_ status: Status, _ signals: UnixSignalsSequence) async {
        for await _ in signals {
            let running = await status.running
            logger.notice(running ? "SIGUSR1: a cycle is running; another starts when it ends" : "SIGUSR1: starting a cycle now")
            status.requests.request()
        }
    }

    /// From 30 days before expiry, once a day.
    func warnAboutCertificate(_ runtime: GalsyncRuntime, status: Status) async {
        guard let data = FileManager.default.contents(atPath: runtime.config.tenant.certificate),
              let cert = try? Certificate(pemOrDER: data) else { return }
        let days = CertificateTool.daysLeft(cert)
        guard days < 30, await status.certificateWarningDue(Date()) else { return }
        logger.warning("the certificate expires in \(days) days: make a new one with 'galsync cert new', upload it, put it in place of the old files and restart galsync (see docs/operations.md)",
                       metadata: ["error_code": "certificate_expiry"])
    }
}
