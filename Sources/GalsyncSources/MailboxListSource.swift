import Foundation
import GalsyncConfig
import GalsyncJSON
import GalsyncPlan
import GraphClient
import GraphHTTP
import SyncStore

/// A mailbox-sourced list's sources: the contacts of one folder of one mailbox, read through
/// that folder's contacts delta (`…/contactFolders/{id}/contacts/delta`, or
/// `/users/{id}/contacts/delta` for the Contacts folder itself) and kept in the list's own state
/// like the directory's users (snapshot, deltaLink). An idle cycle costs one request.
public struct MailboxListSource {
    public let graph: GraphAPI
    public let retry: RetryPolicy
    public let list: ContactList
    /// The list's own state: the source contacts in its `directory_user` table, the link in `meta`.
    public let store: StateStore

    public init(graph: GraphAPI, retry: RetryPolicy, list: ContactList, store: StateStore) {
        self.graph = graph
        self.retry = retry
        self.list = list
        self.store = store
    }

    /// Contacts per page (`Prefer: odata.maxpagesize`), as the drift check asks.
    public static let pageSize = 250

    /// The source mailbox's owner id, found in the directory by id or UPN.
    public static func owner(_ mailbox: String, of list: ContactList, in users: [String: DirectoryUser]) throws -> String {
        if users[mailbox.lowercased()] != nil { return mailbox.lowercased() }
        if let id = SyncScope.ids(ofPrincipalNames: [mailbox], in: users)[mailbox.lowercased()] { return id }
        throw SyncError.badConfiguration("list '\(list.name)': source_mailbox '\(mailbox)' is not in the directory; give the UPN or object id of the mailbox whose folder the list copies")
    }

    /// One round over the source folder, and what the list's state keeps of where it read it.
    public struct Reading: Sendable {
        public var round: DirectoryReader.Round
        /// The source mailbox's owner id.
        public var owner: String
        /// "owner/folder name": another one starts a full read.
        public var key: String
        public var folderId: String
    }

    /// A round's pages over a source folder's contacts, user-shaped, ids as Graph gives them.
    public static func pages(_ list: String, snapshot: [String: DirectoryUser], full: Bool) -> ContactDeltaPages {
        ContactDeltaPages(full: full, snapshot: snapshot, what: "list '\(list)' source folder delta", lowercaseIds: false, extra: FolderContactShape.extra,
                          shape: FolderContactShape.userProperties)
    }

    /// What the directory read may take along: the saved link (when this folder's delta can go
    /// on from it) and the copies it goes on from; nil when the list's own read must start.
    public func savedStart() throws -> DirectoryReader.SourceStart? {
        guard case .mailbox(_, let folderName) = list.source, let key = try store.meta("source_key"), key.hasSuffix("/\(folderName.lowercased())"),
              try store.meta("delta_select") == FolderContactShape.select, let link = try store.meta("delta_link") else { return nil }
        return DirectoryReader.SourceStart(link: link, snapshot: try store.directorySnapshot())
    }

    /// One round over the source folder (saved by the caller, not by `plan`). `users`: the
    /// directory after this cycle's round. `preRead`: this round, already read with the
    /// directory from the saved link (used when the saved link is still this source's).
    public func read(users: [String: DirectoryUser], preRead: ContactDeltaPages? = nil) async throws -> Reading {
        guard case .mailbox(let mailbox, let folderName) = list.source else { throw SyncError.badConfiguration("list '\(list.name)' is not copied from a mailbox") }
        let owner = try Self.owner(mailbox, of: list, in: users)
        // The folder's id and the link belong to one (mailbox, folder): another one starts over.
        let key = "\(owner)/\(folderName.lowercased())"
        let sameSource = try store.meta("source_key") == key
        let sync = MailboxSync(graph: graph, store: store, retry: retry, folderName: folderName, owner: owner)
        var folderId = sameSource ? try store.meta("source_folder_id") : nil
        var lookedUp = folderId == nil  // the folder's id is found by name this cycle
        if folderId == nil {
            folderId = try await sync.findFolder(known: nil)
            guard folderId != nil else {
                throw SyncError.badConfiguration("list '\(list.name)': \(mailbox) has no folder '\(folderName)' directly under its Contacts; check source_folder (\"\" is the Contacts folder itself)")
            }
        }
        func fresh(_ folderId: String?) -> String {
            (folderName.isEmpty ? "/users/\(GraphPath.segment(owner))/contacts/delta" : "\(sync.contactsPath(folderId))/delta") + "?$select=\(FolderContactShape.select)"
        }
        let savedSelect = try store.meta("delta_select")
        var start = sameSource && savedSelect == FolderContactShape.select ? try store.meta("delta_link") : nil
        if let link = start, !graph.isGraphLink(link) { start = nil }
        let snapshot = try store.directorySnapshot()
        var pages = Self.pages(list.name, snapshot: snapshot, full: start == nil)
        var url = start ?? fresh(folderId)
        if let preRead, start != nil, preRead.deltaLink != nil {
            pages = preRead  // read with the directory: nothing more to ask
            url = ""
        }
        while !url.isEmpty {
            try Task.checkCancellation()
            let body: JSONValue
            do {
                let response = try await retry.run { try await graph.request("GET", url, headers: [("Prefer", "odata.maxpagesize=\(Self.pageSize)")]) }
                guard let json = response.json else { throw SyncError.badData("list '\(list.name)': a source folder delta page was not JSON") }
                body = json
            } catch let error as GraphError where !pages.full && (error.status == 410 || error.status == 400) {
                pages.restart()  // the link expired: read the folder again in full
                url = fresh(folderId)
                continue
            } catch let error as GraphError where error.status == 404 {
                // The saved id is gone: a folder of that name made again is the source now,
                // read in full (under the shrink valve). None: never "every copy goes".
                if !lookedUp, !folderName.isEmpty, let again = try await sync.findFolder(known: nil) {
                    lookedUp = true
                    folderId = again
                    pages.restart()
                    url = fresh(again)
                    continue
                }
                throw SyncError.badConfiguration("list '\(list.name)': the source folder '\(folderName)' of \(mailbox) is gone (\(error.code)); nothing was deleted; make the folder again or change source_folder")
            }
            url = try pages.consume(body, graph: graph) ?? ""
        }
        guard let link = pages.deltaLink else { throw SyncError.badData("list '\(list.name)': the source folder delta ended without a deltaLink") }
        let contacts = pages.contacts()
        let dropped = snapshot.keys.reduce(0) { $0 + (contacts[$1] == nil ? 1 : 0) }
        let round = DirectoryReader.Round(users: contacts, changed: pages.changed, removed: pages.full ? Set(snapshot.keys).subtracting(contacts.keys) : pages.removed,
                                     known: snapshot.count, dropped: dropped, deltaLink: link, select: FolderContactShape.select, full: pages.full,
                                     from: pages.full ? nil : start, groupMembers: [:])
        return Reading(round: round, owner: owner, key: key, folderId: folderId ?? "")
    }
}
