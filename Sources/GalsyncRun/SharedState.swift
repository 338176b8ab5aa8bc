import Foundation
import GalsyncConfig
import GalsyncCore
import GalsyncPlan
import GalsyncPostgres
import GraphClient
import Logging
import SyncStore

/// One-shot commands on an install whose state is in PostgreSQL (`[store] url`). They never
/// touch a node's working copy: `plan`, `why` and `status` read the tenant's saved state from a
/// temporary copy; `sync` and `purge` take the tenant's lease for their run (refused, naming the
/// node, while a node holds it), work on a temporary copy, save it fenced by their token and
/// release the lease cleanly.
public struct SharedState: Sendable {
    let store: LeaseStore
    let logger: Logger

    /// Runs `body` with the PostgreSQL pool running beside it.
    public static func with<T: Sendable>(_ installation: Installation, logger: Logger, _ body: @Sendable (SharedState) async throws -> T) async throws -> T {
        guard let url = installation.store.url else { throw SyncError.badConfiguration("[store] url is not set") }
        let store = LeaseStore(url: url, password: try installation.store.password(), lease: installation.store.lease, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.run() }
            defer { group.cancelAll() }
            try await store.migrate()
            return try await body(SharedState(store: store, logger: logger))
        }
    }

    /// Who holds each tenant, for `status`.
    public func holders() async throws -> [LeaseHolder] { try await store.holders() }

    /// `config` reading a temporary copy of the tenant's saved state (nil when none was saved
    /// yet); the caller removes `folder` when done.
    public func copy(_ config: Configuration) async throws -> (config: Configuration, folder: String)? {
        guard let saved = try await store.load(NodeLeases.leaseName(config)) else { return nil }
        let folder = Self.temporaryFolder()
        var copy = config
        copy.sync.state = folder + "/state.db"
        do {
            try StateStore.restore(saved.bytes, at: copy.sync.state)
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            throw error
        }
        return (copy, folder)
    }

    /// Runs `body` holding the tenant's lease: `body` gets the configuration on a temporary copy
    /// of the saved state, the gate for its Graph requests, and whether the node before left
    /// the state complete (a clean handover). The state is saved afterwards, fenced.
    /// `waiting`: how long to wait for a node that holds the tenant to let it go (`--wait-lock`).
    public func withLease<T: Sendable>(_ config: Configuration, command: String, waiting: Duration? = nil,
                                      _ body: @escaping @Sendable (Configuration, RequestGate, Bool) async throws -> T) async throws -> T {
        let name = NodeLeases.leaseName(config)
        let node = GalsyncService.defaultNode() + " (galsync \(command))"
        let deadline = ContinuousClock.now + (waiting ?? .zero)
        var sent = ContinuousClock.now
        var taken = try await store.acquire(name, node: node)
        while taken == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .seconds(2))
            sent = ContinuousClock.now
            taken = try await store.acquire(name, node: node)
        }
        guard let acquired = taken else {
            let holder = try await store.holders().first { $0.tenant == name }
            throw TenantHeldElsewhere(tenant: name, node: holder?.node ?? "another node", secondsLeft: holder?.secondsLeft ?? store.lease)
        }
        let lease = HeldLease(tenant: name, node: node, acquired: acquired, store: store, sentAt: sent)
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var copy = config
        copy.sync.state = folder + "/state.db"
        do {
            if let saved = try await store.load(name) { try StateStore.restore(saved.bytes, at: copy.sync.state) }
            let result = try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { [copy] in try await body(copy, lease.gate, acquired.clean) }
                group.addTask { try await renew(lease); return nil }
                defer { group.cancelAll() }
                while let next = try await group.next() { if let value = next { return value } }
                throw CancellationError()
            }
            try await lease.save(statePath: copy.sync.state)
            await lease.release(clean: true)
            return result
        } catch {
            // What the run confirmed is saved when the lease is still this command's; the next
            // holder lists every mailbox all the same (the run ended abnormally).
            if lease.isValid, FileManager.default.fileExists(atPath: copy.sync.state) { try? await lease.save(statePath: copy.sync.state) }
            await lease.release()
            throw error
        }
    }

    /// Renews `lease` every quarter of its length until cancelled; a refused renewal ends the
    /// lease (the gate then stops the run's requests); a failed one is tried again next time
    /// (the lease's own clock stops the run if none succeeds in time).
    func renew(_ lease: HeldLease) async throws {
        while !Task.isCancelled {
            try await Task.sleep(for: .milliseconds(Int(store.lease * 250)))
            let sent = ContinuousClock.now
            do {
                if try await store.renew(lease.tenant, node: lease.node, token: lease.token) {
                    lease.renewed(sentAt: sent)
                } else {
                    lease.lose()
                    logger.error("the lease on tenant \(lease.tenant) was lost: stopping")
                    return
                }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("could not renew the lease on tenant \(lease.tenant): \(LeaseStore.describe(error)); trying again")
            }
        }
    }

    static func temporaryFolder() -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-shared-\(UUID().uuidString.prefix(8))").path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return folder
    }
}

/// `sync` or `purge` on a tenant a node holds.
public struct TenantHeldElsewhere: Error, Sendable, CustomStringConvertible {
    public let tenant: String
    public let node: String
    public let secondsLeft: Double
    public var description: String {
        "tenant \(tenant) is worked by node \(node) (its lease runs \(Int(secondsLeft.rounded(.up))) s more and is renewed while it runs): "
            + "ask that node for a cycle now ('systemctl kill -s USR1 galsync' there), or stop galsync there first"
    }
}

/// What a reading command (`plan`, `why`, `check`) reads as the tenant's state: its own
/// `sync.state`, or with `[store] url` a temporary copy of the saved one, never a node's
/// working copy. `remove()` when done.
public struct StateCopy: Sendable {
    public let config: Configuration
    /// With `[store] url`, nothing was saved yet: `config.sync.state` names no file (an empty state).
    public let savedNothing: Bool
    let folder: String?

    public static func of(_ config: Configuration, in installation: Installation, logger: Logger) async throws -> StateCopy {
        guard installation.store.url != nil else { return StateCopy(config: config, savedNothing: false, folder: nil) }
        guard let copy = try await SharedState.with(installation, logger: logger, { try await $0.copy(config) }) else { return empty(config) }
        return StateCopy(config: copy.config, savedNothing: false, folder: copy.folder)
    }

    /// `config` on a state that does not exist (an empty one).
    public static func empty(_ config: Configuration) -> StateCopy {
        var none = config
        none.sync.state = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-none-\(UUID().uuidString)/state.db").path
        return StateCopy(config: none, savedNothing: true, folder: nil)
    }

    public func remove() { if let folder { try? FileManager.default.removeItem(atPath: folder) } }
}
