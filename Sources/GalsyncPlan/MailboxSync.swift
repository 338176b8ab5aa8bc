import Foundation
import GalsyncJSON
import GalsyncText
import GraphClient
import SyncStore

/// One mailbox's part of a cycle: find (or make) the folder, learn what is there — from the
/// snapshot, or by listing galsync's tagged contacts when the state is uncertain — plan the
/// difference, and carry it out one request at a time, committing each result to the state
/// only after Graph confirmed it.
package struct MailboxSync {
    let graph: GraphAPI
    let store: StateStore
    let retry: RetryPolicy
    let folderName: String
    package let owner: String
    /// The fields a listing reads and compares.
    let fields: ContactFieldTable

    /// The state's records of the compared fields, shared by a cycle's mailboxes.
    let recorded: RecordedFields

    package init(graph: GraphAPI, store: StateStore, retry: RetryPolicy, folderName: String, owner: String, fields: ContactFieldTable = .standard,
                 recorded: RecordedFields = RecordedFields()) {
        self.graph = graph
        self.fields = fields
        self.recorded = recorded
        self.store = store
        self.retry = retry
        self.folderName = folderName
        self.owner = owner
    }

    /// Where contacts are created and listed: the named folder, or the default Contacts folder.
    package func contactsPath(_ folderId: String?) -> String {
        let m = GraphPath.segment(owner)
        guard let folderId, !folderName.isEmpty else { return "/users/\(m)/contacts" }
        return "/users/\(m)/contactFolders/\(GraphPath.segment(folderId))/contacts"
    }

    // MARK: Reading

    /// The folder id if it exists (never creates); "" stands for the default folder.
    package func findFolder(known: String?) async throws -> String? {
        if folderName.isEmpty { return "" }
        if let known, !known.isEmpty { return known }
        let filter = "displayName eq \(GraphPath.odataString(folderName))"
        let path = "/users/\(GraphPath.segment(owner))/contactFolders?$filter=\(GraphPath.queryValue(filter))"
        let response = try await retry.run { try await graph.request("GET", path) }
        guard let folders = response.json?["value"]?.arrayValue else {
            throw SyncError.badData("the contact folders of \(owner) were not a Graph collection (HTTP \(response.status), \(response.body.count) bytes)")
        }
        return folders.first { $0["displayName"]?.stringValue?.lowercased() == folderName.lowercased() }?["id"]?.stringValue
    }

    package struct Listing {
        package var actual: [String: MailboxPlan.Actual]
        package var duplicates: [(contactId: String, userId: String)]
    }

    /// Lists the folder's contacts that carry galsync's tag (others are not galsync's and are left alone).
    package func list(folderId: String, known: [String: StateStore.ManagedContact]) async throws -> Listing {
        let expand = "singleValueExtendedProperties($filter=id eq '\(ContactProjection.tagPropertyId)')"
        let select = (fields.selectedKeys + ["id"]).joined(separator: ",")
        var url = "\(contactsPath(folderId))?$top=1000&$select=\(select)&$expand=\(GraphPath.queryValue(expand))"
        var byUser: [String: [(id: String, projection: ContactProjection)]] = [:]
        var pages = 0
        while true {
            pages += 1
            guard pages < 10_000 else { throw SyncError.badData("the contact listing of \(owner) does not end") }
            let current = url
            let response = try await retry.run { try await graph.request("GET", current) }
            // A 200 that is not a Graph collection (an HTML page from a proxy, a captive portal)
            // must not read as an empty folder: every contact would be made again.
            guard let json = response.json, let value = json["value"]?.arrayValue else {
                throw SyncError.badData("the contact listing of \(owner) was not a Graph collection (HTTP \(response.status), \(response.body.count) bytes, Content-Type \(SafeText.line(response.headers["content-type"] ?? "none")))")
            }
            for c in value {
                guard let id = c["id"]?.stringValue,
                      let tag = c["singleValueExtendedProperties"]?.arrayValue?.first(where: { ($0["id"]?.stringValue ?? "").hasSuffix("Name galsyncSourceUserId") }),
                      let value = tag["value"]?.stringValue else { continue }
                // Directory ids are GUIDs, compared lowercased; a mailbox list's source contact
                // ids are Outlook ids, which are case-sensitive.
                let userId = UUID(uuidString: value) != nil ? value.lowercased() : value
                byUser[userId, default: []].append((id, ContactProjection.fromListed(userId: userId, contact: c, table: fields, recorded: try recordedValues(userId, known))))
            }
            guard let next = json["@odata.nextLink"]?.stringValue else { break }
            url = next
        }
        var actual: [String: MailboxPlan.Actual] = [:]
        var duplicates: [(String, String)] = []
        for (userId, copies) in byUser {
            // Keep the copy the state knows, else the first; the rest are duplicates.
            let keep = copies.first { $0.id == known[userId]?.contactId } ?? copies[0]
            actual[userId] = .init(contactId: keep.id, hash: keep.projection.hash, projection: keep.projection)
            for c in copies where c.id != keep.id { duplicates.append((c.id, userId)) }
        }
        return Listing(actual: actual, duplicates: duplicates)
    }

    /// What the state records for `userId`'s contact, when the fields' table compares some
    /// field with it (`keep_edits`, categories).
    func recordedValues(_ userId: String, _ known: [String: StateStore.ManagedContact]) throws -> [String: JSONValue]? {
        guard fields.comparesWithRecord, let hash = known[userId]?.hash else { return nil }
        return try recorded.values(hash: hash, table: fields, store: store)
    }

    /// What the state says is in the mailbox.
    /// (The previous fields of an update are looked up only when it is sent.)
    package func fromState(_ known: [String: StateStore.ManagedContact]) throws -> [String: MailboxPlan.Actual] {
        known.mapValues { .init(contactId: $0.contactId, hash: $0.hash) }
    }

    // MARK: Writing

    package struct Outcome {
        package var created = 0, updated = 0, deleted = 0
        package init() {}
    }

    /// Makes the named folder when it does not exist (recording the intent first).
    package func ensureFolder(_ folderId: String?) async throws -> String {
        if let folderId { return folderId }
        let intent = try store.recordIntent(owner: owner, userId: nil, op: "folder")
        let path = "/users/\(GraphPath.segment(owner))/contactFolders"
        do {
            let r = try await retry.run { try await graph.request("POST", path, body: ["displayName": .string(folderName)]) }
            guard let id = r.json?["id"]?.stringValue else { throw SyncError.badData("a created folder came back without an id") }
            try store.setMailbox(owner, folderId: .some(id), state: "ok")
            try store.clearIntent(intent)
            return id
        } catch let error as GraphError where error.status == 409 {
            // Made by an earlier, interrupted run: adopt it.
            guard let id = try await findFolder(known: nil) else { throw error }
            try store.setMailbox(owner, folderId: .some(id), state: "ok")
            try store.clearIntent(intent)
            return id
        }
    }
}
