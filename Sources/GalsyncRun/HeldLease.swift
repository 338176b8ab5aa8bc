import Foundation
import GalsyncPostgres
import GraphClient
import Synchronization
import SyncStore

/// This node's lease on one tenant (state shared through PostgreSQL): the fencing token, until
/// when the node may act for the tenant, and the fenced save of the tenant's state.
///
/// The node trusts its lease for three quarters of `lease` after it *sent* the renewal that
/// the database accepted (the database counts the full lease from when it *received* it), and
/// sends a new Graph request only while more than a tenth of the lease of that trust is left:
/// the last request it sends has at least 35 % of the lease (21 s of the default 60 s) to reach
/// Graph before any other node may take the tenant, and the next node then waits for its own
/// round and lists every mailbox first. Both clocks must agree: the monotonic one (which a
/// SIGSTOP does not stop) and the wall clock (which NTP sets right after a virtual machine was
/// paused and resumed, when the guest's monotonic clock may not have moved).
final class HeldLease: Sendable {
    let tenant: String
    let node: String
    let token: Int64
    /// The node before saved the state and released the lease: nothing it did is missing, so
    /// the first cycle need not list every mailbox.
    let cleanHandover: Bool
    let store: LeaseStore
    private let until: Mutex<(monotonic: ContinuousClock.Instant, wall: Date)?>

    /// The share of the lease the node trusts, counted from the renewal's sending.
    static let trusted = 0.75
    /// The share of the lease that must be left of that trust for a new request to go out.
    static let sendMargin = 0.1

    init(tenant: String, node: String, acquired: LeaseStore.Acquired, store: LeaseStore, sentAt: ContinuousClock.Instant) {
        self.tenant = tenant
        self.node = node
        self.token = acquired.token
        self.cleanHandover = acquired.clean
        self.store = store
        until = Mutex(Self.deadline(sentAt, lease: store.lease))
    }

    /// Until when the lease is trusted, on both clocks, for a renewal sent at `sentAt`.
    static func deadline(_ sentAt: ContinuousClock.Instant, lease: TimeInterval) -> (monotonic: ContinuousClock.Instant, wall: Date) {
        let trust = lease * trusted
        return (sentAt + .milliseconds(Int(trust * 1000)), Date() - (ContinuousClock.now - sentAt).seconds + trust)
    }

    /// Throws `LeaseExpired` once the lease is no longer surely this node's, keeping
    /// `margin` seconds of it in hand.
    func check(margin: TimeInterval = 0) throws {
        guard let until = until.withLock({ $0 }),
              ContinuousClock.now + .milliseconds(Int(margin * 1000)) < until.monotonic, Date() + margin < until.wall else {
            throw LeaseExpired(tenant: tenant, token: token)
        }
    }

    var isValid: Bool { (try? check()) != nil }

    /// The gate for this tenant's Graph requests: a tenth of the lease kept in hand.
    var gate: RequestGate { RequestGate { [self] in try check(margin: store.lease * Self.sendMargin) } }

    /// The database accepted a renewal sent at `sentAt`.
    func renewed(sentAt: ContinuousClock.Instant) {
        let next = Self.deadline(sentAt, lease: store.lease)
        until.withLock { if let now = $0 { $0 = (max(now.monotonic, next.monotonic), max(now.wall, next.wall)) } }
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

extension Duration {
    /// In seconds, as a `TimeInterval`.
    var seconds: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
