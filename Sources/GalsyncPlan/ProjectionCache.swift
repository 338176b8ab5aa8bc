import Foundation
import SyncStore
import Synchronization

/// Each in-scope user's contact projection from the last cycle, so that a cycle projects only
/// the users the directory read reported as changed (100,000 projections every cycle were most
/// of an idle cycle's CPU), and the difference from the last desired set, which lets a mailbox
/// that held that set be planned from the changed users alone.
///
/// The delta query says exactly who changed since a deltaLink, so the cache needs no
/// fingerprints: its projections stand for the deltaLink their round ended with, and are reused
/// only by a round that starts from that same link. The last set is also recorded in the state
/// (`StateStore.recordDesired`: its basis and each user's hash), and that record is what a
/// round is compared with: the cache's own projections stand in for it only while they are that
/// very set (`holds`). A new process (a one-shot `sync`, a restarted or reloaded service)
/// therefore projects every user, on every core, but still finds the changes from the recorded
/// hashes; a round from another link (a full enumeration, a link `plan` did not save) or with
/// other settings has nothing to compare with.
public final class ProjectionCache: Sendable {
    /// Which directory state a set of users stands for, from the delta round that read it.
    public struct Basis: Sendable {
        /// The deltaLink the round started from; nil for a full enumeration.
        public var from: String?
        /// The round's new deltaLink: the state the users now stand for.
        public var to: String
        /// Users the round reported (changed, created or removed).
        public var changed: Set<String>

        public init(from: String?, to: String, changed: Set<String>) {
            self.from = from
            self.to = to
            self.changed = changed
        }
    }

    /// The desired set the state database holds: its basis, and its hashes (user id → hash),
    /// which may be left out (nil) when the cache `holds` that set.
    public struct Recorded: Sendable {
        public var basis: StateStore.DesiredBasis?
        public var hashes: [String: String]?

        public init(basis: StateStore.DesiredBasis?, hashes: [String: String]?) {
            self.basis = basis
            self.hashes = hashes
        }
    }

    /// The desired contacts of a cycle, and how they differ from the recorded ones.
    public struct Desired: Sendable {
        public let projections: [String: ContactProjection]
        /// Numbers this desired set (every call makes a new one, even when the deltaLink did
        /// not move: group membership is read outside the delta).
        public let generation: Int
        /// Users whose desired contact differs from the one at `since` (changed, come into
        /// scope or gone from it); nil when the round cannot be compared with the recorded set.
        public let changes: Changes?
        /// What to record for this set (`StateStore.recordDesired`): its basis, and its
        /// difference from the recorded set, whether or not the round could be compared with it.
        public let record: StateStore.DesiredBasis
        public let upserts: [String: String]
        public let removals: [String]
    }

    public struct Changes: Sendable {
        /// The generation of the desired set these differ from.
        public let since: Int
        public let users: Set<String>
    }

    private struct State {
        /// What `projections` stand for; nil before the first set.
        var basis: StateStore.DesiredBasis?
        var fields = ""
        var projections: [String: ContactProjection] = [:]
    }

    private let state = Mutex(State())
    /// Below this many users to project, one core does it (a task group costs more).
    static let parallelThreshold = 4_000

    public init() {}

    /// Whether the cache's projections are the set `basis` describes (then its hashes need not
    /// be read from the state).
    public func holds(_ basis: StateStore.DesiredBasis?) -> Bool {
        state.withLock { s in basis != nil && s.basis == basis }
    }

    /// The projections of `users` and their difference from the recorded set. Users the round
    /// did not report keep their projection when the cache holds the recorded set and the round
    /// starts where it ended; the others are projected. `settings`: what else shapes a mailbox's
    /// contents (`include_self`); the fields' table is added to it (the excluded fields, and
    /// `[contact.fields]` when there is any, so that an install without it keeps its signature).
    /// `recorded`: the state's set; nil when there is no state to record in (then the cache's
    /// own last set stands in).
    public func projections(of users: [String: DirectoryUser], basis: Basis, fields table: ContactFieldTable = .standard, settings: String = "",
                            recorded: Recorded? = nil) async -> Desired {
        let exclude = table.fields.filter { $0.source == .none }.map(\.key)
        let signature = settings + "|exclude=" + exclude.sorted().joined(separator: ",") + (table.signature.isEmpty ? "" : "|fields=" + table.signature)
        let (mine, mineBasis, mineFields) = state.withLock { ($0.projections, $0.basis, $0.fields) }
        let record = recorded == nil ? mineBasis : recorded?.basis
        let mirror = record != nil && record == mineBasis
        precondition(mirror || recorded?.hashes != nil || record == nil, "the recorded hashes are needed unless the cache holds the recorded set")
        let previous: [String: String]? = mirror ? nil : (recorded?.hashes ?? [:])
        func recordedHash(_ id: String) -> String? { if let previous { previous[id] } else { mine[id]?.hash } }
        let comparable = record.map { basis.from != nil && $0.link == basis.from && $0.settings == signature } ?? false
        let reuse = comparable && mirror && mineFields == signature

        var out: [String: ContactProjection] = [:]
        out.reserveCapacity(users.count)
        var todo: [DirectoryUser] = []
        for (id, user) in users {
            if reuse, !basis.changed.contains(id), let hit = mine[id] { out[id] = hit } else { todo.append(user) }
        }
        var changed: Set<String> = [], upserts: [String: String] = [:], removals: [String] = []
        for p in await Self.project(todo, table) {
            out[p.userId] = p
            if recordedHash(p.userId) != p.hash {  // changed, or come into scope
                changed.insert(p.userId)
                upserts[p.userId] = p.hash
            }
        }
        func gone(_ id: String) {  // gone from scope
            guard out[id] == nil else { return }
            changed.insert(id)
            removals.append(id)
        }
        if let previous { previous.keys.forEach(gone) } else { mine.keys.forEach(gone) }
        let generation = max(mineBasis?.generation ?? 0, record?.generation ?? 0) + 1
        let next = StateStore.DesiredBasis(link: basis.to, settings: signature, generation: generation)
        let result = out
        state.withLock { $0 = State(basis: next, fields: signature, projections: result) }
        let changes = comparable ? record.map { Changes(since: $0.generation, users: changed) } : nil
        return Desired(projections: result, generation: generation, changes: changes, record: next, upserts: upserts, removals: removals)
    }

    /// Projects `users`, split over the machine's cores when there are many.
    static func project(_ users: [DirectoryUser], _ table: ContactFieldTable,
                        cores: Int = ProcessInfo.processInfo.activeProcessorCount) async -> [ContactProjection] {
        guard users.count >= parallelThreshold, cores > 1 else { return run(users[...], table) }
        let size = (users.count + cores - 1) / cores
        return await withTaskGroup(of: [ContactProjection].self) { group in
            for start in stride(from: 0, to: users.count, by: size) {
                let slice = users[start..<min(start + size, users.count)]
                group.addTask { run(slice, table) }
            }
            var all: [ContactProjection] = []
            all.reserveCapacity(users.count)
            for await part in group { all += part }
            return all
        }
    }

    /// Projects a run of users with one scratch buffer for their hashes.
    static func run(_ users: ArraySlice<DirectoryUser>, _ table: ContactFieldTable) -> [ContactProjection] {
        var scratch: [UInt8] = []
        return users.map { ContactProjection(user: $0, table: table, scratch: &scratch) }
    }

    /// How many users it holds (for tests).
    var count: Int { state.withLock { $0.projections.count } }
}
