import Synchronization

/// Each in-scope user's contact projection from the last cycle, kept by the running service so
/// that a cycle projects only the users whose directory record changed (a projection costs
/// ~15 µs; 100,000 of them every cycle was most of an idle cycle's CPU).
///
/// A user's record is recognised by a 64-bit fingerprint of its properties (Swift's `Hasher`,
/// seeded per process, so fingerprints never outlive it). It lives in the `GalsyncRuntime`,
/// which a reload replaces, so a changed `[contact]` setting starts an empty cache; the
/// excluded fields are checked too. A one-shot `sync` starts empty: the first cycle is cold.
public final class ProjectionCache: Sendable {
    struct Entry {
        var fingerprint: Int
        var projection: ContactProjection
    }

    private struct State {
        var exclude: Set<String> = []
        var entries: [String: Entry] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// The projections of `users`: reused where a user's record is unchanged, made otherwise.
    /// Users not given are forgotten.
    public func projections(of users: [String: DirectoryUser], excluding exclude: Set<String>) -> [String: ContactProjection] {
        let previous = state.withLock { $0.exclude == exclude ? $0.entries : [:] }
        var entries: [String: Entry] = [:]
        entries.reserveCapacity(users.count)
        var out: [String: ContactProjection] = [:]
        out.reserveCapacity(users.count)
        for (id, user) in users {
            let fingerprint = user.properties.hashValue
            let projection: ContactProjection
            if let hit = previous[id], hit.fingerprint == fingerprint {
                projection = hit.projection
            } else {
                projection = ContactProjection(user: user, excludeFields: exclude)
            }
            entries[id] = Entry(fingerprint: fingerprint, projection: projection)
            out[id] = projection
        }
        state.withLock { $0 = State(exclude: exclude, entries: entries) }
        return out
    }

    /// How many users it holds (for tests).
    var count: Int { state.withLock { $0.entries.count } }
}
