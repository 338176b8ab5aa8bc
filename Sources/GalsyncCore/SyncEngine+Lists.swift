import Foundation
import GalsyncConfig
import GalsyncPlan
import GalsyncSources
import SyncStore

/// Steps 2 to 5 of a cycle, once per list: each list has its own folder, sources, targets and
/// state, so lists never see each other's contacts. Every list is planned (and its mass-delete
/// guard passed) before any list writes.
extension SyncEngine {
    /// One list's part of a cycle, from its sources to its writes.
    struct ListWork {
        var list: ContactList
        /// This engine for the list: its configuration (`Configuration.keeping`) and its state.
        var engine: SyncEngine
        /// The list's sources' round: the directory's, or its source folder's.
        var round: DirectoryReader.Round
        var source: MailboxListSource.Reading?
        var targets: Set<String>
        var desired: ProjectionCache.Desired?
        var context: PlanContext?
        var planned: [PlannedMailbox] = []
        var forget: [String] = []
        /// Of `forget`, the owners who left the directory (remembered for `purge --all`).
        var departed: Set<String> = []
        var summary = CycleSummary()
    }

    /// Opens each list's state, reads the mailbox-sourced lists' folders, works out every
    /// list's scope (mailbox types read once for all of them), desired set and plan.
    func prepareLists(round: DirectoryReader.Round, hidden: Set<String>, reader: SyncEngine, options: Options,
                      summary: inout CycleSummary) async throws -> [ListWork] {
        var lists: [ListWork] = []
        for list in try keptLists() {
            let engine = try engine(for: list, options: options)
            var work = ListWork(list: list, engine: engine, round: round, targets: [])
            if case .mailbox = list.source {
                progress.phase("reading list \(list.name)'s source folder")
                let reading = try await MailboxListSource(graph: graph, retry: retry, list: list, store: engine.store).read(users: round.users, preRead: round.sourcePages[list.name])
                try Self.shrinkValve(full: reading.round.full, known: reading.round.known, dropped: reading.round.dropped, what: "contacts of list \(list.name)'s source folder",
                                     options: options, limit: config.sync.maxDeletesPercent, summary: &summary)
                work.round = reading.round
                work.source = reading
            }
            lists.append(work)
        }
        // Scopes without mailbox types first: their candidates are whose types are read.
        func scope(_ work: ListWork, purposes: [String: String]) -> (sources: [String: DirectoryUser], targets: Set<String>, unresolved: [String]) {
            let s = SyncScope(users: round.users, groupMembers: round.groupMembers, config: work.engine.config, hidden: hidden, purposes: purposes)
            guard let reading = work.source else { return (s.sources, s.targets, s.unresolvedTargets) }
            // A folder's contacts are all sources; its own mailbox is never a target (it would copy into itself).
            return (reading.round.users, s.targets.subtracting([reading.owner]), s.unresolvedTargets)
        }
        var purposes: [String: String] = [:]
        if !reader.config.directory.excludeMailboxTypes.isEmpty {
            let candidates = lists.reduce(into: Set<String>()) { all, work in
                let s = scope(work, purposes: [:])
                all.formUnion(work.source == nil ? Set(s.sources.keys) : []); all.formUnion(s.targets)
            }
            purposes = try await reader.mailboxPurposes(round, candidates: candidates, options: options, summary: &summary)
        }
        // Each list's scope once (at 100,000 users one costs about 0.3 s).
        let scopes = lists.map { scope($0, purposes: purposes) }
        for i in lists.indices { lists[i].targets = scopes[i].targets }
        // A folder galsync writes is never a source: it would copy its own copies.
        for work in lists {
            guard case .mailbox(let m, let f) = work.list.source, let owner = work.source?.owner else { continue }
            if let other = lists.first(where: { $0.list.folder.lowercased() == f.lowercased() && $0.targets.contains(owner) }) {
                throw SyncError.badConfiguration("list '\(work.list.name)' copies \(m)'s folder '\(f)', which list '\(other.list.name)' writes (that mailbox is one of its targets): "
                    + "copy a folder people keep by hand, or leave \(m) out of list '\(other.list.name)''s targets")
            }
        }
        for i in lists.indices {
            let s = scopes[i]
            for target in s.unresolved { lists[i].summary.problems[target] = "not in the directory: check [mailboxes] users" }
            do {
                try await lists[i].engine.plan(&lists[i], sources: s.sources, owners: round.users, options: options)
            } catch let error as SyncError where !lists[i].list.name.isEmpty {
                throw SyncError.inList(lists[i].list.name, error)
            }
            lists[i].departed = Set(lists[i].forget.filter { round.users[$0] == nil })
        }
        return lists
    }

    /// The lists this cycle keeps (`KeptLists.all`).
    func keptLists() throws -> [ContactList] { try KeptLists.all(config, home: store) }

    /// The engine that keeps `list`: the home list's state is this engine's; a named list's is
    /// its own file (`Configuration.statePath(of:)`), opened read-only (or empty) by `plan`.
    func engine(for list: ContactList, options: Options) throws -> SyncEngine {
        let path = config.statePath(of: list)
        let listConfig = config.keeping(list)
        if KeptLists.isHome(list, config) { return keeping(listConfig, store: store, projections: projections, fieldTable: .of(list)) }
        let listStore: StateStore
        if options.planOnly {
            listStore = FileManager.default.fileExists(atPath: path) ? try StateStore(path: path, readOnly: true) : try StateStore(inMemory: ())
        } else {
            listStore = try StateStore(path: path)
        }
        return keeping(listConfig, store: listStore, projections: listProjections.cache(list.name), fieldTable: .of(list))
    }

    /// Step 2 and 3 for one list: its source round saved, its desired set, a drift check when
    /// due, and every mailbox's plan (the targets and those that left them).
    /// `owners`: the directory's users (whose mailboxes are targets).
    func plan(_ work: inout ListWork, sources: [String: DirectoryUser], owners: [String: DirectoryUser], options: Options) async throws {
        if let reading = work.source, !options.planOnly {
            let r = reading.round
            try store.applyDirectory(upserts: r.changed.lazy.map { ($0.key, $0.value.json) }, removals: r.removed, deltaLink: r.deltaLink, select: r.select, replaceAll: r.full)
            try store.setMeta("source_key", reading.key)
            try store.setMeta("source_folder_id", reading.folderId)
        }
        if let previous = try store.meta("folder"), previous != config.sync.folder, !(try store.mailboxes().isEmpty) {
            throw SyncError.folderChanged(from: previous, to: config.sync.folder)
        }
        if !options.planOnly { try store.setMeta("folder", config.sync.folder) }
        let desired = try await desiredContacts(sources, round: work.round, options: options)
        if try driftCheckDue(options) {
            progress.phase("checking \(work.targets.count) mailboxes for owners' edits")
            work.summary.drift = try await checkDrift(work.targets)
        }
        let context = try PlanContext(store: store, config: config, options: options, now: now(), changes: desired.changes)
        progress.phase("planning \(work.targets.count) mailboxes")
        logger.info("planning \(work.targets.count) mailboxes for \(desired.projections.count) \(work.list.name.isEmpty ? "directory" : "list \(work.list.name)") contacts")
        var scope = work.summary
        work.planned = try await planTargets(work.targets, desired: desired.projections, context: context, summary: &scope)
        work.summary = scope
        let leavers = try await planLeavers(targets: work.targets, users: owners, context: context)
        work.planned += leavers.planned
        work.forget = leavers.forget
        work.summary.unchanged += work.planned.reduce(0) { $0 + $1.plan.unchanged }
        work.desired = desired
        work.context = context
        try Task.checkCancellation()
    }

    /// The safety valve, before any write: forgetting a mailbox abandons its contacts, so they
    /// count as deletes too. (All managed contacts are counted only when there are enough
    /// deletes to matter.)
    func refuseMassDelete(_ work: inout ListWork, options: Options) throws {
        let forgotten = try work.forget.reduce(0) { $0 + (try store.managedContactCount($1)) }
        let deletes = work.planned.reduce(0) { $0 + $1.plan.deletes } + forgotten
        guard !options.allowMassDelete, deletes > 10, case let managed = try store.managedContactCount(),
              Double(deletes) > Double(max(managed, 1)) * config.sync.maxDeletesPercent / 100 else { return }
        let largest = work.planned.filter { $0.plan.deletes > 0 }.sorted { $0.plan.deletes > $1.plan.deletes }.prefix(3)
        let names = try directory.people(largest.map(\.sync.owner))
        let refusal = SyncError.massDelete(planned: deletes, managed: managed, limit: config.sync.maxDeletesPercent,
                                           largest: largest.map { "\(names[$0.sync.owner]?.handle ?? $0.sync.owner): \($0.plan.deletes)" })
        guard options.planOnly else {
            guard !work.list.name.isEmpty else { throw refusal }
            throw SyncError.inList(work.list.name, refusal)
        }
        work.summary.warnings.append("sync would refuse this cycle: \(refusal)")
    }

    /// Steps 4 and 5 for one list: leavers forgotten, every mailbox's operations written, the
    /// reconcile time recorded, unused projections pruned.
    func execute(_ work: inout ListWork, photos: PhotoRound? = nil) async throws {
        guard let desired = work.desired, let context = work.context else { return }
        // An owner who left the directory leaves galsync's contacts in a mailbox that comes back
        // if they are restored: remembered as departed, for `purge --all`.
        for owner in work.forget { try store.forgetMailbox(owner, departed: work.departed.contains(owner)) }
        let count = work.planned.reduce(0) { $0 + $1.plan.operations.count }
        if count > 0 { logger.info("writing \(count) operations into \(work.planned.filter { !$0.plan.operations.isEmpty }.count) mailboxes\(work.list.name.isEmpty ? "" : " (list \(work.list.name))")") }
        var summary = work.summary
        try await write(work.planned, desired: desired.projections, reconcileDue: context.reconcileDue, generation: desired.generation, summary: &summary)
        if context.reconcileDue {
            // A full listing is a drift check too: the next one is due a `drift_check` later.
            try store.setMeta("last_full_reconcile", String(now().timeIntervalSince1970))
            try store.setMeta("last_drift_check", String(now().timeIntervalSince1970))
        }
        if let photos {
            // After the contacts (a contact made now gets its photo now); a photo fault never
            // fails the contacts' cycle.
            do {
                try await writePhotos(photos, work: work, summary: &summary)
            } catch let error where Self.photoFaultIsTheCycles(error) {
                throw error
            } catch {
                logger.warning("photos not written this cycle: \(error)")
                summary.warnings.append("photos not written this cycle: \(error); the next cycle tries again")
            }
        }
        work.summary = summary
        // Pruning scans every managed contact: only after a cycle that may have changed which
        // projections they refer to (a listing, a write, a forgotten mailbox).
        if !work.forget.isEmpty || work.planned.contains(where: { !$0.fromChanges || !$0.plan.operations.isEmpty }) { try store.pruneProjections() }
    }

}
