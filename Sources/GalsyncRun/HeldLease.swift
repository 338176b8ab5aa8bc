import Foundation
import GalsyncPostgres
import GraphClient
import Synchronization
import SyncStore

/// This node's lease on one tenant (state shared through PostgreSQL): the fencing token, until
/// when the node may act for the tenant by its own monotonic clock, and the fenced save of the
/// tenant's state.
///
/// The node trusts its lease for three quarters of `lease` after it *sent* the renewal that
/// the database accepted: the database counts the full lease from when it *received* it, so
/// the node stops acting (its Graph requests are refused by the gate) well before any other
/// node may take the tenant, even when the node was paused (SIGSTOP, a frozen VM) in between.
final class HeldLease: Sendable {
    let tenant: String
    let node: String
    let token: Int64
    /// The node before saved the state and released the lease: nothing it did is missing, so
    /// the first cycle need not list every mailbox.
    let cleanHandover: Bool
    let store: LeaseStore
    private let until: Mutex<ContinuousClock.Instant?>

    /// The share of the lease the node trusts, counted from the renewal's sending.
    static let trusted = 0.75

    init(tenant: String, node: String, acquired: LeaseStore.Acquired, store: LeaseStore, sentAt: ContinuousClock.Instant) {
        self.tenant = tenant
        self.node = node
        self.token = acquired.token
        self.cleanHandover = acquired.clean
        self.store = store
        until = Mutex(sentAt + .milliseconds(Int(store.lease * Self.trusted * 1000)))
    }

    /// Throws `LeaseExpired` once the lease is no longer surely this node's.
    func check() throws {
        guard let until = until.withLock({ $0 }), ContinuousClock.now < until else { throw LeaseExpired(tenant: tenant, token: token) }
    }

    var isValid: Bool { (try? check()) != nil }

    /// The gate for this tenant's Graph requests.
    var gate: RequestGate { RequestGate { [self] in try check() } }

    /// The database accepted a renewal sent at `sentAt`.
    func renewed(sentAt: ContinuousClock.Instant) {
        until.withLock { if $0 != nil { $0 = max($0!, sentAt + .milliseconds(Int(store.lease * Self.trusted * 1000))) } }
    }

    /// The lease is gone (renewal refused, a save refused): nothing more is sent for the tenant.
    func lose() { until.withLock { $0 = nil } }

    /// Saves the tenant's state to PostgreSQL, fenced by the token; a refusal loses the lease.
    func save(statePath: String) async throws {
        try check()
        let bytes = try StateStore.snapshot(of: statePath)
        do {
            try await store.save(tenant, node: node, token: token, bytes: bytes)
        } catch let error as LeaseStoreError {
            lose()
            throw error
        }
    }

    /// Gives the tenant up so that another node may take it at once; `clean` when its state
    /// was saved just before.
    func release(clean: Bool = false) async {
        lose()
        try? await store.release(tenant, node: node, token: token, clean: clean)
    }
}

/// A node's lease on a tenant ran out (by its own clock) or was refused: it sends nothing more
/// for that tenant.
struct LeaseExpired: Error, Sendable, CustomStringConvertible {
    let tenant: String
    let token: Int64
    var description: String {
        "this node's lease on tenant \(tenant) (token \(token)) is no longer surely its own (not renewed in time, or taken): it stops working the tenant and sends nothing more for it"
    }
}
