import Foundation
import GalsyncConfig
import GalsyncPlan
import GalsyncWriter
import GraphClient
import SyncStore

/// `galsync purge`: removes galsync's own contacts (tagged with its extended property) from the
/// named mailboxes, and its folder when that is left empty; never touches anything else.
public struct Purge: Sendable {
    let config: Configuration
    let graph: GraphAPI
    /// The list's state (what galsync wrote where).
    let store: StateStore
    /// The directory's state, for people's names (a named list's state has none).
    let directory: StateStore

    /// `config`: the one list to purge (`Configuration.keeping`).
    public init(config: Configuration, graph: GraphAPI, store: StateStore, directory: StateStore? = nil) {
        self.config = config
        self.graph = graph
        self.store = store
        self.directory = directory ?? store
    }

    /// `mailboxes`: ids or UPNs; nil = every mailbox the state knows.
    /// `progress`: mailboxes done and contacts deleted so far, for the progress line.
    public func run(mailboxes: [String]?, progress: CycleProgress = CycleProgress()) async throws -> CycleSummary {
        var summary = CycleSummary()
        let started = Date()
        let retry = RetryPolicy()
        let known = try store.mailboxes()
        let departed = try store.departedMailboxes()
        var owners: [String] = []
        if let mailboxes {
            for m in mailboxes {
                if known[m.lowercased()] != nil || departed[m.lowercased()] != nil { owners.append(m.lowercased()); continue }
                // A UPN the state knows (a departed owner's too, whom Graph no longer finds): as the preview resolves it.
                if let id = try directory.personId(upn: m), known[id] != nil || departed[id] != nil { owners.append(id); continue }
                let path = "/users/\(GraphPath.segment(m))?$select=id"
                do {
                    let r = try await retry.run { try await graph.request("GET", path) }
                    if let id = r.json?["id"]?.stringValue { owners.append(id) }
                } catch let error as GraphError where !error.isRetryable {
                    summary.mailboxesFailed += 1
                    summary.problems[m] = "failed: no such user (\(error.code))"
                }
            }
        } else {
            // With the mailboxes of owners who left the directory: restored, they hold galsync's contacts again.
            owners = Set(known.keys).union(departed.keys).sorted()
        }
        for owner in owners {
            let sync = MailboxSync(graph: graph, store: store, retry: retry, folderName: config.sync.folder, owner: owner)
            do {
                if known[owner] == nil, departed[owner] != nil {
                    // A departed owner: is the user back? A 404 here is the skip below.
                    _ = try await retry.run { try await graph.request("GET", "/users/\(GraphPath.segment(owner))?$select=id") }
                }
                let knownFolder: String? = known[owner]?.folderId ?? departed[owner].flatMap { $0.folderId }
                guard let folder = try await sync.findFolder(known: knownFolder) else {
                    try store.forgetMailbox(owner)
                    summary.mailboxesOK += 1
                    continue
                }
                let listing: MailboxSync.Listing
                do {
                    listing = try await sync.list(folderId: folder, known: try store.managedContacts(owner))
                } catch let error as GraphError where error.status == 404 && !folder.isEmpty {
                    try store.forgetMailbox(owner)
                    summary.mailboxesOK += 1
                    continue
                }
                let plan = MailboxPlan(owner: owner, desired: [:], actual: listing.actual, extraContacts: listing.duplicates)
                progress.phase("purging mailbox \((owners.firstIndex(of: owner) ?? 0) + 1) of \(owners.count)")
                let ledger = try await BatchWriter(graph: graph, store: store, concurrency: config.sync.concurrency, ceilingShare: config.sync.appShare, logger: .silent, progress: progress)
                    .run([(.init(sync: sync, folderId: folder, known: [:]), plan)])
                summary.deleted += await ledger.outcomes[owner]?.deleted ?? 0
                if let failed = await ledger.failures[owner] {
                    summary.mailboxesFailed += 1
                    summary.problems[owner] = "failed: \(failed.joined(separator: "; "))"
                    continue
                }
                if let unknown = await ledger.unconfirmed[owner], unknown > 0 {
                    // Deletes that ran out of attempts without an answer: the mailbox stays known.
                    summary.pending += unknown
                    summary.problems[owner] = "pending: \(unknown) deletes unconfirmed; run purge again"
                    continue
                }
                try await SyncEngine(config: config, graph: graph, store: store, directory: directory).removeFolderIfEmpty(sync, folderId: folder)
                try store.forgetMailbox(owner)
                summary.mailboxesOK += 1
            } catch let error as GraphError where known[owner] == nil && departed[owner] != nil && error.status == 404 {
                // Still deleted: nothing to reach. Remembered until the owner is restored (then purged) or purged for good.
                summary.mailboxesSkipped += 1
                summary.problems[owner] = "skipped: the owner is not in the directory (\(error.code)); if they are restored, 'galsync purge --all' deletes the \(departed[owner]!.contacts) contacts galsync left there"
            } catch let error as GraphError where error.code == "MailboxNotEnabledForRESTAPI" {
                summary.mailboxesSkipped += 1
                summary.problems[owner] = "skipped: no Exchange Online mailbox"
            } catch let error as GraphError {
                summary.mailboxesFailed += 1
                summary.problems[owner] = "failed: \(error.code): \(error.message)"
            }
        }
        summary.requests = graph.metrics.requests
        summary.throttled = graph.metrics.throttled
        summary.duration = Date().timeIntervalSince(started)
        summary.names = try directory.people(summary.problems.keys)
        return summary
    }
}
