import Foundation
import GalsyncJSON
import GalsyncPlan
import GraphClient

/// One round of `/users/delta` pages folded over the snapshot: users changed (merged over what
/// the snapshot had, since a later round leaves out unchanged properties), users removed, and
/// the round's deltaLink. A full round (no saved link) replaces the snapshot instead. Users are
/// held packed (`DirectoryUser`), the snapshot once: a round that is not full changes it in
/// place, a full one keeps only its ids (to count who it dropped).
public struct DeltaPages {
    private(set) var full: Bool
    /// The users before this round; emptied by a full round (which replaces them) and by `users()`.
    private var snapshot: [String: DirectoryUser]
    /// A full round's snapshot: its ids only.
    private var snapshotIds: Set<String> = []
    /// How many users the snapshot held.
    public let known: Int
    private(set) var changed: [String: DirectoryUser] = [:]
    private(set) var removed: Set<String> = []
    private(set) var deltaLink: String?
    /// Properties beyond `DirectoryUser.selectedProperties` that are kept (a where rule reads them).
    public let extra: Set<String>

    public init(full: Bool, snapshot: consuming [String: DirectoryUser], extra: Set<String> = []) {
        self.full = false
        self.extra = extra
        known = snapshot.count
        self.snapshot = consume snapshot
        if full { restart() }
    }

    /// Starts again as a full round (the saved deltaLink expired): what was read is dropped.
    public mutating func restart() {
        full = true
        if snapshotIds.isEmpty { snapshotIds = Set(snapshot.keys) }
        snapshot = [:]
        changed = [:]
        removed = []
        deltaLink = nil
    }

    public static func firstURL(select: String) -> String { "/users/delta?$select=\(select)" }

    /// Takes one page; returns the nextLink to follow, or nil once the deltaLink has come.
    public mutating func consume(_ body: JSONValue, graph: GraphAPI) throws -> String? {
        guard let value = body["value"]?.arrayValue else { throw SyncError.badData("a /users/delta page was not the expected JSON") }
        for entry in value {
            guard let id = entry["id"]?.stringValue, !id.isEmpty else { continue }
            if entry["@removed"] != nil {
                removed.insert(id)
                changed[id] = nil
                continue
            }
            removed.remove(id)
            // Only the selected properties are kept: whatever else a page carries (an answer
            // padded with megabytes, properties nobody asked for) never reaches the snapshot.
            let properties = entry.objectValue ?? [:]
            if let known = changed[id] ?? (full ? nil : snapshot[id]) {
                changed[id] = known.merging(properties, extra: extra)
            } else {
                changed[id] = DirectoryUser(id: id, properties: properties, extra: extra)
            }
        }
        if let next = body["@odata.nextLink"]?.stringValue {
            guard graph.isGraphLink(next) else { throw SyncError.badData("a nextLink points away from the Graph host (\(URL(string: next)?.host ?? "?")); not followed, the token stays home") }
            return next
        }
        guard let delta = body["@odata.deltaLink"]?.stringValue else { throw SyncError.badData("a /users/delta round ended without a deltaLink") }
        guard graph.isGraphLink(delta) else { throw SyncError.badData("the deltaLink points away from the Graph host (\(URL(string: delta)?.host ?? "?")); not saved") }
        deltaLink = delta
        return nil
    }

    /// The directory after this round (the snapshot, unless full, with the changes applied),
    /// and how many of the snapshot's users it no longer holds. Takes the snapshot: once only.
    public mutating func users() -> (users: [String: DirectoryUser], dropped: Int) {
        if full { return (changed, snapshotIds.reduce(0) { $0 + (changed[$1] == nil ? 1 : 0) }) }
        var all: [String: DirectoryUser] = [:]
        swap(&all, &snapshot)  // so that `all` is the only reference, and changes in place
        for (id, user) in changed { all[id] = user }
        var dropped = 0
        for id in removed where all.removeValue(forKey: id) != nil { dropped += 1 }
        return (all, dropped)
    }
}
