import Foundation
import GalsyncConfig
import GalsyncJSON
import GalsyncPlan
import GalsyncSources
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
    /// The state of the list this engine keeps (the home list's is the directory's own).
    let store: StateStore
    /// The directory's state: the snapshot, people's names, hidden users, mailbox types.
    let directory: StateStore
    /// The named lists' projection caches (the home list's is `projections`).
    let listProjections: ListProjectionCaches
    let retry = RetryPolicy()
    let now: @Sendable () -> Date
    /// Per-mailbox and per-operation detail, at debug level only.
    let logger: Logger
    let projections: ProjectionCache
    /// The contact fields this engine's list writes (`[contact.fields]`, or a mailbox list's copy).
    let fieldTable: ContactFieldTable
    /// The state's records of the fields a listing compares with them, read once per engine.
    let recordedFields = RecordedFields()
    /// What this engine's cycles confirmed so far (read by an interrupted cycle's record).
    public let progress: CycleProgress

    public init(config: Configuration, graph: GraphAPI, store: StateStore, logger: Logger = .silent, projections: ProjectionCache = ProjectionCache(),
                listProjections: ListProjectionCaches = ListProjectionCaches(), progress: CycleProgress = CycleProgress(),
                directory: StateStore? = nil, fieldTable: ContactFieldTable? = nil, now: @escaping @Sendable () -> Date = { Date() }) {
        self.config = config
        self.fieldTable = fieldTable ?? .directory(config.contact)
        self.progress = progress
        self.graph = graph
        self.store = store
        self.directory = directory ?? store
        self.listProjections = listProjections
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
            summary.names = (try? directory.people(Set(summary.problems.keys).union(summary.plans.map(\.owner)))) ?? [:]
            return summary
        }

        // 1. Directory, saved (not by `plan`) before anything else happens, unless a full
        //    enumeration would drop a suspicious share of the known users. Read once for every
        //    list, with what all of them need (`directoryReading`).
        progress.phase("reading the directory")
        let reader = keeping(config.directoryReading, store: store, projections: projections)
        let orgStart = reader.config.directory.includeOrgContacts
            ? DirectoryReader.OrgStart(snapshot: try store.orgContactSnapshot(), deltaLink: try store.meta("contacts_delta_link"), select: try store.meta("contacts_delta_select"))
            : nil
        // Mailbox lists' source folders go on from their saved links in the same batches.
        var sources: [String: DirectoryReader.SourceStart] = [:]
        for list in config.lists {
            guard case .mailbox = list.source else { continue }
            let listStore = try engine(for: list, options: options).store
            sources[list.name] = try MailboxListSource(graph: graph, retry: retry, list: list, store: listStore).savedStart()
        }
        var round = try await DirectoryReader(graph: graph, retry: retry, extra: SyncScope.extraProperties(config), hidden: try reader.hiddenReadDue())
            .read(snapshot: try store.directorySnapshot(), deltaLink: try store.meta("delta_link"), savedSelect: try store.meta("delta_select"),
                  groups: SyncScope.groups(config), org: orgStart, sources: sources)
        try Task.checkCancellation()
        try Self.shrinkValve(full: round.full, known: round.known, dropped: round.dropped, what: "users", options: options, limit: config.sync.maxDeletesPercent, summary: &summary)
        // The same valve for the mail contacts' own full round (an expired link, a new select).
        if let org = round.org, org.full, let known = orgStart?.snapshot {
            let dropped = known.keys.reduce(0) { $0 + (org.contacts[$1] == nil ? 1 : 0) }
            try Self.shrinkValve(full: true, known: known.count, dropped: dropped, what: "mail contacts", options: options, limit: config.sync.maxDeletesPercent, summary: &summary)
        }
        if !options.planOnly {
            try store.applyDirectory(upserts: round.changed.lazy.map { ($0.key, $0.value.json) }, removals: round.removed, deltaLink: round.deltaLink, select: round.select, replaceAll: round.full)
            try store.setGroupMembers(round.groupMembers)
        }
        if let org = round.org {
            if !options.planOnly {
                try store.applyOrgContacts(upserts: org.changed.lazy.map { ($0.key, $0.value.json) }, removals: org.removed, deltaLink: org.deltaLink,
                                           select: OrgContactShape.select, replaceAll: org.full)
            }
            // From here on the mail contacts are sources like users (never targets); what changed
            // among them is projected again like a changed user.
            round.users.merge(org.contacts) { user, _ in user }
            for (id, c) in org.changed { round.changed[id] = c }
            round.removed.formUnion(org.removed)
        }

        // 2. Every list's sources, scope and plan; nothing is written before all are planned.
        let hidden = try reader.hiddenUsers(round, options: options, summary: &summary)
        var lists = try await prepareLists(round: round, hidden: hidden, reader: reader, options: options, summary: &summary)

        // 3. The safety valve of each list, before any list writes.
        for i in lists.indices { try lists[i].engine.refuseMassDelete(&lists[i], options: options) }
        // Users' photos, checked once for every list that copies them (before any write, so
        // that a contact made this cycle gets its photo this cycle).
        let photos = try await readPhotos(lists, round: round, options: options)
        if let photos { summary.photos = photos.summary }
        if options.planOnly {
            for i in lists.indices {
                try lists[i].engine.describePlans(lists[i].planned, users: lists[i].round.users, summary: &lists[i].summary)
                if let photos, Self.copiesPhotos(lists[i]) {
                    lists[i].summary.isPlan = true
                    try await lists[i].engine.writePhotos(photos, work: lists[i], summary: &lists[i].summary)
                }
                summary.absorb(lists[i].summary, list: lists[i].list.name)
            }
            if lists.count > 1 { summary.countingMailboxesOnce() }
            return finish()
        }

        // 4. Write, list by list (each list's mailboxes through shared batches).
        progress.phase("writing")
        for i in lists.indices {
            try await lists[i].engine.execute(&lists[i], photos: Self.copiesPhotos(lists[i]) ? photos : nil)
            summary.absorb(lists[i].summary, list: lists[i].list.name)
        }
        if lists.count > 1 { summary.countingMailboxesOnce() }
        return finish()
    }

    /// A full enumeration (an expired link, a new select) that would drop a suspicious share of
    /// what was known: an empty or truncated answer must not wipe the snapshot and every mailbox.
    static func shrinkValve(full: Bool, known: Int, dropped: Int, what: String, options: Options, limit: Double, summary: inout CycleSummary) throws {
        guard full, known > 0, !options.allowMassDelete else { return }
        guard dropped == known || (dropped > 10 && Double(dropped) > Double(known) * limit / 100) else { return }
        let refusal = SyncError.directoryShrank(dropped: dropped, known: known, limit: limit, what: what)
        guard options.planOnly else { throw refusal }
        summary.warnings.append("sync would refuse this cycle: \(refusal)")
    }

    /// This engine for another configuration and state (a list's), sharing the rest.
    func keeping(_ config: Configuration, store: StateStore, projections: ProjectionCache, fieldTable: ContactFieldTable? = nil) -> SyncEngine {
        SyncEngine(config: config, graph: graph, store: store, logger: logger, projections: projections, listProjections: listProjections,
                   progress: progress, directory: directory, fieldTable: fieldTable, now: now)
    }
}
