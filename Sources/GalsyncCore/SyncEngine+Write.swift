import Foundation
import GraphClient
import SyncStore

/// Step 5 of a cycle: folders first, then every mailbox's operations through shared batches,
/// then each mailbox's state from what Graph confirmed.
extension SyncEngine {
    /// A folder made (or failed) for one mailbox.
    struct FolderResult: Sendable {
        var owner: String
        var id: String?
        var error: (any Error)?
    }

    /// `generation`: the desired contacts the plans carry out; a mailbox whose operations all
    /// succeed holds them, which the next cycle's plan from the changes needs.
    func write(_ planned: [PlannedMailbox], reconcileDue: Bool, generation: Int, summary: inout CycleSummary) async throws {
        var targets: [(BatchWriter.Target, MailboxPlan)] = []
        var folderFailures: [String: any Error] = [:]
        let needFolder = planned.filter { !$0.leaving && $0.folderId == nil }
        let width = max(1, config.sync.concurrency)
        for start in stride(from: 0, to: needFolder.count, by: width) {
            let chunk = Array(needFolder[start..<min(start + width, needFolder.count)])
            let made = await makeFolders(chunk)
            for r in made.values { if let e = r.error { folderFailures[r.owner] = e } }
            for entry in chunk {
                guard let id = made[entry.sync.owner]?.id else { continue }
                targets.append((BatchWriter.Target(sync: entry.sync, folderId: id, known: entry.known), entry.plan))
            }
        }
        for entry in planned where entry.leaving || entry.folderId != nil {
            targets.append((BatchWriter.Target(sync: entry.sync, folderId: entry.folderId ?? "", known: entry.known), entry.plan))
        }
        for (_, error) in folderFailures { if error is IdentityError || error is CancellationError { throw error } }
        let ledger = try await BatchWriter(graph: graph, store: store, concurrency: config.sync.concurrency, logger: logger).run(targets)
        let outcomes = await ledger.outcomes, failures = await ledger.failures, folderMissing = await ledger.folderMissing
        let leaving = Set(planned.filter(\.leaving).map(\.sync.owner))
        for (target, plan) in targets {
            let owner = target.sync.owner
            let outcome = outcomes[owner] ?? .init()
            summary.created += outcome.created; summary.updated += outcome.updated; summary.deleted += outcome.deleted
            if let messages = failures[owner] {
                summary.mailboxesFailed += 1
                let reason = messages.prefix(3).joined(separator: "; ") + (messages.count > 3 ? " (and \(messages.count - 3) more)" : "")
                summary.problems[owner] = "failed: \(reason)"
                let relist = folderMissing.contains(owner)
                projections.forgetApplied(owner)
                try store.setMailbox(owner, folderId: relist ? .some(nil) : nil, state: relist ? "new" : "failed", reason: reason)
            } else if leaving.contains(owner) {
                projections.forgetApplied(owner)
                try? await removeFolderIfEmpty(target.sync, folderId: target.folderId)
                try store.forgetMailbox(owner)
            } else {
                try store.setMailbox(owner, folderId: .some(target.folderId), state: "ok", reconciled: reconcileDue ? now() : nil)
                // Every operation confirmed (a create of unknown outcome is not: its intent
                // makes the next cycle list the mailbox anyway).
                if outcome.created + outcome.updated + outcome.deleted == plan.operations.count {
                    projections.markApplied(owner, generation: generation)
                } else {
                    projections.forgetApplied(owner)
                }
                summary.mailboxesOK += 1
            }
        }
        for (owner, error) in folderFailures {
            projections.forgetApplied(owner)
            summary.mailboxesFailed += 1
            let reason = await AccessDeniedDiagnosis.reason(for: error, mailbox: owner, tokens: graph.tokens)
            summary.problems[owner] = "failed: \(reason)"
            try store.setMailbox(owner, state: "failed", reason: reason)
        }
    }

    /// Makes the folders of one chunk of mailboxes side by side, by owner.
    func makeFolders(_ chunk: [PlannedMailbox]) async -> [String: FolderResult] {
        await withTaskGroup(of: FolderResult.self) { group in
            for entry in chunk {
                group.addTask {
                    do { return FolderResult(owner: entry.sync.owner, id: try await entry.sync.ensureFolder(nil), error: nil) }
                    catch { return FolderResult(owner: entry.sync.owner, id: nil, error: error) }
                }
            }
            var out: [String: FolderResult] = [:]
            for await r in group { out[r.owner] = r }
            return out
        }
    }

    func removeFolderIfEmpty(_ sync: MailboxSync, folderId: String?) async throws {
        guard let folderId, !folderId.isEmpty, !config.sync.folder.isEmpty else { return }
        let m = GraphPath.segment(sync.owner), f = GraphPath.segment(folderId)
        let r = try await retry.run { try await graph.request("GET", "/users/\(m)/contactFolders/\(f)/contacts?$top=1&$select=id") }
        if r.json?["value"]?.arrayValue?.isEmpty == true {
            _ = try? await retry.run { try await graph.request("DELETE", "/users/\(m)/contactFolders/\(f)") }
        }
    }
}
