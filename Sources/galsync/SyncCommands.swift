import ArgumentParser
import Foundation
import GalsyncConfig
import GalsyncCore
import GalsyncRun
import GalsyncText
import GalsyncPostgres
import GalsyncWriter
import Logging
import SyncStore
import SystemdSupport

/// Loads the configuration or exits 78 with every problem listed (with `json`, also the
/// contract's error object on stdout).
func loadConfig(_ options: ConfigOption, json: Bool = false, command: String = "galsync") throws -> Configuration {
    do {
        return try options.load()
    } catch {
        throw CommandFailure.exit(error, command: command, json: json, status: .config)
    }
}

/// The whole install for `run` (every tenant), or exit 78 with the main file's problems.
func loadInstallation(_ options: ConfigOption) throws -> Installation {
    do {
        let installation = try options.installation()
        if options.tenant != nil {
            throw ConfigurationError(file: installation.file, problems: [.init(key: "", message: "run serves every tenant of the install; --tenant is for the other commands")])
        }
        return installation
    } catch {
        throw CommandFailure.exit(error, command: "run", json: false, status: .config)
    }
}

/// The install and the tenant this command is about, or exit 78 with the problems.
func loadTenant(_ options: ConfigOption, json: Bool, command: String) throws -> (Installation, Configuration) {
    do {
        let installation = try options.installation()
        return (installation, try installation.tenant(named: options.tenant))
    } catch {
        throw CommandFailure.exit(error, command: command, json: json, status: .config)
    }
}

func runtime(_ config: Configuration, json: Bool = false, command: String = "galsync") throws -> GalsyncRuntime {
    do {
        return try GalsyncRuntime.make(config)
    } catch {
        throw CommandFailure.exit(error, command: command, json: json)
    }
}

/// Prints the summary (or, when there is none, the error object with `--json`) and exits
/// with the cycle's status.
func finish(_ result: CycleRunner.Result, json: Bool, command: String) throws {
    if let summary = result.summary {
        if json { print(String(decoding: summary.json.encoded(), as: UTF8.self)) } else { printForPeople(summary.text) }
    }
    if let error = result.error, !(error is CancellationError) {
        // Under the journal: one entry at priority error, whatever --log-level says.
        GalsyncLogging.reportFailure("galsync \(command): \(error)", metadata: ["exit_status": "\(result.exitStatus.rawValue)"])
        if json, result.summary == nil { print(CommandFailure.object(code: result.exitStatus, message: "\(error)")) }
    }
    if result.exitStatus != .ok { throw ExitCode(result.exitStatus.rawValue) }
}

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sync", abstract: "Run exactly one full cycle, then exit.")
    @OptionGroup var options: ConfigOption
    @Flag(help: "Print the cycle summary as JSON.") var json = false
    @Flag(help: "Allow this one cycle to delete more than sync.max_deletes_percent of the managed contacts.") var allowMassDelete = false
    @Flag(help: "List every mailbox and repair drift now, whatever sync.full_reconcile says.") var reconcile = false
    @Option(help: ArgumentHelp("When another galsync holds the state, wait up to this long (e.g. 10m) instead of failing.", valueName: "duration"))
    var waitLock: String?

    func validate() throws {
        if let waitLock {
            guard let seconds = ConfigurationLoader.duration(waitLock) else {
                throw ValidationError("--wait-lock takes a duration such as 90s, 10m or 1h, not '\(waitLock)'")
            }
            guard seconds <= 7 * 86_400 else { throw ValidationError("--wait-lock waits at most 7d, not '\(waitLock)'") }
        }
    }
    @Option(help: "Log level on stderr (or the journal): trace, debug (every operation), info (phases, progress every 30 s off a terminal), notice, warning, error, critical.") var logLevel: Logger.Level = .warning

    func run() async throws {
        var o = SyncEngine.Options()
        o.allowMassDelete = allowMassDelete
        o.forceReconcile = reconcile
        GalsyncLogging.bootstrap(level: logLevel)
        let wait = waitLock.flatMap(ConfigurationLoader.duration).map { Duration.milliseconds(Int($0 * 1000)) }
        let logger = Logger(label: "galsync")
        let progress = ProgressOutput(logger: logger)
        let (installation, config) = try loadTenant(options, json: json, command: "sync")
        let result: CycleRunner.Result
        if installation.store.url == nil {
            let rt = try runtime(config, json: json, command: "sync")
            result = await CycleRunner(runtime: rt, logger: logger, lockWait: wait, reporting: progress.reporting).runUntilSignalled(o)
        } else {
            // State in PostgreSQL: the tenant's lease for one cycle, on a copy of its saved state
            // (listing every mailbox unless the node before released it cleanly).
            do {
                result = try await SharedState.with(installation, logger: logger) { [o] shared in
                    try await shared.withLease(config, command: "sync", waiting: wait) { copy, gate, clean in
                        var options = o
                        if !clean { options.forceReconcile = true }
                        return await CycleRunner(runtime: try GalsyncRuntime.make(copy, gate: gate), logger: logger, reporting: progress.reporting).runUntilSignalled(options)
                    }
                }
            } catch {
                progress.finish()
                throw CommandFailure.exit(error, command: "sync", json: json, status: error is TenantHeldElsewhere ? .transient : nil)
            }
        }
        progress.finish()
        try finish(result, json: json, command: "sync")
    }
}

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan", abstract: "Show what one cycle would change; writes nothing anywhere.")
    @OptionGroup var options: ConfigOption
    @Flag(help: "Print the plan as JSON.") var json = false
    @Option(help: "Log level on stderr: trace, debug (every mailbox's plan), info, notice, warning, error, critical.") var logLevel: Logger.Level = .warning

    func run() async throws {
        var o = SyncEngine.Options()
        o.planOnly = true
        GalsyncLogging.bootstrap(level: logLevel)
        let logger = Logger(label: "galsync")
        let progress = ProgressOutput(logger: logger)
        let (installation, loaded) = try loadTenant(options, json: json, command: "plan")
        // State in PostgreSQL: plan against a copy of the tenant's saved state (none saved yet:
        // against an empty one).
        let copy: StateCopy
        do { copy = try await StateCopy.of(loaded, in: installation, logger: logger) } catch { throw CommandFailure.exit(error, command: "plan", json: json) }
        defer { copy.remove() }
        let config = copy.config
        let rt = try runtime(config, json: json, command: "plan")
        let result = await CycleRunner(runtime: rt, logger: logger, reporting: progress.reporting).runUntilSignalled(o)
        progress.finish()
        try finish(result, json: json, command: "plan")
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Running or not, last and last successful cycle, next due, failing mailboxes, pending work, deltaLink age, certificate (local state only).",
        discussion: "--check: one line and the Nagios plugin exit codes, 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.")
    @OptionGroup var options: ConfigOption
    @Flag(help: "Print as JSON.") var json = false
    @Flag(help: "Health for monitoring: one line, exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.") var check = false

    func run() async throws {
        let installation: Installation
        do { installation = try options.installation() } catch { try configFailure(error) }
        if installation.store.url != nil {
            try await sharedTenants(installation)
            return
        }
        if installation.isMultiTenant, options.tenant == nil {
            try allTenants(installation)
            return
        }
        let config: Configuration
        do { config = try installation.tenant(named: options.tenant) } catch { try configFailure(error) }
        // Not root (the state is root's, 0600): the status file the service keeps for the galsync group.
        if StatusFile.cannotRead(config.sync.state) {
            try fromStatusFile(config)
            return
        }
        guard FileManager.default.fileExists(atPath: config.sync.state) else {
            if check {
                print("GALSYNC UNKNOWN: no state yet at \(config.sync.state): no cycle has run")
                throw ExitCode(StatusHealth.Level.unknown.rawValue)
            }
            print(json ? #"{"cycles":[],"running":null}"# : "no state yet at \(config.sync.state): no cycle has run")
            return
        }
        // Read-only: status works on a read-only mount, and never changes the state it reports.
        let report: StatusReport
        do {
            let holder = StateLockHolder.find(lockPath: config.sync.state + ".lock")
            report = try StatusReport(config: config, store: try StateStore(path: config.sync.state, readOnly: true), running: holder,
                                      width: Terminal.of(1).width)
        } catch {
            if check {
                print("GALSYNC UNKNOWN: cannot read the state: \(SafeText.line("\(error)"))")
                throw ExitCode(StatusHealth.Level.unknown.rawValue)
            }
            throw CommandFailure.exit(error, command: "status", json: json)
        }
        if check {
            print(json ? String(decoding: report.json["health"]!.encoded(), as: UTF8.self) : report.health.line)
            if report.health.level != .ok { throw ExitCode(report.health.level.rawValue) }
            return
        }
        print(json ? String(decoding: report.json.encoded(), as: UTF8.self) : report.text)
    }

    /// A configuration error: UNKNOWN for `--check`, else exit 78 (with the error object for `--json`).
    func configFailure(_ error: any Error) throws -> Never {
        if check {
            print("GALSYNC UNKNOWN: configuration error: \(SafeText.line("\(error)"))")
            throw ExitCode(StatusHealth.Level.unknown.rawValue)
        }
        throw CommandFailure.exit(error, command: "status", json: json, status: .config)
    }

    /// State in PostgreSQL: one line per tenant (or the one `--tenant` names) from a copy of its
    /// saved state, with the node holding it.
    func sharedTenants(_ installation: Installation) async throws {
        var all: [TenantHealth]
        do {
            all = try await SharedState.with(installation, logger: Logger(label: "galsync")) { try await TenantHealth.assess(installation, shared: $0) }
        } catch {
            if check {
                print("GALSYNC UNKNOWN: cannot read the shared state: \(SafeText.line(LeaseStore.describe(error)))")
                throw ExitCode(StatusHealth.Level.unknown.rawValue)
            }
            throw CommandFailure.exit(CommandError(LeaseStore.describe(error)), command: "status", json: json, status: .transient)
        }
        if let tenant = options.tenant {
            all = all.filter { $0.name == tenant || (tenant == "default" && $0.name == "default") }
            if all.isEmpty { try configFailure(ConfigurationError(file: installation.file, problems: [.init(key: "", message: "--tenant \(tenant): no such tenant")])) }
        }
        try printAll(all)
    }

    /// A many-tenant install without `--tenant`: one line per tenant; `--check` exits with the
    /// worst tenant's level.
    func allTenants(_ installation: Installation) throws {
        try printAll(TenantHealth.assess(installation))
    }

    func printAll(_ all: [TenantHealth]) throws {
        let combined = TenantHealth.combined(all)
        if json {
            print(String(decoding: TenantHealth.json(all).encoded(), as: UTF8.self))
        } else {
            print(check ? combined.line : TenantHealth.text(all))
        }
        if check, combined.level != .ok { throw ExitCode(combined.level.rawValue) }
    }

    /// `status` for someone who cannot read the state: the newest status file, saying how old
    /// it is; or "cannot read" with the fix (exit 78, or UNKNOWN for --check).
    func fromStatusFile(_ config: Configuration) throws {
        switch StatusFile.read(statePath: config.sync.state, tenant: config.name) {
        case .success(let (file, path)):
            if check {
                let health = file.health()
                print(json ? StatusFile.healthJSONText(health) : health.line)
                if health.level != .ok { throw ExitCode(health.level.rawValue) }
                return
            }
            print(json ? file.jsonText(path: path) : file.text(path: path, width: Terminal.of(1).width))
        case .failure(let failure):
            let (message, fix) = StatusFile.unreadable(statePath: config.sync.state, failure: failure)
            if check {
                print("GALSYNC UNKNOWN: \(SafeText.line(message)); \(fix)")
                throw ExitCode(StatusHealth.Level.unknown.rawValue)
            }
            FileHandle.standardError.write(Data("galsync status: \(message)\nfix: \(fix)\n".utf8))
            if json { print(StatusFile.errorObject(code: ExitStatus.config.rawValue, message: message, fix: fix)) }
            throw ExitCode(ExitStatus.config.rawValue)
        }
    }
}

struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "purge", abstract: "Delete the contacts galsync manages (and its folder where empty); never anything else.")
    @OptionGroup var options: ConfigOption
    @Option(name: .customLong("mailbox"), help: "A mailbox (object id or UPN); repeatable.") var mailboxes: [String] = []
    @Flag(help: "Every mailbox galsync has written to.") var all = false
    @Option(name: .customLong("list"), help: "Only this [[list]]'s contacts (its name); without it, every list's.") var list: String?
    @Flag(help: "Do not ask for confirmation.") var yes = false
    @Flag(help: "Print the summary as JSON.") var json = false

    func validate() throws {
        guard all != !mailboxes.isEmpty else { throw ValidationError("name mailboxes with --mailbox, or use --all (not both)") }
    }

    func run() async throws {
        let (installation, config) = try loadTenant(options, json: json, command: "purge")
        guard installation.store.url != nil else {
            try await purge(config, try runtime(config, json: json, command: "purge"))
            return
        }
        // State in PostgreSQL: the tenant's lease for the purge, on a copy of its saved state.
        do {
            try await SharedState.with(installation, logger: Logger(label: "galsync")) { shared in
                try await shared.withLease(config, command: "purge") { copy, gate, _ in
                    try await purge(copy, try GalsyncRuntime.make(copy, gate: gate))
                }
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw CommandFailure.exit(error, command: "purge", json: json, status: error is TenantHeldElsewhere ? .transient : nil)
        }
    }

    func purge(_ config: Configuration, _ rt: GalsyncRuntime) async throws {
        do {
            // The lock and the state (opened for writing: an earlier galsync's state is migrated
            // here, as `sync` would) come first; then what is about to go, by name, before
            // anything is asked or deleted (on stderr with --json).
            let lock = try StateLock(statePath: config.sync.state)
            defer { withExtendedLifetime(lock) {} }
            let home = try StateStore(path: config.sync.state)
            let lists = try KeptLists.named(list, in: KeptLists.all(config, home: home))
            let say = { (text: String) in
                if json { FileHandle.standardError.write(Data((text + "\n").utf8)) } else { print(text) }
            }
            // Each list's contacts live in its own folder and state: purged list by list.
            var work: [(ContactList, StateStore)] = []
            for l in lists {
                guard let store = try KeptLists.state(of: l, config, home: home, readOnly: false) else { continue }
                work.append((l, store))
                if lists.count > 1 || !l.name.isEmpty { say(l.name.isEmpty ? "folder '\(l.folder)':" : "list \(l.name) (folder '\(l.folder)'):") }
                let preview = try PurgePreview(config: config.keeping(l), store: store, directory: home, mailboxes: all ? nil : mailboxes)
                for line in preview.lines { say(SafeText.line(line)) }
            }
            if !yes {
                guard isatty(0) == 1 else {
                    throw CommandFailure.exit(PurgeRefusal(), command: "purge", json: json, status: .config)
                }
                print("Delete them? Type 'yes': ", terminator: "")
                guard readLine() == "yes" else { print("nothing deleted"); return }
            }
            let progress = CycleProgress()
            let output = ProgressOutput(logger: Logger(label: "galsync"))
            let summary = try await output.reporting.around(progress, metrics: rt.graph.metrics) {
                var summary = CycleSummary()
                for (l, store) in work {
                    let part = try await Purge(config: config.keeping(l), graph: rt.graph, store: store, directory: home).run(mailboxes: all ? nil : mailboxes, progress: progress)
                    summary.absorb(part, list: l.name)
                    summary.duration += part.duration
                }
                summary.requests = rt.graph.metrics.requests
                summary.throttled = rt.graph.metrics.throttled
                summary.names = try home.people(summary.problems.keys)
                return summary
            }
            output.finish()
            print(json ? String(decoding: summary.json.encoded(), as: UTF8.self) : summary.text)
            if summary.exitStatus != .ok { throw ExitCode(summary.exitStatus.rawValue) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw CommandFailure.exit(error, command: "purge", json: json)
        }
    }
}

struct PurgeRefusal: Error, CustomStringConvertible {
    var description: String { "refusing without --yes when not on a terminal: add --yes once you have read what it deletes" }
}
