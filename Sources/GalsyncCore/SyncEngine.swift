import Foundation
import GalsyncConfig
import GalsyncJSON
import GalsyncPlan
import GalsyncWriter
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
    /// What this engine's cycles confirmed so far (read by an interrupted cycle's record).
    public let progress: CycleProgress

    public init(config: Configuration, graph: GraphAPI, store: StateStore, logger: Logger = .silent, projections: ProjectionCache = ProjectionCache(),
                progress: CycleProgress = CycleProgress(), now: @escaping @Sendable () -> Date = { Date() }) {
        self.config = config
        self.progress = progress
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
        func finish() -> CycleSummary {
            summary.requests = graph.metrics.requests - requestsBefore
            summary.throttled = graph.metrics.throttled - throttledBefore
            summary.duration = now().timeIntervalSince(started)
            summary.names = (try? store.people(Set(summary.problems.keys).union(summary.plans.map(\.owner)))) ?? [:]
            return summary
        }

        // 1. Directory, saved (not by `plan`) before anything else happens, unless a full
        //    enumeration would drop a suspicious share of the known users.
        progress.phase("reading the directory")
        let orgStart = config.directory.includeOrgContacts
            ? DirectoryReader.OrgStart(snapshot: try store.orgContactSnapshot(), deltaLink: try store.meta("contacts_delta_link"), select: try store.meta("contacts_delta_select"))
            : nil
        var round = try await DirectoryReader(graph: graph, retry: retry, extra: SyncScope.extraProperties(config), hidden: try hiddenReadDue())
            .read(snapshot: try store.directorySnapshot(), deltaLink: try store.meta("delta_link"), savedSelect: try store.meta("delta_select"),
                  groups: SyncScope.groups(config), org: orgStart)
        try Task.checkCancellation()
        if round.full, round.known > 0, !options.allowMassDelete {
            let dropped = round.dropped
            if dropped == round.known || (dropped > 10 && Double(dropped) > Double(round.known) * config.sync.maxDeletesPercent / 100) {
                let refusal = SyncError.directoryShrank(dropped: dropped, known: round.known, limit: config.sync.maxDeletesPercent)
                guard options.planOnly else { throw refusal }
                summary.warnings.append("sync would refuse this cycle: \(refusal)")
            }
        }
        // The same valve for the mail contacts' own full round (an expired link, a new select).
        if let org = round.org, org.full, let known = orgStart?.snapshot, !known.isEmpty, !options.allowMassDelete {
            let dropped = known.keys.reduce(0) { $0 + (org.contacts[$1] == nil ? 1 : 0) }
            if dropped == known.count || (dropped > 10 && Double(dropped) > Double(known.count) * config.sync.maxDeletesPercent / 100) {
                let refusal = SyncError.directoryShrank(dropped: dropped, known: known.count, limit: config.sync.maxDeletesPercent, what: "mail contacts")
                guard options.planOnly else { throw refusal }
                summary.warnings.append("sync would refuse this cycle: \(refusal)")
            }
        }
        if !options.planOnly {
            try store.applyDirectory(upserts: round.changed.lazy.map { ($0.key, $0.value.json) }, removals: round.removed, deltaLink: round.deltaLink, select: round.select, replaceAll: round.full)
            try store.setGroupMembers(round.groupMembers)
        }
        if let org = round.org {
            if !options.planOnly {
                try store.applyOrgContacts(upserts: org.changed.lazy.map { ($0.key, $0.value.json) }, removals: org.removed, deltaLink: org.deltaLink,
                                           select: OrgContactPages.select, replaceAll: org.full)
            }
            // From here on the mail contacts are sources like users (never targets); what changed
            // among them is projected again like a changed user.
            round.users.merge(org.contacts) { user, _ in user }
            for (id, c) in org.changed { round.changed[id] = c }
            round.removed.formUnion(org.removed)
        }

        // 2. Scope and desired contacts.
        if let previous = try store.meta("folder"), previous != config.sync.folder, !(try store.mailboxes().isEmpty) {
            throw SyncError.folderChanged(from: previous, to: config.sync.folder)
        }
        if !options.planOnly { try store.setMeta("folder", config.sync.folder) }
        let hidden = try hiddenUsers(round, options: options, summary: &summary)
        var scope = SyncScope(users: round.users, groupMembers: round.groupMembers, config: config, hidden: hidden)
        if !config.directory.excludeMailboxTypes.isEmpty {
            // The mailbox types of the candidates the other rules keep decide the final scope.
            let purposes = try await mailboxPurposes(round, candidates: Set(scope.sources.keys).union(scope.targets), options: options, summary: &summary)
            scope = SyncScope(users: round.users, groupMembers: round.groupMembers, config: config, hidden: hidden, purposes: purposes)
        }
        for target in scope.unresolvedTargets { summary.problems[target] = "not in the directory: check [mailboxes] users" }
        let desired = try await desiredContacts(scope.sources, round: round, options: options)

        // 2½. What owners changed in galsync's folders since the last check, when one is due.
        if try driftCheckDue(options) {
            progress.phase("checking \(scope.targets.count) mailboxes for owners' edits")
            summary.drift = try await checkDrift(scope.targets)
        }

        // 3. Plan every mailbox: the targets, and those that left the targets.
        let context = try PlanContext(store: store, config: config, options: options, now: now(), changes: desired.changes)
        progress.phase("planning \(scope.targets.count) mailboxes")
        logger.info("planning \(scope.targets.count) mailboxes for \(desired.projections.count) directory contacts")
        var planned = try await planTargets(scope.targets, desired: desired.projections, context: context, summary: &summary)
        let leavers = try await planLeavers(scope: scope, users: round.users, context: context)
        planned += leavers.planned
        try Task.checkCancellation()

        // 4. The safety valve, before any write: forgetting a mailbox abandons its contacts,
        //    so they count as deletes too.
        //    (All managed contacts are counted only when there are enough deletes to matter.)
        let forgotten = try leavers.forget.reduce(0) { $0 + (try store.managedContactCount($1)) }
        let deletes = planned.reduce(0) { $0 + $1.plan.deletes } + forgotten
        if !options.allowMassDelete, deletes > 10, case let managed = try store.managedContactCount(),
           Double(deletes) > Double(max(managed, 1)) * config.sync.maxDeletesPercent / 100 {
            let largest = planned.filter { $0.plan.deletes > 0 }.sorted { $0.plan.deletes > $1.plan.deletes }.prefix(3)
            let names = try store.people(largest.map(\.sync.owner))
            let refusal = SyncError.massDelete(planned: deletes, managed: managed, limit: config.sync.maxDeletesPercent,
                                               largest: largest.map { "\(names[$0.sync.owner]?.handle ?? $0.sync.owner): \($0.plan.deletes)" })
            guard options.planOnly else { throw refusal }
            summary.warnings.append("sync would refuse this cycle: \(refusal)")
        }
        summary.unchanged += planned.reduce(0) { $0 + $1.plan.unchanged }
        // An owner who left the directory leaves galsync's contacts in a mailbox that comes back
        // if they are restored: remembered as departed, for `purge --all`.
        if !options.planOnly { for owner in leavers.forget { try store.forgetMailbox(owner, departed: round.users[owner] == nil) } }
        if options.planOnly {
            try describePlans(planned, users: round.users, summary: &summary)
            return finish()
        }

        // 5. Write: folders first, then every mailbox's operations through shared batches;
        //    one failing mailbox does not stop the others.
        progress.phase("writing")
        let work = planned.filter { !$0.plan.operations.isEmpty }
        if !work.isEmpty { logger.info("writing \(work.reduce(0) { $0 + $1.plan.operations.count }) operations into \(work.count) mailboxes") }
        try await write(planned, desired: desired.projections, reconcileDue: context.reconcileDue, generation: desired.generation, summary: &summary)
        // Failed mailboxes are listed again next cycle anyway (state "failed"), so one bad
        // mailbox does not keep the whole tenant in full reconcile.
        if context.reconcileDue {
            // A full listing is a drift check too: the next one is due a `drift_check` later.
            try store.setMeta("last_full_reconcile", String(now().timeIntervalSince1970))
            try store.setMeta("last_drift_check", String(now().timeIntervalSince1970))
        }
        // Pruning scans every managed contact: only after a cycle that may have changed which
        // projections they refer to (a listing, a write, a forgotten mailbox).
        if !leavers.forget.isEmpty || planned.contains(where: { !$0.fromChanges || !$0.plan.operations.isEmpty }) { try store.pruneProjections() }
        return finish()
    }
}
