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

    private struct State {
        var exclude: Set<String> = []
        var link: String?
        var projections: [String: ContactProjection] = [:]
    }

    private let state = Mutex(State())
    /// Below this many users to project, one core does it (a task group costs more).
    static let parallelThreshold = 4_000

    public init() {}

    /// The projections of `users`: reused for users the round did not report, when the cache
    /// stands for the state the round started from; made otherwise. Users not given are forgotten.
    public func projections(of users: [String: DirectoryUser], basis: Basis, excluding exclude: Set<String>) async -> [String: ContactProjection] {
        let previous = state.withLock { s -> [String: ContactProjection] in
            guard s.exclude == exclude, let from = basis.from, s.link == from else { return [:] }
            return s.projections
        }
        var out: [String: ContactProjection] = [:]
        out.reserveCapacity(users.count)
        var todo: [DirectoryUser] = []
        for (id, user) in users {
            if !basis.changed.contains(id), let hit = previous[id] { out[id] = hit } else { todo.append(user) }
        }
        for p in await Self.project(todo, excluding: exclude) { out[p.userId] = p }
        let result = out
        state.withLock { $0 = State(exclude: exclude, link: basis.to, projections: result) }
        return result
    }

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
