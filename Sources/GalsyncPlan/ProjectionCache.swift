import Foundation
import Synchronization

/// Each in-scope user's contact projection from the last cycle, kept by the running service so
/// that a cycle projects only the users the directory read reported as changed (100,000
/// projections every cycle were most of an idle cycle's CPU).
///
/// The delta query says exactly who changed since a deltaLink, so the cache needs no
/// fingerprints: it remembers the deltaLink its projections stand for, and reuses them only for
/// a round that started from that same link (a plan-only cycle, which saves no link, or an
/// expired link therefore starts afresh). It lives in the `GalsyncRuntime`, which a reload
/// replaces, so a changed `[contact]` setting starts empty; the excluded fields are checked
/// too. A one-shot `sync` starts empty: its cycle projects every user, on every core.
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

    /// The desired contacts of a cycle, and how they differ from the last cycle's.
    public struct Desired: Sendable {
        public let projections: [String: ContactProjection]
        /// Numbers this desired set (every call makes a new one, even when the deltaLink did
        /// not move: group membership is read outside the delta).
        public let generation: Int
        /// Users whose desired contact differs from the one at `since` (changed, come into
        /// scope or gone from it); nil when the cache did not stand for the round's start.
        public let changes: Changes?
    }

    public struct Changes: Sendable {
        /// The generation of the desired set these differ from.
        public let since: Int
        public let users: Set<String>
    }

    private struct State {
        var exclude: Set<String> = []
        var link: String?
        var projections: [String: ContactProjection] = [:]
        var generation = 0
        /// Mailbox owner → the generation of the desired contacts it held, all of them, when
        /// its last write ended: what lets the next cycle plan it from the changes alone.
        var applied: [String: Int] = [:]
    }

    private let state = Mutex(State())
    /// Below this many users to project, one core does it (a task group costs more).
    static let parallelThreshold = 4_000

    public init() {}

    /// The projections of `users`: reused for users the round did not report, when the cache
    /// stands for the state the round started from; made otherwise. Users not given are forgotten.
    public func projections(of users: [String: DirectoryUser], basis: Basis, excluding exclude: Set<String>) async -> Desired {
        let (previous, previousGeneration) = state.withLock { s -> ([String: ContactProjection]?, Int) in
            guard s.exclude == exclude, let from = basis.from, s.link == from else { return (nil, s.generation) }
            return (s.projections, s.generation)
        }
        var out: [String: ContactProjection] = [:]
        out.reserveCapacity(users.count)
        var todo: [DirectoryUser] = []
        for (id, user) in users {
            if !basis.changed.contains(id), let hit = previous?[id] { out[id] = hit } else { todo.append(user) }
        }
        var changed: Set<String> = []
        for p in await Self.project(todo, excluding: exclude) {
            out[p.userId] = p
            if previous?[p.userId]?.hash != p.hash { changed.insert(p.userId) }  // changed, or come into scope
        }
        if let previous { for id in previous.keys where out[id] == nil { changed.insert(id) } }  // gone from scope
        let result = out
        let generation = state.withLock {
            $0.exclude = exclude
            $0.link = basis.to
            $0.projections = result
            $0.generation += 1
            return $0.generation
        }
        return Desired(projections: result, generation: generation,
                       changes: previous == nil ? nil : Changes(since: previousGeneration, users: changed))
    }

    /// Records that `owner`'s mailbox now holds exactly the desired contacts of `generation`.
    package func markApplied(_ owner: String, generation: Int) { state.withLock { $0.applied[owner] = generation } }

    /// Forgets what `owner`'s mailbox holds: its next plan is a full one.
    package func forgetApplied(_ owner: String) { state.withLock { $0.applied[owner] = nil } }

    /// The generation of desired contacts `owner`'s mailbox holds, when known.
    package func applied(_ owner: String) -> Int? { state.withLock { $0.applied[owner] } }

    /// Projects `users`, split over the machine's cores when there are many.
    static func project(_ users: [DirectoryUser], excluding exclude: Set<String>,
                        cores: Int = ProcessInfo.processInfo.activeProcessorCount) async -> [ContactProjection] {
        guard users.count >= parallelThreshold, cores > 1 else { return run(users[...], exclude) }
        let size = (users.count + cores - 1) / cores
        return await withTaskGroup(of: [ContactProjection].self) { group in
            for start in stride(from: 0, to: users.count, by: size) {
                let slice = users[start..<min(start + size, users.count)]
                group.addTask { run(slice, exclude) }
            }
            var all: [ContactProjection] = []
            all.reserveCapacity(users.count)
            for await part in group { all += part }
            return all
        }
    }

    /// Projects a run of users with one scratch buffer for their hashes.
    static func run(_ users: ArraySlice<DirectoryUser>, _ exclude: Set<String>) -> [ContactProjection] {
        var scratch: [UInt8] = []
        return users.map { ContactProjection(user: $0, excludeFields: exclude, scratch: &scratch) }
    }

    /// How many users it holds (for tests).
    var count: Int { state.withLock { $0.projections.count } }
}
