import Foundation
import GalsyncPlan
import GalsyncWriter
import GraphClient
import GraphHTTP
import Logging
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

    /// How one mailbox's writes ended in one round.
    struct MailboxWrite: Sendable {
        var outcome = MailboxSync.Outcome()
        var failures: [String] = []
        var unconfirmed = 0
        var leaving = false
        /// The first three failures, for the problem line and the mailbox's stored reason.
        var reason: String {
            failures.prefix(3).joined(separator: "; ") + (failures.count > 3 ? " (and \(failures.count - 3) more)" : "")
        }
    }

    /// Listing rounds after the first write, for mailboxes whose outcome Graph left unknown.
    static let followUpRounds = 5
    /// Mailboxes named one by one at info level per cycle; the others are counted.
    static let namedMailboxes = 20
    /// Seconds to wait before follow-up round n (n × this): a request a gateway gave up on
    /// (504) may still be carried out behind it, and a listing too soon would miss it.
    static let followUpPause = 1.0

    /// Step 5: writes every plan, then, in up to `followUpRounds` rounds, lists only the
    /// mailboxes that still have unconfirmed operations, adopts what exists and writes what is
    /// missing. What is still unconfirmed after the last round is `summary.pending`.
    func write(_ planned: [PlannedMailbox], desired: [String: ContactProjection], reconcileDue: Bool, generation: Int,
               summary: inout CycleSummary) async throws {
        var results = try await writeRound(planned, reconcileDue: reconcileDue, generation: generation, followUp: false)
        var round = 0
        while round < Self.followUpRounds {
            let again = results.filter { $0.value.unconfirmed > 0 && $0.value.failures.isEmpty }.map(\.key)
            guard !again.isEmpty else { break }
            round += 1
            summary.listedAgain += again.count
            try await Task.sleep(for: .milliseconds(Int(Self.followUpPause * Double(round) * 1000)))
            progress.phase("listing \(again.count) mailboxes again")
            logger.info("listing \(again.count) mailboxes again: \(results.values.reduce(0) { $0 + $1.unconfirmed }) operations unconfirmed (round \(round) of \(Self.followUpRounds))")
            let replanned = try await replan(again.sorted(), desired: desired, leaving: Set(again.filter { results[$0]!.leaving }))
            for owner in again { results[owner]!.unconfirmed = 0 }
            for (owner, r) in replanned.failed { results[owner]!.failures.append(r) }
            let next = try await writeRound(replanned.planned, reconcileDue: reconcileDue, generation: generation, followUp: true)
            for (owner, r) in next {
                results[owner, default: .init()].outcome.created += r.outcome.created
                results[owner, default: .init()].outcome.updated += r.outcome.updated
                results[owner, default: .init()].outcome.deleted += r.outcome.deleted
                results[owner, default: .init()].failures += r.failures
                results[owner, default: .init()].unconfirmed = r.unconfirmed
            }
        }
        // Info level: a line per mailbox written to, named, for the first `namedMailboxes`;
        // the rest at debug and counted in one line, so that one directory change reaching
        // 100,000 mailboxes does not become 100,000 journal lines (journald would drop most).
        let written = results.filter { $0.value.outcome.created + $0.value.outcome.updated + $0.value.outcome.deleted > 0 || !$0.value.failures.isEmpty }
            .sorted { $0.key < $1.key }
        let names = logger.logLevel <= .debug ? try directory.people(written.map(\.key))
            : logger.logLevel <= .info ? try directory.people(written.prefix(Self.namedMailboxes).map(\.key)) : [:]
        for (i, (owner, r)) in written.enumerated() where i < Self.namedMailboxes || logger.logLevel <= .debug {
            let o = r.outcome
            let level: Logger.Level = i < Self.namedMailboxes ? .info : .debug
            logger.log(level: level, "\(names[owner]?.handle ?? owner): created \(o.created), updated \(o.updated), deleted \(o.deleted)\(r.failures.isEmpty ? "" : "; failed")",
                       metadata: ["mailbox": "\(owner)", "count": "\(o.created + o.updated + o.deleted)"])
        }
        if written.count > Self.namedMailboxes {
            logger.info("… and \(written.count - Self.namedMailboxes) more mailboxes written to (each at debug level)")
        }
        for (owner, r) in results {
            summary.created += r.outcome.created; summary.updated += r.outcome.updated; summary.deleted += r.outcome.deleted
            if !r.failures.isEmpty {
                summary.mailboxesFailed += 1
                summary.outcomes.failed.insert(owner)
                summary.problems[owner] = "failed: \(r.reason)"
            } else if r.unconfirmed > 0 {
                summary.pending += r.unconfirmed
                summary.outcomes.pending.insert(owner)
                summary.problems[owner] = "pending: \(r.unconfirmed) operations unconfirmed after \(Self.followUpRounds) listings; the next cycle lists this mailbox again"
            } else if !r.leaving {
                summary.mailboxesOK += 1
                summary.outcomes.ok.insert(owner)
            }
        }
    }

    /// Plans the given mailboxes again from a fresh listing (what earlier rounds wrote is adopted).
    func replan(_ owners: [String], desired: [String: ContactProjection], leaving: Set<String>) async throws
        -> (planned: [PlannedMailbox], failed: [String: String]) {
        var planned: [PlannedMailbox] = []
        var failed: [String: String] = [:]
        let records = try store.mailboxes()
        let context = PlanContext(records: records, uncertain: Set(owners), reconcileDue: true, options: Options(), changes: nil)
        for owner in owners {
            try Task.checkCancellation()
            do {
                if leaving.contains(owner) {
                    let sync = mailboxSync(owner), known = try store.managedContacts(owner)
                    // No folder known (it went missing): its contacts are deleted by id, as the state has them.
                    var plan = MailboxPlan(owner: owner, desired: [:], actual: try sync.fromState(known))
                    if let folder = records[owner]?.folderId ?? (config.sync.folder.isEmpty ? "" : nil) {
                        let listing = try await sync.list(folderId: folder, known: known)
                        plan = MailboxPlan(owner: owner, desired: [:], actual: listing.actual, extraContacts: listing.duplicates)
                    }
                    planned.append(PlannedMailbox(sync: sync, plan: plan, folderId: records[owner]?.folderId, known: known, leaving: true))
                } else {
                    planned.append(try await planTarget(owner, record: records[owner], desired: desired, context: context))
                }
            } catch let error as IdentityError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                failed[owner] = "listing again: " + ((error as? GraphError).map { "\($0.code): \($0.message)" } ?? "\(error)")
                try store.setMailbox(owner, state: "failed", reason: failed[owner])
            }
        }
        return (planned, failed)
    }

    /// One round of writes: folders first, then every mailbox's operations through shared
    /// batches, then each mailbox's state from what Graph confirmed. One failing mailbox does
    /// not stop the others. `generation`: the desired contacts the plans carry out; a mailbox
    /// whose operations all succeed holds them, which the next cycle's plan from the changes needs.
    /// `followUp`: a round after a listing; a mailbox it finishes is listed once more next cycle
    /// (state 'verify'), in case a create Graph gave up on is carried out late.
    func writeRound(_ planned: [PlannedMailbox], reconcileDue: Bool, generation: Int, followUp: Bool) async throws -> [String: MailboxWrite] {
        var targets: [(BatchWriter.Target, MailboxPlan)] = []
        var folderFailures: [String: any Error] = [:]
        var results: [String: MailboxWrite] = [:]
        let needFolder = planned.filter { !$0.leaving && $0.folderId == nil }
        let width = max(1, config.sync.concurrency)
        for start in stride(from: 0, to: needFolder.count, by: width) {
            try Task.checkCancellation()
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
        // A mailbox's own failure is Graph's answer about it; anything else (no token, the
        // state database, a stop) is the cycle's, and ends it.
        for (_, error) in folderFailures where !(error is GraphError || error is HTTPTransportError || error is SyncError) { throw error }
        let ledger = try await BatchWriter(graph: graph, store: store, concurrency: config.sync.concurrency, ceilingShare: config.sync.appShare, logger: logger, progress: progress).run(targets)
        let outcomes = await ledger.outcomes, failures = await ledger.failures, folderMissing = await ledger.folderMissing
        let unconfirmed = await ledger.unconfirmed
        let leaving = Set(planned.filter(\.leaving).map(\.sync.owner))
        for (target, plan) in targets {
            let owner = target.sync.owner
            let outcome = outcomes[owner] ?? .init()
            var result = MailboxWrite(outcome: outcome, failures: failures[owner] ?? [], unconfirmed: unconfirmed[owner] ?? 0, leaving: leaving.contains(owner))
            // `setMailbox` without `applied` forgets which desired set the mailbox holds (so do
            // `forgetMailbox` and every batch answer's `record`): only a mailbox whose every
            // operation Graph confirmed in a first round is recorded as holding `generation`.
            if !result.failures.isEmpty {
                let reason = result.reason
                let relist = folderMissing.contains(owner)
                try store.setMailbox(owner, folderId: relist ? .some(nil) : nil, state: relist ? "new" : "failed", reason: reason)
                result.unconfirmed = 0  // a failed mailbox is listed next cycle anyway
            } else if result.unconfirmed > 0 {
                try store.setMailbox(owner, folderId: result.leaving ? nil : .some(target.folderId), state: "pending", reason: "\(result.unconfirmed) operations unconfirmed")
            } else if result.leaving {
                do {
                    try await removeFolderIfEmpty(target.sync, folderId: target.folderId)
                    try store.forgetMailbox(owner)
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    // Kept as a leaver: the next cycle tries the folder again.
                    try store.setMailbox(owner, state: "failed", reason: "removing galsync's empty folder: \(error)")
                }
            } else {
                let holds = !followUp && outcome.created + outcome.updated + outcome.deleted == plan.operations.count
                try store.setMailbox(owner, folderId: .some(target.folderId), state: followUp ? "verify" : "ok", reconciled: reconcileDue ? now() : nil,
                                     applied: holds ? generation : nil)
            }
            results[owner] = result
        }
        for (owner, error) in folderFailures {
            let reason = await AccessDeniedDiagnosis.reason(for: error, mailbox: owner, tokens: graph.tokens)
            results[owner] = MailboxWrite(failures: [reason])
            try store.setMailbox(owner, state: "failed", reason: reason)
        }
        return results
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
