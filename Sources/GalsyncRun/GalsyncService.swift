import Foundation
import GalsyncConfig
import GalsyncCore
import GalsyncPostgres
import GraphHTTP
import Logging
import ServiceLifecycle
import SyncStore
import SystemdSupport
import Synchronization
import UnixSignals

/// `galsync run`: the long-running service. Each tenant of the install runs its own
/// `TenantLoop` (a cycle at start, then every `sync.interval`), all in one process sharing one
/// HTTP event loop; SIGHUP re-reads the configuration, starting, changing and stopping tenants
/// without touching the others' cycles (a bad file is logged and its tenant keeps its previous
/// configuration); SIGUSR1 starts a cycle now in every tenant (see `CycleRequests`); graceful
/// shutdown cancels the cycles, lets in-flight requests end and returns. systemd hears READY,
/// STATUS, WATCHDOG (only while every tenant's loop makes progress), RELOADING and STOPPING.
public struct GalsyncService: Service {
    let configPath: String
    let initial: Installation
    let logger: Logger
    let notifier = ServiceNotifier()
    /// This node's name among those sharing state in PostgreSQL.
    let node: String
    /// The shared state's leases, when `[store] url` is set: a `Service` of its own, run by the
    /// same group before this one (see `services`).
    let leaseStore: LeaseStore?

    public init(configPath: String, installation: Installation, logger: Logger, node: String? = nil) throws {
        self.configPath = configPath
        self.initial = installation
        self.logger = logger
        self.node = node ?? Self.defaultNode()
        leaseStore = try installation.store.url.map { url in
            LeaseStore(url: url, password: try installation.store.password(), lease: installation.store.lease, logger: logger)
        }
    }

    /// What the service group runs, in order: the PostgreSQL pool first (it stops last), then
    /// the service.
    public var services: [any Service] { (leaseStore.map { [$0] } ?? []) + [self] }

    /// `HOSTNAME:PID`: unique among the nodes of one machine too.
    static func defaultNode() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, 255)
        return "\(String(cString: buffer)):\(getpid())"
    }

    /// What the reload handler and the node's leases ask of the task that owns the tenants'
    /// tasks (stopping one is asked of `RunningTenants` directly, so that the next reload sees it).
    enum TenantCommand: Sendable {
        case start(TenantLoop)
        /// Shutdown: every tenant stops, and the service ends once they have.
        case stopAll
        /// Nothing will start a tenant any more (the node's leases ended): with `stopAll`, the
        /// service may end once its tenants have.
        case noMoreStarts
    }

    public func run() async throws {
        let tenants = RunningTenants()
        var first: [TenantLoop] = []
        let (commands, orders) = AsyncStream.makeStream(of: TenantCommand.self)
        var leasesIfShared: NodeLeases?
        if let store = leaseStore {
            // State in PostgreSQL: tenants come to this node through their leases (NodeLeases).
            leasesIfShared = NodeLeases(store: store, node: node, installation: initial, logger: logger, notifier: notifier, tenants: tenants, orders: orders)
            for tenant in initial.tenants {
                if case .failure(let error) = tenant.config { logger.error("tenant \(tenant.name) not started: \(error)", metadata: ["tenant": "\(tenant.name)", "error_code": "78"]) }
            }
        } else if !initial.isMultiTenant {
            // One tenant: as before many tenants existed, the lock, the state and the credentials
            // are checked before READY, and a failure ends the service (systemd says why).
            let config = try initial.tenant(named: nil)
            let lock = try StateLock(statePath: config.sync.state)
            _ = try StateStore(path: config.sync.state)  // created and migrated before READY
            first.append(TenantLoop(config: config, runtime: try GalsyncRuntime.make(config), lock: lock, logger: logger, notifier: notifier))
        } else {
            for tenant in initial.tenants {
                switch tenant.config {
                case .success(let config): first.append(TenantLoop(config: config, runtime: nil, lock: nil, logger: logger, notifier: notifier))
                case .failure(let error): logger.error("tenant \(tenant.name) not started: \(error)", metadata: ["tenant": "\(tenant.name)", "error_code": "78"])
                }
            }
            if first.isEmpty, let broken = initial.tenants.first, case .failure(let error) = broken.config { throw error }
        }
        // SIGHUP's handler is in place before READY: systemd may send a reload as soon as it
        // hears READY, and an untrapped SIGHUP would end the process (as a clean exit).
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let usr1 = await UnixSignalsSequence(trapping: .sigusr1)  // likewise: untrapped, it would end the process
        notifier.ready(status: leasesIfShared == nil ? "starting the first cycle" : "node \(node): taking tenants from PostgreSQL")
        if let url = initial.store.url {
            logger.info("galsync started", metadata: ["config": "\(configPath)", "node": "\(node)", "store": "\(url)", "lease": "\(Int(initial.store.lease))s"])
        } else if initial.isMultiTenant {
            logger.info("galsync started", metadata: ["config": "\(configPath)", "tenants": "\(initial.tenants.map(\.name).joined(separator: ","))"])
        } else {
            logger.info("galsync started", metadata: ["config": "\(configPath)", "state": "\(initial.configurations.first?.sync.state ?? "")"])
        }
        for loop in first { orders.yield(.start(loop)) }
        let leases = leasesIfShared

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await watchdog(tenants, leases) }
            group.addTask { await reloads(tenants, hangups, orders, leases) }
            group.addTask { await cycleRequests(tenants, usr1) }
            if let leases {
                // Takes no new tenant once shutdown begins; the pool (a service before this one)
                // lives on until the tenants have saved their state and released their leases.
                group.addTask { [leases] in
                    try? await cancelWhenGracefulShutdown { try await leases.run() }
                    orders.yield(.noMoreStarts)
                }
            }
            // Graceful shutdown stops every tenant (its cycle is cancelled between batches and
            // recorded as interrupted; with PostgreSQL its state is saved and its lease released).
            await withGracefulShutdownHandler {
                await serve(tenants, commands, startsMayFollowShutdown: leases != nil)
            } onGracefulShutdown: {
                orders.yield(.stopAll)
            }
            notifier.stopping()
            logger.info("galsync stopping")
            group.cancelAll()
        }
    }

    /// Owns every tenant's task: starts and stops them as the reload handler orders, until
    /// the service is cancelled (which cancels them all).
    func serve(_ tenants: RunningTenants, _ commands: AsyncStream<TenantCommand>, startsMayFollowShutdown: Bool) async {
        await withTaskGroup(of: Void.self) { group in
            var stopping = false, noMoreStarts = !startsMayFollowShutdown
            for await command in commands {
                switch command {
                case .start(let loop):
                    // A tenant taken while the service stops: let it go at once (state lock, lease).
                    if stopping { await loop.finish(); continue }
                    let stop = CycleRequests()
                    let name = await loop.status.config.name
                    await tenants.add(name, loop, stop)
                    group.addTask {
                        // A tenant started again while its previous loop still stops (a reload
                        // right after another): that one lets go of the state first.
                        while await tenants.isStopping(name), !Task.isCancelled { try? await Task.sleep(for: .milliseconds(100)) }
                        await Self.run(loop, until: stop)
                        await tenants.remove(name, stop)
                    }
                case .stopAll:
                    stopping = true
                    for name in await tenants.names { await tenants.stop(name) }
                case .noMoreStarts:
                    noMoreStarts = true
                }
                if stopping, noMoreStarts { break }
            }
            await group.waitForAll()
        }
    }

    /// Runs a tenant's loop until `stop` is requested (its cycle is cancelled between batches
    /// and recorded as interrupted) or the service is cancelled; then lets go of its state.
    static func run(_ loop: TenantLoop, until stop: CycleRequests) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await loop.run() }
            group.addTask { try? await stop.wait(for: .seconds(Int64.max / 2_000_000_000)) }
            await group.next()
            group.cancelAll()
        }
        await loop.finish()
    }

    /// Pings systemd at half `WATCHDOG_USEC`, but only while every tenant's loop is alive (and,
    /// with shared state, the node's lease rounds still end).
    func watchdog(_ tenants: RunningTenants, _ leases: NodeLeases?) async throws {
        guard let interval = notifier.watchdogInterval else { return }
        while !Task.isCancelled {
            try await Task.sleep(for: interval / 2)
            var alive = leases?.isAlive ?? true
            for loop in await tenants.loops() where await !loop.status.alive() { alive = false }
            if alive { notifier.watchdog() }
        }
    }

    /// SIGUSR1 (`systemctl kill -s USR1 galsync`): a cycle now in every tenant, or right after
    /// its running one.
    func cycleRequests(_ tenants: RunningTenants, _ signals: UnixSignalsSequence) async {
        for await _ in signals {
            for loop in await tenants.loops() {
                let running = await loop.status.running
                loop.logger.notice(running ? "SIGUSR1: a cycle is running; another starts when it ends" : "SIGUSR1: starting a cycle now")
                loop.status.requests.request()
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
}

/// The tenants `galsync run` works now, by name, each with the request that stops it. A tenant
/// asked to stop is no longer among them (a reload may start it again at once) but is still
/// counted among the loops, with its lease, until its task has ended.
actor RunningTenants {
    private var running: [String: (loop: TenantLoop, stop: CycleRequests)] = [:]
    private var stopping: [(name: String, loop: TenantLoop, stop: CycleRequests)] = []

    /// A loop of a name already running replaces it: the older one is stopped first.
    func add(_ name: String, _ loop: TenantLoop, _ stop: CycleRequests) {
        self.stop(name)
        running[name] = (loop, stop)
    }
    /// Forgets a tenant whose task ended, unless a newer one of that name took its place.
    func remove(_ name: String, _ stop: CycleRequests) {
        if running[name]?.stop === stop { running[name] = nil }
        stopping.removeAll { $0.stop === stop }
    }
    func stop(_ name: String) {
        guard let entry = running.removeValue(forKey: name) else { return }
        stopping.append((name, entry.loop, entry.stop))
        entry.stop.request()
    }
    /// A loop of `name` was asked to stop and has not ended yet.
    func isStopping(_ name: String) -> Bool { stopping.contains { $0.name == name } }
    /// The running loop of `name` (not one that is stopping).
    func loop(_ name: String) -> TenantLoop? { running[name]?.loop }
    /// Every loop whose task has not ended, stopping ones included (the watchdog, leases).
    func loops() -> [TenantLoop] { running.keys.sorted().compactMap { running[$0]?.loop } + stopping.map(\.loop) }
    var names: Set<String> { Set(running.keys) }
}
