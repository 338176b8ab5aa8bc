import Foundation
import GalsyncJSON
import GalsyncPlan
import GraphClient
import SyncStore

/// Reads the directory: `/users/delta` (the first time every user, later only changes) and the
/// transitive members of each scoping group, side by side (`PagedReads`), so an idle cycle
/// costs one request. An expired deltaLink (400 `syncStateNotFound` or `resyncRequired`, 410
/// Gone) starts a full enumeration that replaces the snapshot.
public struct DirectoryReader: Sendable {
    public let graph: GraphAPI
    public let retry: RetryPolicy
    /// User properties read beyond `DirectoryUser.selectedProperties` (`SyncScope.extraProperties`).
    public var extra: Set<String> = []
    /// Read the users hidden from the address list too (`[directory] honor_hidden`).
    public var hidden = false

    public init(graph: GraphAPI, retry: RetryPolicy, extra: Set<String> = [], hidden: Bool = false) {
        self.graph = graph
        self.retry = retry
        self.extra = extra
        self.hidden = hidden
    }

    public struct Round: Sendable {
        public var users: [String: DirectoryUser]
        /// The users the round reported, as they now are (their JSON text is made only when
        /// they are saved: `DirectoryUser.json`).
        public var changed: [String: DirectoryUser]
        public var removed: Set<String>
        /// How many users the snapshot held, and how many of them the round no longer has.
        public var known: Int
        public var dropped: Int
        public var deltaLink: String
        public var select: String
        public var full: Bool
        /// The saved deltaLink the round started from; nil when it enumerated every user.
        public var from: String?
        /// Group id → the ids of its transitive member users.
        public var groupMembers: [String: Set<String>]
        /// The users hidden from the address list (Entra's flag); nil when not asked, or when
        /// Graph refused the query (then `hiddenProblem` says why and the last set stands).
        public var hidden: Set<String>? = nil
        public var hiddenProblem: String? = nil
        /// The tenant's mail contacts after their own delta round, when asked for.
        public var org: OrgRound? = nil
        /// Mailbox lists' source folders read from their saved links in this round's batches, by
        /// list name (`MailboxListSource` uses them; one that failed is missing: read alone).
        public var sourcePages: [String: ContactDeltaPages] = [:]
    }

    /// A mailbox list's source folder to read from its saved deltaLink with the directory.
    public struct SourceStart {
        public var link: String
        public var snapshot: [String: DirectoryUser]
    }

    /// One `/contacts/delta` round (`include_org_contacts`).
    public struct OrgRound: Sendable {
        public var contacts: [String: DirectoryUser]
        public var changed: [String: DirectoryUser]
        public var removed: Set<String>
        public var deltaLink: String
        public var full: Bool
    }

    /// The stored mail contacts and their saved link, to start a round from (nil: not asked).
    public struct OrgStart {
        public var snapshot: [String: DirectoryUser]
        public var deltaLink: String?
        public var select: String?

        public init(snapshot: [String: DirectoryUser], deltaLink: String?, select: String?) {
            self.snapshot = snapshot
            self.deltaLink = deltaLink
            self.select = select
        }
    }

    public static let select = DirectoryUser.selectedProperties.joined(separator: ",")

    /// The delta `$select`: the selected properties, then the extra ones sorted. Without extra
    /// properties it is what every earlier release saved, so no install enumerates again.
    public var select: String { ([Self.select] + extra.subtracting(DirectoryUser.selectedProperties).sorted()).joined(separator: ",") }

    /// Applies one delta round to `snapshot` (`StateStore.directorySnapshot()`, taken over:
    /// changed in place, not copied) and reads `groups`' members.
    public func read(snapshot: consuming [String: DirectoryUser], deltaLink: String?, savedSelect: String?, groups: [String] = [], org: OrgStart? = nil,
              sources: [String: SourceStart] = [:]) async throws -> Round {
        var start = deltaLink
        if savedSelect != select { start = nil }  // the attributes changed: enumerate again
        // A saved link from another endpoint (graph_endpoint or the cloud changed) is not followed
        // (the token would go there): the directory is enumerated again from the configured one.
        if let link = start, !graph.isGraphLink(link) { start = nil }
        let fresh = DeltaPages.firstURL(select: select)
        var delta = DeltaPages(full: start == nil, snapshot: consume snapshot, extra: extra)
        var members = groups.map(GroupMemberPages.init(group:))
        var hiddenPages = HiddenUserPages()
        var hiddenProblem: String?
        let hiddenRead = hidden ? 1 + members.count : nil
        var orgStartLink = org?.deltaLink
        if org?.select != OrgContactShape.select { orgStartLink = nil }
        if let link = orgStartLink, !graph.isGraphLink(link) { orgStartLink = nil }
        var orgPages = org.map { ContactDeltaPages(full: orgStartLink == nil, snapshot: $0.snapshot) }
        let orgRead = org == nil ? nil : 1 + members.count + (hidden ? 1 : 0)
        var starts = [start ?? fresh] + members.map(\.firstURL) + (hidden ? [HiddenUserPages.firstURL] : []) + (org == nil ? [] : [orgStartLink ?? OrgContactShape.firstURL])
        var headers = hiddenRead.map { [$0: HiddenUserPages.headers] } ?? [:]
        // Mailbox lists' source folders from their saved links: one more item each, not a request.
        let sourceNames = sources.keys.sorted().filter { graph.isGraphLink(sources[$0]!.link) }
        var sourcePages: [String: ContactDeltaPages] = [:]
        var sourceRead: [Int: String] = [:]
        for name in sourceNames {
            sourceRead[starts.count] = name
            headers[starts.count] = [("Prefer", "odata.maxpagesize=\(MailboxListSource.pageSize)")]
            sourcePages[name] = MailboxListSource.pages(name, snapshot: sources[name]!.snapshot, full: false)
            starts.append(sources[name]!.link)
        }
        try await PagedReads(graph: graph, retry: retry).run(starts, headers: headers) { read, result in
            if let name = sourceRead[read] {
                // Any failure (an expired link, a folder gone, a bad page) is left to the list's own read.
                guard case .success(let page) = result, var pages = sourcePages[name] else {
                    sourcePages[name] = nil
                    return nil
                }
                do {
                    let next = try pages.consume(page, graph: graph)
                    sourcePages[name] = pages
                    return next
                } catch {
                    sourcePages[name] = nil
                    return nil
                }
            }
            if read == orgRead {
                switch result {
                case .success(let page): return try orgPages!.consume(page, graph: graph)
                case .failure(let error as GraphError) where !orgPages!.full && (error.status == 410 || error.status == 400):
                    orgPages!.restart()  // expired: read every mail contact again
                    return OrgContactShape.firstURL
                case .failure(let error as GraphError) where error.status == 403:
                    throw SyncError.badConfiguration("include_org_contacts: Graph refused /contacts/delta (403 \(error.code)): grant the OrgContact.Read.All application permission (with admin consent), or set include_org_contacts = false")
                case .failure(let error): throw error
                }
            }
            if read == hiddenRead {
                switch result {
                case .success(let page): return try hiddenPages.consume(page, graph: graph)
                case .failure(let error as GraphError):
                    // Not worth failing the cycle: the last known set stands, and the cycle says why.
                    hiddenProblem = "Graph refused the query for users hidden from the address list (\(error.status) \(error.code)): honor_hidden keeps the last set it read"
                    return nil
                case .failure(let error): throw error
                }
            }
            if read == 0 {
                switch result {
                case .success(let page):
                    return try delta.consume(page, graph: graph)
                case .failure(let error as GraphError) where !delta.full && (error.status == 410 || error.status == 400):
                    // Expired (410, or 400 syncStateNotFound/resyncRequired/syncStateInvalid) or a
                    // saved token Graph no longer understands (400): enumerate again rather than
                    // fail forever. A 400 that is not about the token fails the fresh round too.
                    delta.restart()
                    return fresh
                case .failure(let error):
                    throw error
                }
            }
            switch result {
            case .success(let page):
                return try members[read - 1].consume(page, graph: graph)
            case .failure(let error as GraphError) where error.status == 404:
                throw SyncError.groupNotFound(members[read - 1].group)
            case .failure(let error):
                throw error
            }
        }
        guard let link = delta.deltaLink else { throw SyncError.badData("a /users/delta round ended without a deltaLink") }
        let (users, dropped) = delta.users()
        return Round(users: users, changed: delta.changed, removed: delta.removed, known: delta.known, dropped: dropped, deltaLink: link, select: select,
                     full: delta.full, from: delta.full ? nil : start, groupMembers: Dictionary(members.map { ($0.group, $0.users) }, uniquingKeysWith: { a, _ in a }),
                     hidden: hidden && hiddenProblem == nil ? hiddenPages.users : nil, hiddenProblem: hiddenProblem,
                     org: try orgPages.map { pages in
                         guard let link = pages.deltaLink else { throw SyncError.badData("a /contacts/delta round ended without a deltaLink") }
                         return OrgRound(contacts: pages.contacts(), changed: pages.changed, removed: pages.removed, deltaLink: link, full: pages.full)
                     },
                     sourcePages: sourcePages.filter { $0.value.deltaLink != nil })
    }
}
