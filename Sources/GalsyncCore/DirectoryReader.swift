import Foundation
import GalsyncJSON
import GraphClient
import SyncStore

/// Reads the directory with `/users/delta`: the first time every user, later only changes,
/// following nextLinks to the deltaLink. An expired deltaLink (400 `syncStateNotFound` or
/// `resyncRequired`, 410 Gone) starts a full enumeration that replaces the snapshot.
struct DirectoryReader {
    let graph: GraphAPI
    let retry: RetryPolicy

    struct Round: Sendable {
        var users: [String: DirectoryUser]
        var changed: [String: String]
        var removed: Set<String>
        var deltaLink: String
        var select: String
        var full: Bool
    }

    static let select = DirectoryUser.selectedProperties.joined(separator: ",")

    /// Applies one round to `snapshot` (id → JSON text) and returns the new directory.
    func read(snapshot: [String: String], deltaLink: String?, savedSelect: String?) async throws -> Round {
        var start = deltaLink
        if savedSelect != Self.select { start = nil }  // the attributes changed: enumerate again
        // A saved link from another endpoint (graph_endpoint or the cloud changed) is not followed
        // (the token would go there): the directory is enumerated again from the configured one.
        if let link = start, !graph.isGraphLink(link) { start = nil }
        do {
            return try await round(from: start, snapshot: snapshot)
        } catch let error as GraphError where start != nil && (error.status == 410 || error.status == 400) {
            // Expired (410, or 400 syncStateNotFound/resyncRequired/syncStateInvalid) or a saved
            // token Graph no longer understands (400): enumerate again rather than fail forever.
            // A 400 that is not about the token fails the fresh round too, with its own message.
            return try await round(from: nil, snapshot: snapshot)
        }
    }

    func round(from link: String?, snapshot: [String: String]) async throws -> Round {
        var url = link ?? "/users/delta?$select=\(Self.select)"
        var changed: [String: String] = [:]
        var removed: Set<String> = []
        var pages = 0
        var seenLinks: Set<String> = []
        while true {
            pages += 1
            guard pages < 100_000, seenLinks.insert(url).inserted else { throw SyncError.badData("the directory's nextLinks loop; giving up on this round") }
            let current = url
            let response = try await retry.run { try await graph.request("GET", current) }
            guard let body = response.json, let value = body["value"]?.arrayValue else {
                throw SyncError.badData("a /users/delta page was not the expected JSON")
            }
            for entry in value {
                guard let id = entry["id"]?.stringValue, !id.isEmpty else { continue }
                if entry["@removed"] != nil {
                    removed.insert(id)
                    changed[id] = nil
                    continue
                }
                removed.remove(id)
                // Properties left out of a later round are unchanged: merge over what we had.
                var merged = (changed[id] ?? snapshot[id]).flatMap { JSONValue.parse(Data($0.utf8))?.objectValue } ?? [:]
                if link == nil && changed[id] == nil { merged = [:] }
                for (k, v) in entry.objectValue ?? [:] where !k.hasPrefix("@") { merged[k] = v }
                changed[id] = String(decoding: JSONValue.object(merged).encoded(), as: UTF8.self)
            }
            if let next = body["@odata.nextLink"]?.stringValue {
                guard graph.isGraphLink(next) else { throw SyncError.badData("a nextLink points away from the Graph host (\(URL(string: next)?.host ?? "?")); not followed, the token stays home") }
                url = next
                continue
            }
            guard let delta = body["@odata.deltaLink"]?.stringValue else { throw SyncError.badData("a /users/delta round ended without a deltaLink") }
            guard graph.isGraphLink(delta) else { throw SyncError.badData("the deltaLink points away from the Graph host (\(URL(string: delta)?.host ?? "?")); not saved") }
            var all: [String: String] = link == nil ? [:] : snapshot
            for (id, json) in changed { all[id] = json }
            for id in removed { all[id] = nil }
            let users = all.compactMapValues { text -> [String: JSONValue]? in JSONValue.parse(Data(text.utf8))?.objectValue }
                .map { DirectoryUser(id: $0.key, properties: $0.value) }
            return Round(users: Dictionary(uniqueKeysWithValues: users.map { ($0.id, $0) }), changed: changed, removed: removed,
                         deltaLink: delta, select: Self.select, full: link == nil)
        }
    }
}

/// Reads transitive group members (users only), paged.
struct GroupReader {
    let graph: GraphAPI
    let retry: RetryPolicy

    func members(of group: String) async throws -> Set<String> {
        var url = "/groups/\(GraphPath.segment(group))/transitiveMembers?$select=id&$top=999"
        var ids: Set<String> = []
        var seen: Set<String> = []
        while true {
            guard seen.insert(url).inserted else { throw SyncError.badData("group \(group)'s member pages loop") }
            let current = url
            let response: GraphResponse
            do {
                response = try await retry.run { try await graph.request("GET", current) }
            } catch let error as GraphError where error.status == 404 {
                throw SyncError.groupNotFound(group)
            }
            for m in response.json?["value"]?.arrayValue ?? [] {
                if let id = m["id"]?.stringValue, m["@odata.type"]?.stringValue.map({ $0 == "#microsoft.graph.user" }) ?? true { ids.insert(id) }
            }
            guard let next = response.json?["@odata.nextLink"]?.stringValue else { return ids }
            url = next
        }
    }
}

/// A cycle-level failure that stops the cycle before it writes anything.
public enum SyncError: Error, Sendable, CustomStringConvertible {
    case badData(String)
    case groupNotFound(String)
    case massDelete(planned: Int, managed: Int, limit: Double)
    case folderChanged(from: String, to: String)

    public var description: String {
        switch self {
        case .badData(let s): "Graph sent data galsync cannot use: \(s)"
        case .groupNotFound(let g): "group \(g) does not exist: check [directory] and [mailboxes] group ids (a mistyped id would otherwise change who is synced)"
        case .massDelete(let p, let m, let l):
            "refusing to delete \(p) of \(m) managed contacts (more than max_deletes_percent = \(Int(l))%): check the configuration (a mistyped group id?) and run 'galsync plan'; if it is intended, run 'galsync sync --allow-mass-delete' once"
        case .folderChanged(let from, let to):
            "sync.folder changed from '\(from)' to '\(to)': galsync would leave its contacts behind in the old folder. Put the old name back and run 'galsync purge --all --yes', then set the new name"
        }
    }
}
