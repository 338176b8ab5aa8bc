import Foundation
import GalsyncConfig
import GalsyncJSON
import GraphClient
import Logging
import SyncStore

/// One sync cycle, level-based: read the directory (delta), work out who belongs where, plan
/// every mailbox against what galsync knows is there, refuse a suspicious mass delete, then
/// write mailbox by mailbox. `plan` mode stops after planning and writes nothing anywhere.
public struct SyncEngine: Sendable {
    public struct Options: Sendable {
        public var planOnly = false
        public var allowMassDelete = false
        /// Re-list every mailbox this cycle (drift repair), whatever `full_reconcile` says.
        public var forceReconcile = false
        public init() {}
    }

    let config: Configuration
    let graph: GraphAPI
    let store: StateStore
    let retry = RetryPolicy()
    let now: @Sendable () -> Date
    /// Per-mailbox and per-operation detail, at debug level only.
    let logger: Logger
    let projections: ProjectionCache

    public init(config: Configuration, graph: GraphAPI, store: StateStore, logger: Logger = .silent, projections: ProjectionCache = ProjectionCache(),
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.config = config
        self.graph = graph
        self.store = store
        self.logger = logger
        self.projections = projections
        self.now = now
    }

    public func cycle(_ options: Options = Options()) async throws -> CycleSummary {
        let started = now()
        var summary = CycleSummary()
        let requestsBefore = graph.metrics.requests, throttledBefore = graph.metrics.throttled

        // 1. Directory.
        let reader = DirectoryReader(graph: graph, retry: retry)
        let round = try await reader.read(snapshot: try store.directoryUsers(), deltaLink: try store.meta("delta_link"), savedSelect: try store.meta("delta_select"),
                                          groups: SyncScope.groups(config))
        let members = round.groupMembers
        if !options.planOnly {
            try store.applyDirectory(upserts: round.changed, removals: round.removed, deltaLink: round.deltaLink, select: round.select, replaceAll: round.full)
            try store.setGroupMembers(members)
        }

        // 2. Scope and desired contacts.
        if let previous = try store.meta("folder"), previous != config.sync.folder, !(try store.mailboxes().isEmpty) {
            throw SyncError.folderChanged(from: previous, to: config.sync.folder)
        }
        if !options.planOnly { try store.setMeta("folder", config.sync.folder) }
        let scope = SyncScope(users: round.users, groupMembers: members, config: config)
        for target in scope.unresolvedTargets { summary.problems[target] = "not in the directory: check [mailboxes] users" }
        let exclude = Set(config.contact.excludeFields)
        let basis = ProjectionCache.Basis(from: round.from, to: round.deltaLink, changed: Set(round.changed.keys).union(round.removed))
        let desiredAll = await projections.projections(of: scope.sources, basis: basis, excluding: exclude)

        // 3. Plan every mailbox.
        let records = try store.mailboxes()
        let uncertain = try store.ownersWithPendingIntents()
        let lastReconcile = try store.meta("last_full_reconcile").flatMap(Double.init)
        let reconcileDue = options.forceReconcile || lastReconcile.map { now().timeIntervalSince1970 - $0 >= config.sync.fullReconcile } ?? true
        var planned: [(sync: MailboxSync, plan: MailboxPlan, folderId: String?)] = []
        var leaving: [String] = []
        for owner in scope.targets.sorted() {
            let record = records[owner]
            if record?.state == "skipped", !reconcileDue { summary.mailboxesSkipped += 1; continue }
            let sync = MailboxSync(graph: graph, store: store, retry: retry, folderName: config.sync.folder, owner: owner)
            let desired = desiredAll
            let excluded = config.mailboxes.includeSelf ? nil : owner
            do {
                let known = try store.managedContacts(owner)
                var folderId = try await sync.findFolder(known: record?.folderId)
                let mustList = reconcileDue || record == nil || ["new", "failed"].contains(record?.state ?? "") || uncertain.contains(owner)
                var listing: MailboxSync.Listing?
                if let id = folderId, mustList {
                    do {
                        listing = try await sync.list(folderId: id, known: known)
                    } catch let error as GraphError where error.status == 404 && !id.isEmpty {
                        folderId = nil  // the owner deleted the folder: it is made again, with every contact
                    }
                }
                let plan: MailboxPlan
                if let listing {
                    plan = MailboxPlan(owner: owner, desired: desired, actual: listing.actual, extraContacts: listing.duplicates, excluding: excluded)
                    if !options.planOnly {
                        try store.replaceManagedContacts(owner, listing.actual.map { .init(userId: $0.key, contactId: $0.value.contactId, hash: $0.value.hash) })
                        try store.storeProjections(Dictionary(listing.actual.compactMap { a in a.value.projection.map { ($0.hash, String(decoding: $0.json, as: UTF8.self)) } }, uniquingKeysWith: { a, _ in a }))
                    }
                } else if folderId == nil {
                    // No folder yet (or the owner deleted it): everything must be made.
                    plan = MailboxPlan(owner: owner, desired: desired, actual: [:], excluding: excluded)
                    if !options.planOnly, !known.isEmpty { try store.replaceManagedContacts(owner, []) }
                } else {
                    plan = MailboxPlan(owner: owner, desired: desired, actual: try sync.fromState(known), excluding: excluded)
                }
                planned.append((sync, plan, folderId))
                logger.debug("planned \(plan.creates) creates, \(plan.updates) updates, \(plan.deletes) deletes, \(plan.unchanged) unchanged (\(listing != nil ? "from a listing" : "from the snapshot"))",
                             metadata: ["mailbox": "\(owner)", "count": "\(plan.operations.count)"])
            } catch let error as GraphError where error.code == "MailboxNotEnabledForRESTAPI" {
                summary.mailboxesSkipped += 1
                summary.problems[owner] = "skipped: no Exchange Online mailbox (\(error.code))"
                if !options.planOnly { try store.setMailbox(owner, state: "skipped", reason: "no Exchange Online mailbox (MailboxNotEnabledForRESTAPI)") }
            } catch let error as IdentityError {
                throw error  // no token: every mailbox would fail the same way
            } catch {
                summary.mailboxesFailed += 1
                let reason = (error as? GraphError).map { "\($0.code): \($0.message)" } ?? "\(error)"
                summary.problems[owner] = "failed: \(reason)"
                if !options.planOnly { try store.setMailbox(owner, state: "failed", reason: reason) }
            }
        }
        // Mailboxes that left the targets: galsync's contacts (and folder) go. A mailbox whose
        // owner left the directory is gone with them: it is only forgotten.
        for (owner, record) in records where !scope.targets.contains(owner) {
            if round.users[owner] == nil || record.state == "skipped" {
                if !options.planOnly { try store.forgetMailbox(owner) }
                continue
            }
            let known = try store.managedContacts(owner)
            let sync = MailboxSync(graph: graph, store: store, retry: retry, folderName: config.sync.folder, owner: owner)
            var actual = try sync.fromState(known)
            var extra: [(contactId: String, userId: String)] = []
            if uncertain.contains(owner) || record.state != "ok", let folder = record.folderId ?? (config.sync.folder.isEmpty ? "" : nil),
               let listing = try? await sync.list(folderId: folder, known: known) {
                actual = listing.actual
                extra = listing.duplicates
            }
            planned.append((sync, MailboxPlan(owner: owner, desired: [:], actual: actual, extraContacts: extra), record.folderId))
            leaving.append(owner)
        }

        // 4. The safety valve, before any write.
        let deletes = planned.reduce(0) { $0 + $1.plan.deletes }
        let managed = try store.managedContactCount()
        if !options.allowMassDelete, deletes > 10, Double(deletes) > Double(max(managed, 1)) * config.sync.maxDeletesPercent / 100 {
            let refusal = SyncError.massDelete(planned: deletes, managed: managed, limit: config.sync.maxDeletesPercent)
            guard options.planOnly else { throw refusal }
            summary.warnings.append("sync would refuse this cycle: \(refusal)")
        }

        for (sync, plan, _) in planned {
            summary.unchanged += plan.unchanged
            if options.planOnly {
                summary.created += plan.creates; summary.updated += plan.updates; summary.deleted += plan.deletes
                let known = try store.managedContacts(sync.owner)
                let samples = try plan.operations.prefix(3).map { op -> String in
                    // Planned from the state, an update does not carry the old fields: look them up to name what changes.
                    guard case .update(let id, let p, nil) = op, let hash = known[p.userId]?.hash,
                          let old = try store.projection(hash).flatMap({ JSONValue.parse(Data($0.utf8))?.objectValue }) else {
                        return Self.describe(op, round.users)
                    }
                    return Self.describe(.update(contactId: id, p, previous: ContactProjection(userId: p.userId, fields: old)), round.users)
                }
                summary.plans.append(.init(owner: sync.owner, creates: plan.creates, updates: plan.updates, deletes: plan.deletes, unchanged: plan.unchanged,
                                           samples: samples))
            }
        }
        if options.planOnly {
            summary.mailboxesOK = planned.count
            summary.requests = graph.metrics.requests - requestsBefore
            summary.throttled = graph.metrics.throttled - throttledBefore
            summary.duration = now().timeIntervalSince(started)
            return summary
        }

        // 5. Write: folders first, then every mailbox's operations through shared batches;
        //    one failing mailbox does not stop the others.
        var targets: [(BatchWriter.Target, MailboxPlan)] = []
        var folderFailures: [String: any Error] = [:]
        let needFolder = planned.filter { !leaving.contains($0.sync.owner) && ($0.folderId == nil) }
        for chunk in stride(from: 0, to: needFolder.count, by: max(1, config.sync.concurrency)).map({ Array(needFolder[$0..<min($0 + max(1, config.sync.concurrency), needFolder.count)]) }) {
            let made = await withTaskGroup(of: FolderResult.self) { group in
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
            for r in made.values { if let e = r.error { folderFailures[r.owner] = e } }
            for entry in chunk {
                guard let id = made[entry.sync.owner]?.id else { continue }
                targets.append((BatchWriter.Target(sync: entry.sync, folderId: id, known: try store.managedContacts(entry.sync.owner)), entry.plan))
            }
        }
        for entry in planned where leaving.contains(entry.sync.owner) || entry.folderId != nil {
            targets.append((BatchWriter.Target(sync: entry.sync, folderId: entry.folderId ?? "", known: try store.managedContacts(entry.sync.owner)), entry.plan))
        }
        for (_, error) in folderFailures { if error is IdentityError || error is CancellationError { throw error } }
        let ledger = try await BatchWriter(graph: graph, store: store, concurrency: config.sync.concurrency, logger: logger).run(targets)
        let outcomes = await ledger.outcomes, failures = await ledger.failures, folderMissing = await ledger.folderMissing
        for (target, _) in targets {
            let owner = target.sync.owner
            let outcome = outcomes[owner] ?? .init()
            summary.created += outcome.created; summary.updated += outcome.updated; summary.deleted += outcome.deleted
            if let messages = failures[owner] {
                summary.mailboxesFailed += 1
                let reason = messages.prefix(3).joined(separator: "; ") + (messages.count > 3 ? " (and \(messages.count - 3) more)" : "")
                summary.problems[owner] = "failed: \(reason)"
                let relist = folderMissing.contains(owner)
                try store.setMailbox(owner, folderId: relist ? .some(nil) : nil, state: relist ? "new" : "failed", reason: reason)
            } else if leaving.contains(owner) {
                try? await removeFolderIfEmpty(target.sync, folderId: target.folderId)
                try store.forgetMailbox(owner)
            } else {
                try store.setMailbox(owner, folderId: .some(target.folderId), state: "ok", reconciled: reconcileDue ? now() : nil)
                summary.mailboxesOK += 1
            }
        }
        for (owner, error) in folderFailures {
            summary.mailboxesFailed += 1
            let reason = (error as? GraphError).map { "\($0.code): \($0.message)" } ?? "\(error)"
            summary.problems[owner] = "failed: \(reason)"
            try store.setMailbox(owner, state: "failed", reason: reason)
        }
        // Failed mailboxes are listed again next cycle anyway (state "failed"), so one bad
        // mailbox does not keep the whole tenant in full reconcile.
        if reconcileDue { try store.setMeta("last_full_reconcile", String(now().timeIntervalSince1970)) }
        try store.pruneProjections()
        summary.requests = graph.metrics.requests - requestsBefore
        summary.throttled = graph.metrics.throttled - throttledBefore
        summary.duration = now().timeIntervalSince(started)
        return summary
    }

    /// A folder made (or failed) for one mailbox.
    struct FolderResult: Sendable {
        var owner: String
        var id: String?
        var error: (any Error)?
    }

    func removeFolderIfEmpty(_ sync: MailboxSync, folderId: String?) async throws {
        guard let folderId, !folderId.isEmpty, !config.sync.folder.isEmpty else { return }
        let m = GraphPath.segment(sync.owner), f = GraphPath.segment(folderId)
        let r = try await retry.run { try await graph.request("GET", "/users/\(m)/contactFolders/\(f)/contacts?$top=1&$select=id") }
        if r.json?["value"]?.arrayValue?.isEmpty == true {
            _ = try? await retry.run { try await graph.request("DELETE", "/users/\(m)/contactFolders/\(f)") }
        }
    }

    static func describe(_ op: MailboxPlan.Operation, _ users: [String: DirectoryUser]) -> String {
        let name = { (id: String) in users[id]?.string("displayName") ?? id }
        switch op {
        case .create(let p): return "create \(name(p.userId))"
        case .update(_, let p, let previous):
            let fields = ContactProjection.managedFields.filter { previous?.field($0) != p.field($0) }
            return "update \(name(p.userId)) (\(fields.joined(separator: ", ")))"
        case .delete(_, let u): return "delete \(name(u))"
        }
    }
}
