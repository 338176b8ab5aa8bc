import Foundation
import GalsyncConfig
import GalsyncPostgres
import Logging
import Synchronization
import SyncStore
import SystemdSupport

/// A node's part in an install whose state is in PostgreSQL: every quarter of `lease` it says
/// it is alive, renews the leases of the tenants it works (a refused renewal stops that
/// tenant), gives up one idle tenant when it holds more than its share (tenants ÷ live nodes,
/// rounded up: a node that joins gets work), and takes free or expired tenants up to its
/// share: the tenant's saved state is put in place and its loop started, which first lists
/// every mailbox unless the node before released it cleanly (it may have written what its
/// saved state does not know).
final class NodeLeases: Sendable {
    let store: LeaseStore
    let node: String
    let logger: Logger
    let notifier: ServiceNotifier
    let tenants: RunningTenants
    let orders: AsyncStream<GalsyncService.TenantCommand>.Continuation
    /// The tenants whose files load, by lease name (a reload replaces them).
    let configs: Mutex<[String: Configuration]>
    /// When the last round ended, well or not: the watchdog stops pinging when rounds stop (a
    /// query that never returns), so that systemd restarts the node.
    let lastRound = Mutex(ContinuousClock.now)

    /// Rounds still end: the last one within a lease.
    var isAlive: Bool { ContinuousClock.now - lastRound.withLock { $0 } < .milliseconds(Int(store.lease * 1000)) }

    init(store: LeaseStore, node: String, installation: Installation, logger: Logger, notifier: ServiceNotifier,
         tenants: RunningTenants, orders: AsyncStream<GalsyncService.TenantCommand>.Continuation) {
        self.store = store
        self.node = node
        self.logger = logger
        self.notifier = notifier
        self.tenants = tenants
        self.orders = orders
        configs = Mutex(Self.byLeaseName(installation))
    }

    /// The name a tenant's lease goes by: its name, or "default" for a single unnamed tenant.
    static func leaseName(_ config: Configuration) -> String { config.name.isEmpty ? "default" : config.name }

    static func byLeaseName(_ installation: Installation) -> [String: Configuration] {
        Dictionary(installation.configurations.map { (leaseName($0), $0) }, uniquingKeysWith: { a, _ in a })
    }

    func update(_ installation: Installation) { configs.withLock { $0 = Self.byLeaseName(installation) } }

    func run() async throws {
        var migrated = false, rounds = 0
        while !Task.isCancelled {
            let started = ContinuousClock.now
            do {
                if !migrated { try await store.migrate(); migrated = true }
                // The first round only says this node is alive: nodes started together then
                // count each other before any takes a share computed without the others.
                if rounds == 0 { _ = try await store.heartbeat(node: node) } else { try await round() }
                rounds += 1
            } catch is CancellationError {
                return
            } catch {
                logger.warning("\(LeaseStore.describe(error)); trying again in \(Int(store.lease / 4)) s (tenants whose leases are not renewed stop on their own)")
            }
            lastRound.withLock { $0 = ContinuousClock.now }
            try await Task.sleep(until: started + .milliseconds(Int(store.lease * 250)))
        }
    }

    func round() async throws {
        let live = try await store.heartbeat(node: node)
        let configs = configs.withLock { $0 }
        var held: [String: TenantLoop] = [:]
        for loop in await tenants.loops() {
            guard let lease = loop.lease else { continue }
            let sent = ContinuousClock.now
            if try await store.renew(lease.tenant, node: node, token: lease.token) {
                lease.renewed(sentAt: sent)
                held[lease.tenant] = loop
            } else {
                lease.lose()
                loop.logger.error("the lease on tenant \(lease.tenant) was lost (expired or taken by another node): stopping its cycle", metadata: ["error_code": "lease_lost"])
                await tenants.stop(await loop.status.config.name)
            }
        }
        let counts = try await store.holdings()
        let share = Self.share(tenants: configs.count, live: live, counts: counts, me: node)
        // More than this node's share (a node joined, or one holds less than the rest): give
        // up one idle tenant per round.
        if held.count > share.keep {
            for (name, loop) in held.sorted(by: { $0.key > $1.key }) where await !loop.status.running {
                loop.logger.notice("node \(node) holds \(held.count) tenants, more than its share of \(share.keep) among \(live.count) nodes: letting \(name) go")
                await tenants.stop(await loop.status.config.name)
                return
            }
            return
        }
        // Free tenants, each node starting at a different place in the list.
        var count = held.count
        let names = configs.keys.sorted { Self.order(node, $0) < Self.order(node, $1) }
        for name in names where held[name] == nil && count < share.take {
            let sent = ContinuousClock.now
            guard let acquired = try await store.acquire(name, node: node), let config = configs[name] else { continue }
            let lease = HeldLease(tenant: name, node: node, acquired: acquired, store: store, sentAt: sent)
            do {
                try await takeOver(config, lease)
                count += 1
            } catch {
                logger.error("could not take over tenant \(name): \(error); letting it go", metadata: ["tenant": "\(config.name)"])
                await lease.release()
            }
        }
    }

    /// How many tenants this node keeps (more: it gives one up) and takes up to: the tenants
    /// divided among the live nodes, rounded up; but while another live node holds fewer than
    /// the rounded-down share, this node keeps and takes only that, so that a node that joins
    /// gets work (4 tenants on 3 nodes end 2, 1, 1).
    static func share(tenants: Int, live: [String], counts: [String: Int], me: String) -> (keep: Int, take: Int) {
        let nodes = max(1, live.count)
        let high = max(1, Int((Double(tenants) / Double(nodes)).rounded(.up))), low = tenants / nodes
        let someoneShort = live.contains { $0 != me && (counts[$0] ?? 0) < low }
        return someoneShort ? (max(low, 1), max(low, 1)) : (high, high)
    }

    /// Puts the tenant's saved state in place (under its local lock) and starts its loop.
    func takeOver(_ config: Configuration, _ lease: HeldLease) async throws {
        let lock = try StateLock(statePath: config.sync.state)
        let saved = try await store.load(lease.tenant)
        if let saved {
            try StateStore.restore(saved.bytes, at: config.sync.state)
        } else {
            // Nothing saved yet: a local copy left from an earlier lease is not to be trusted.
            try StateStore.restore(StateStore.emptyArchive, at: config.sync.state)
        }
        let loop = TenantLoop(config: config, runtime: nil, lock: lock, logger: logger, notifier: notifier, lease: lease)
        let listing = lease.cleanHandover ? "released cleanly: no listing needed" : "the first cycle lists every mailbox"
        loop.logger.notice("node \(node) took tenant \(lease.tenant) (token \(lease.token)), \(saved.map { "its state saved under token \($0.token)" } ?? "no saved state yet"); \(listing)",
                           metadata: ["token": "\(lease.token)"])
        orders.yield(.start(loop))
    }

    /// A stable, node-specific order of tenants, so that nodes starting together do not all
    /// reach for the same tenant first.
    static func order(_ node: String, _ tenant: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (node + "/" + tenant).utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}
