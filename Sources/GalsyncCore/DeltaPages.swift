import Foundation
import GalsyncJSON
import GalsyncPlan
import GraphClient

/// One round of `/users/delta` pages folded over the snapshot: users changed (merged over what
/// the snapshot had, since a later round leaves out unchanged properties), users removed, and
/// the round's deltaLink. A full round (no saved link) replaces the snapshot instead.
struct DeltaPages {
    let full: Bool
    let snapshot: [String: String]
    private(set) var changed: [String: String] = [:]
    private(set) var removed: Set<String> = []
    private(set) var deltaLink: String?

    init(full: Bool, snapshot: [String: String]) {
        self.full = full
        self.snapshot = snapshot
    }

    /// The properties a snapshot row may hold.
    static let kept = Set(DirectoryUser.selectedProperties + ["id"])

    static func firstURL(select: String) -> String { "/users/delta?$select=\(select)" }

    /// Takes one page; returns the nextLink to follow, or nil once the deltaLink has come.
    mutating func consume(_ body: JSONValue, graph: GraphAPI) throws -> String? {
        guard let value = body["value"]?.arrayValue else { throw SyncError.badData("a /users/delta page was not the expected JSON") }
        for entry in value {
            guard let id = entry["id"]?.stringValue, !id.isEmpty else { continue }
            if entry["@removed"] != nil {
                removed.insert(id)
                changed[id] = nil
                continue
            }
            removed.remove(id)
            var merged: [String: JSONValue] = [:]
            if let known = changed[id] ?? (full ? nil : snapshot[id]) {
                merged = JSONValue.parse(Data(known.utf8))?.objectValue ?? [:]
            }
            // Only the selected properties are kept: whatever else a page carries (an answer
            // padded with megabytes, properties nobody asked for) never reaches the snapshot.
            for (k, v) in entry.objectValue ?? [:] where Self.kept.contains(k) { merged[k] = v }
            changed[id] = String(decoding: JSONValue.object(merged).encoded(), as: UTF8.self)
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

    /// The directory after this round: the snapshot (unless full) with the changes applied.
    func users() -> [String: DirectoryUser] {
        var all: [String: String] = full ? [:] : snapshot
        for (id, json) in changed { all[id] = json }
        for id in removed { all[id] = nil }
        var users: [String: DirectoryUser] = [:]
        users.reserveCapacity(all.count)
        for (id, text) in all {
            if let properties = JSONValue.parse(Data(text.utf8))?.objectValue { users[id] = DirectoryUser(id: id, properties: properties) }
        }
        return users
    }
}
