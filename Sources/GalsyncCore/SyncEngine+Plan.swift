import Foundation
import GalsyncConfig
import GalsyncJSON
import GalsyncPlan
import GalsyncWriter
import GraphClient
import SyncStore

/// Step 3 of a cycle: each mailbox's plan, from a listing when one is due, else from the state.
extension SyncEngine {
    /// One mailbox's plan, and where its contacts live (nil: no folder yet).
    struct PlannedMailbox: Sendable {
        var sync: MailboxSync
        var plan: MailboxPlan
        var folderId: String?
        /// What the state holds for the users the plan touches (all of them, or, for a plan
        /// from the changes, those users), as it stands after planning.
        var known: [String: StateStore.ManagedContact]
        /// The mailbox left the targets: its contacts go, then its folder, then its record.
        var leaving = false
        /// Planned from the changed users alone (counted in `CycleSummary.plannedFromChanges`).
        var fromChanges = false
    }

    /// Above this many changed users a mailbox is planned in full (one read of its contacts
    /// costs less than many lookups).
    static let changedUsersLimit = 5_000

    /// What planning needs from the state, read once per cycle.
    struct PlanContext {
        let records: [String: StateStore.MailboxRecord]
        let uncertain: Set<String>
        let reconcileDue: Bool
        let options: Options
        /// How the desired contacts differ from the last cycle's, when the cache knows.
        let changes: ProjectionCache.Changes?

        init(records: [String: StateStore.MailboxRecord], uncertain: Set<String>, reconcileDue: Bool, options: Options, changes: ProjectionCache.Changes?) {
            self.records = records
            self.uncertain = uncertain
            self.reconcileDue = reconcileDue
            self.options = options
            self.changes = changes
        }

        init(store: StateStore, config: Configuration, options: Options, now: Date, changes: ProjectionCache.Changes?) throws {
            records = try store.mailboxes()
            uncertain = try store.ownersWithPendingIntents()
            let last = try store.meta("last_full_reconcile").flatMap(Double.init)
            reconcileDue = options.forceReconcile || last.map { now.timeIntervalSince1970 - $0 >= config.sync.fullReconcile } ?? true
            self.options = options
            self.changes = changes
        }
    }

    func mailboxSync(_ owner: String) -> MailboxSync {
        MailboxSync(graph: graph, store: store, retry: retry, folderName: config.sync.folder, owner: owner, fields: fieldTable, recorded: recordedFields)
    }

    /// Mailboxes planned at once. Planning a mailbox may list it (a request or more, each
    /// 100–500 ms at Graph), so one at a time made a cycle of 40 new mailboxes spend 10 s before
    /// its first write; a listing holds that mailbox's contacts in memory, so not hundreds.
    static let planWidth = 16

    /// Plans every target mailbox, `planWidth` at a time; a mailbox that cannot be planned is
    /// skipped or failed in `summary` and the others go on (only a token failure stops them all).
    /// Outcomes are applied in the mailboxes' order, whatever order they finish in.
    func planTargets(_ targets: Set<String>, desired: [String: ContactProjection], context: PlanContext,
                     summary: inout CycleSummary) async throws -> [PlannedMailbox] {
        let owners = targets.sorted().filter { owner in
            if context.records[owner]?.state == "skipped", !context.reconcileDue { return false }
            return true
        }
        summary.mailboxesSkipped += targets.count - owners.count
        summary.outcomes.skipped.formUnion(targets.subtracting(owners))
        let width = max(1, min(Self.planWidth, config.sync.concurrency / 4))
        let folders = try await findFolders(owners.filter { context.records[$0]?.folderId == nil })
        let outcomes = try await Self.eachOf(owners, width: width) { owner -> Result<PlannedMailbox, any Error> in
            do { return .success(try await planTarget(owner, record: context.records[owner], folder: folders[owner], desired: desired, context: context)) }
            catch let error as IdentityError { throw error }  // no token: every mailbox would fail the same way
            catch is CancellationError { throw CancellationError() }  // stopping: not this mailbox's failure
            catch { return .failure(error) }
        }
        var planned: [PlannedMailbox] = []
        let planOnly = context.options.planOnly
        for owner in owners {
            switch outcomes[owner] {
            case .success(let entry)?:
                if entry.fromChanges { summary.plannedFromChanges += 1 }
                planned.append(entry)
            case .failure(let error as GraphError)? where error.code == "MailboxNotEnabledForRESTAPI":
                summary.mailboxesSkipped += 1
                summary.outcomes.skipped.insert(owner)
                summary.problems[owner] = "skipped: no Exchange Online mailbox (\(error.code))"
                if !planOnly { try store.setMailbox(owner, state: "skipped", reason: "no Exchange Online mailbox (MailboxNotEnabledForRESTAPI)") }
            case .failure(let error)?:
                summary.mailboxesFailed += 1
                summary.outcomes.failed.insert(owner)
                let reason = await AccessDeniedDiagnosis.reason(for: error, mailbox: owner, tokens: graph.tokens)
                summary.problems[owner] = "failed: \(reason)"
                if !planOnly { try store.setMailbox(owner, state: "failed", reason: reason) }
            case nil:
                break
            }
        }
        return planned
    }

    /// Looks up, by name, the folders the state does not know (new mailboxes): one small request
    /// each, many at once (at 250 ms per request, 40 new mailboxes at 16 at a time took 0.75 s
    /// before the first write). Owner → the folder id, or nil when there is none yet; a failed
    /// lookup is left out (`planTarget` tries again and reports it).
    func findFolders(_ owners: [String]) async throws -> [String: String?] {
        guard !owners.isEmpty else { return [:] }
        let width = max(1, min(64, config.sync.concurrency / 4))
        let found = try await Self.eachOf(owners, width: width) { owner -> String?? in
            do { return .some(try await mailboxSync(owner).findFolder(known: nil)) }
            catch let error as IdentityError { throw error }
            catch is CancellationError { throw CancellationError() }
            catch { return nil }
        }.compactMapValues { $0 }
        return found
    }

    /// `body` for each key, at most `width` at a time (a sliding window: the next starts as one
    /// ends); key → its result. A throw ends them all.
    static func eachOf<T: Sendable>(_ keys: [String], width: Int, _ body: @escaping @Sendable (String) async throws -> T) async throws -> [String: T] {
        try await withThrowingTaskGroup(of: (String, T).self) { group in
            var next = keys.makeIterator()
            func start() -> Bool {
                guard let key = next.next() else { return false }
                group.addTask { (key, try await body(key)) }
                return true
            }
            for _ in 0..<width where !start() { break }
            var out: [String: T] = [:]
            while let (key, result) = try await group.next() {
                out[key] = result
                _ = start()
            }
            return out
        }
    }

    /// One target's plan. A listing (which then replaces the state's record of the mailbox)
    /// when a full reconcile is due, the mailbox is new or failed, or it has a pending intent.
    /// `folder`: the folder already looked up by name (`findFolders`), if it was.
    func planTarget(_ owner: String, record: StateStore.MailboxRecord?, folder: String?? = nil, desired: [String: ContactProjection],
                    context: PlanContext) async throws -> PlannedMailbox {
        let sync = mailboxSync(owner)
        let excluded = config.mailboxes.includeSelf ? nil : owner
        var folderId: String?
        if let folder { folderId = folder } else { folderId = try await sync.findFolder(known: record?.folderId) }
        let mustList = context.reconcileDue || record == nil || ["new", "failed", "pending", "verify"].contains(record?.state ?? "") || context.uncertain.contains(owner)
        // A mailbox that held all of last cycle's desired contacts, and is not due a listing,
        // needs only the users whose desired contact changed since: an idle cycle reads none.
        if !mustList, folderId != nil, record?.state == "ok", let changes = context.changes, changes.users.count <= Self.changedUsersLimit,
           record?.applied == changes.since {
            let known = try store.managedContacts(owner, userIds: changes.users)
            let plan = MailboxPlan(owner: owner, desired: desired, actual: try sync.fromState(known), changed: changes.users,
                                   holding: try store.managedContactCount(owner), excluding: excluded)
            logger.debug("planned \(plan.creates) creates, \(plan.updates) updates, \(plan.deletes) deletes, \(plan.unchanged) unchanged (from \(changes.users.count) changed users)",
                         metadata: ["mailbox": "\(owner)", "count": "\(plan.operations.count)"])
            return PlannedMailbox(sync: sync, plan: plan, folderId: folderId, known: known, fromChanges: true)
        }
        var known = try store.managedContacts(owner)
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
            if !context.options.planOnly {
                try store.replaceManagedContacts(owner, listing.actual.map { .init(userId: $0.key, contactId: $0.value.contactId, hash: $0.value.hash) })
                try store.storeProjections(Dictionary(listing.actual.compactMap { a in a.value.projection.map { ($0.hash, String(decoding: $0.json, as: UTF8.self)) } },
                                                      uniquingKeysWith: { a, _ in a }))
                known = Dictionary(uniqueKeysWithValues: listing.actual.map { ($0.key, .init(userId: $0.key, contactId: $0.value.contactId, hash: $0.value.hash)) })
            }
        } else if folderId == nil {
            // No folder yet (or the owner deleted it): everything must be made.
            plan = MailboxPlan(owner: owner, desired: desired, actual: [:], excluding: excluded)
            if !context.options.planOnly, !known.isEmpty {
                try store.replaceManagedContacts(owner, [])
                known = [:]
            }
        } else {
            plan = MailboxPlan(owner: owner, desired: desired, actual: try sync.fromState(known), excluding: excluded)
        }
        logger.debug("planned \(plan.creates) creates, \(plan.updates) updates, \(plan.deletes) deletes, \(plan.unchanged) unchanged (\(listing != nil ? "from a listing" : "from the snapshot"))",
                     metadata: ["mailbox": "\(owner)", "count": "\(plan.operations.count)"])
        return PlannedMailbox(sync: sync, plan: plan, folderId: folderId, known: known)
    }

    /// Mailboxes that left the targets: galsync's contacts (and folder) go. A mailbox whose
    /// owner left the directory, or that was skipped, is only forgotten.
    /// `forget`: those mailboxes, forgotten only after the mass-delete guard passed (their
    /// managed contacts count as deletes there).
    func planLeavers(targets: Set<String>, users: [String: DirectoryUser], context: PlanContext) async throws -> (planned: [PlannedMailbox], forget: [String]) {
        var planned: [PlannedMailbox] = []
        var forget: [String] = []
        for (owner, record) in context.records where !targets.contains(owner) {
            try Task.checkCancellation()
            if users[owner] == nil || record.state == "skipped" {
                forget.append(owner)
                continue
            }
            let known = try store.managedContacts(owner)
            let sync = mailboxSync(owner)
            var actual = try sync.fromState(known)
            var extra: [(contactId: String, userId: String)] = []
            if context.uncertain.contains(owner) || record.state != "ok", let folder = record.folderId ?? (config.sync.folder.isEmpty ? "" : nil) {
                // Uncertain: only a listing says what is there. When it fails, the mailbox waits
                // for the next cycle rather than be forgotten with contacts the state does not know.
                do {
                    let listing = try await sync.list(folderId: folder, known: known)
                    actual = listing.actual
                    extra = listing.duplicates
                } catch is CancellationError {
                    throw CancellationError()
                } catch let error as GraphError where error.status == 404 && !folder.isEmpty {
                    // The folder is gone, and its contacts with it.
                    actual = [:]
                } catch {
                    if !context.options.planOnly { try store.setMailbox(owner, state: "failed", reason: "listing a mailbox that left the targets: \(error)") }
                    continue
                }
            }
            planned.append(PlannedMailbox(sync: sync, plan: MailboxPlan(owner: owner, desired: [:], actual: actual, extraContacts: extra),
                                          folderId: record.folderId, known: known, leaving: true))
        }
        return (planned, forget)
    }

    /// `plan`'s report: counts per mailbox and its first operations, named.
    func describePlans(_ planned: [PlannedMailbox], users: [String: DirectoryUser], summary: inout CycleSummary) throws {
        summary.isPlan = true
        for entry in planned {
            let plan = entry.plan
            summary.created += plan.creates; summary.updated += plan.updates; summary.deleted += plan.deletes
            let known = try store.managedContacts(entry.sync.owner, userIds: plan.operations.prefix(3).map(\.userId))
            // Leavers are no longer in the snapshot: their names come from the state.
            // (A mailbox list's removed source contacts are named in the list's own state.)
            let goneIds = plan.operations.prefix(3).map(\.userId).filter { users[$0] == nil }
            let gone = try directory.people(goneIds).merging(store === directory ? [:] : try store.people(goneIds)) { a, _ in a }
            let samples = try plan.operations.prefix(3).map { op -> String in
                // Planned from the state, an update does not carry the old fields: look them up to name what changes.
                guard case .update(let id, let p, nil) = op, let hash = known[p.userId]?.hash,
                      let old = try store.projection(hash).flatMap({ JSONValue.parse(Data($0.utf8))?.objectValue }) else {
                    return Self.describe(op, users, gone)
                }
                return Self.describe(.update(contactId: id, p, previous: ContactProjection(userId: p.userId, fields: old, table: p.table)), users, gone)
            }
            summary.plans.append(.init(owner: entry.sync.owner, creates: plan.creates, updates: plan.updates, deletes: plan.deletes, unchanged: plan.unchanged,
                                       samples: samples))
        }
        summary.mailboxesOK = planned.count
        summary.outcomes.ok = Set(planned.map(\.sync.owner))
    }

    /// "create Alice Ng (alice@contoso.com)", "delete Ravi Kowalski (ravi@contoso.com)".
    static func describe(_ op: MailboxPlan.Operation, _ users: [String: DirectoryUser], _ gone: [String: PersonName] = [:]) -> String {
        let name = { (id: String) in
            users[id].map { PersonName(id: id, upn: $0.userPrincipalName, displayName: $0.string("displayName")).label } ?? gone[id]?.label ?? id
        }
        switch op {
        case .create(let p): return "create \(name(p.userId))"
        case .update(_, let p, let previous):
            let fields = p.table.selectedKeys.filter { previous?.field($0) != p.field($0) }
            return "update \(name(p.userId)) (\(fields.joined(separator: ", ")))"
        case .delete(_, let u): return "delete \(name(u))"
        case .photo(_, let u, _): return "photo \(name(u))"
        }
    }
}
