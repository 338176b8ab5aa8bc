import Foundation
import GalsyncConfig
import GalsyncPlan
import GalsyncSources
import GalsyncWriter
import GraphClient
import GraphHTTP
import SyncStore

/// The photo pass of a list, after its contact writes: contacts made again without a removed
/// photo, then uploads (see `SyncEngine+Photos.swift`).
extension SyncEngine {
    /// What this list's contacts still need: in `plan`, counted; otherwise carried out after the
    /// list's contact writes. Mailboxes that failed this cycle wait for the next.
    func writePhotos(_ round: PhotoRound, work: ListWork, summary: inout CycleSummary) async throws {
        var photoSummary = CycleSummary.PhotoSummary()
        let planOnly = summary.isPlan || work.context?.options.planOnly == true
        let reconcile = work.context?.reconcileDue == true
        // Nothing can need a photo when no user's photo changed, no contact was made, nothing was
        // left over and no reconcile is due: an idle cycle reads no managed contact for photos.
        // (A mailbox listed this cycle may have adopted contacts made late: no shortcut then.)
        if !planOnly, !reconcile, round.changedUsers == 0, summary.created == 0, summary.listedAgain == 0, work.planned.allSatisfy(\.fromChanges),
           try store.meta(Self.photoWorkLeft) == "0", try store.meta(Self.photoPassWhole) == "1" {
            summary.photos = photoSummary
            return
        }
        if !planOnly { try store.setMeta(Self.photoPassWhole, "0") }
        if !planOnly, reconcile {
            try await checkPlacedPhotos(policy: work.engine.config.contact.photoPolicy, skipping: summary.outcomes.failed, summary: &photoSummary)
        }
        let records = try store.mailboxes()
        let withPhotos = round.photos.filter { !$0.value.isEmpty }
        // Contacts carrying galsync's photo of a user who has none now (few: users without a photo).
        let removals = try store.contactPhotoWork(photos: round.photos.filter { $0.value.isEmpty }, skipping: summary.outcomes.failed)
        if planOnly {
            photoSummary.written = try store.contactPhotoWork(photos: withPhotos, skipping: summary.outcomes.failed).count
            photoSummary.recreated = removals.count
            summary.photos = photoSummary
            return
        }
        var refused = 0
        func target(_ owner: String) throws -> BatchWriter.Target? {
            guard let folder = records[owner]?.folderId else { return nil }
            // Photos, deletes and creates read nothing of what the state knows (updates do).
            return BatchWriter.Target(sync: mailboxSync(owner), folderId: folder, known: [:])
        }
        var whole = true
        func run(_ ops: [String: [MailboxPlan.Operation]], photos: Bool = false) async throws -> BatchWriter.Ledger {
            var plans: [(BatchWriter.Target, MailboxPlan)] = []
            for (owner, list) in ops.sorted(by: { $0.key < $1.key }) {
                guard let t = try target(owner) else { whole = false; continue }  // no folder known: listed next cycle
                plans.append((t, MailboxPlan(owner: owner, operations: list)))
            }
            let cache = photoCache
            // A full-size photo may be 4 MB: one per batch then.
            return try await BatchWriter(graph: graph, store: store, concurrency: config.sync.concurrency, ceilingShare: config.sync.appShare, logger: logger, progress: progress,
                                         photoBytes: { cache.load($0) }, batchSize: photos && config.contact.photoSize == nil ? 1 : 20).run(plans)
        }
        // A removed photo: the contact is deleted and made again without one (not a delete of the
        // plan, but under a valve of its own: a burst of wrong answers must not make every
        // contact again, and each one made again loses what its owner kept on it).
        var remaking = removals
        let limit = max(10, Int(Double(try store.managedContactCount()) * config.sync.maxDeletesPercent / 100))
        if remaking.count > limit, work.context?.options.allowMassDelete != true {
            summary.warnings.append("\(remaking.count) contacts carry the photo of a user who removed it; making that many again is more than max_deletes_percent allows (\(limit)): not done this cycle (sync --allow-mass-delete does it)")
            refused = remaking.count
            remaking = []
        }
        if !remaking.isEmpty, let desired = work.desired?.projections {
            photoSummary.recreated = try await remake(remaking, desired: desired, run: run, summary: &summary)
        }
        // Uploads, a slice of every mailbox's work at a time (`photoSlice` each): every mailbox
        // stays busy (its own limits bind, not the number of mailboxes), and the work of 400,000
        // contacts is never held at once. What failed is left for the next cycle.
        var skipping = summary.outcomes.failed
        while true {
            let uploads = try store.contactPhotoWork(photos: withPhotos, perOwner: Self.photoSlice, skipping: skipping)
            guard !uploads.isEmpty else { break }
            progress.phase("putting \(uploads.count) photos on contacts")
            let ledger = try await run(Dictionary(grouping: uploads, by: \.owner).mapValues { $0.map { .photo(contactId: $0.contactId, userId: $0.userId, sha256: $0.sha256) } }, photos: true)
            let confirmed = await ledger.photos
            let written = confirmed.values.reduce(0, +)
            photoSummary.written += written
            let failures = await ledger.photoFailures
            photoSummary.failed += failures.values.reduce(0) { $0 + $1.count }
            for (owner, messages) in failures.sorted(by: { $0.key < $1.key }).prefix(Self.namedMailboxes) {
                logger.warning("\(owner): \(messages.count) photos not written (tried again next cycle): \(messages.first ?? "")")
            }
            skipping.formUnion(await ledger.photosFailed)
            // A mailbox the writer gave up on (a refused $batch: its work dropped) is left for the
            // next cycle too, which then makes the whole pass again.
            for (owner, messages) in await ledger.failures {
                whole = false
                skipping.insert(owner)
                logger.warning("\(owner): photos not written this cycle: \(messages.first ?? "")")
            }
            let answered = Set(uploads.map(\.owner)).filter { (confirmed[$0] ?? 0) > 0 || failures[$0] != nil }
            let dropped = Set(uploads.map(\.owner)).subtracting(answered)
            if !dropped.isEmpty { whole = false }
            skipping.formUnion(dropped)
            if written == 0 && failures.isEmpty { break }
        }
        if reconcile { try store.pruneContactPhotos() }
        // What is known to be left (for `status`, which must not scan the contacts), and whether
        // every mailbox had its pass (a failed one's work is not known).
        try store.setMeta(Self.photoWorkLeft, String(photoSummary.failed + refused))
        try store.setMeta(Self.photoPassWhole, whole && summary.outcomes.failed.isEmpty && summary.outcomes.pending.isEmpty ? "1" : "0")
        summary.photos = photoSummary
    }

    /// Contacts carrying galsync's photo of a user who removed it: deleted, then made again
    /// without one (two passes of the writer: a crash between leaves a missing contact, which
    /// the next cycle's plan makes, never a duplicate). A contact that could not be made again
    /// fails its mailbox like any contact write; what stays unknown is pending. Returns how many
    /// were made again.
    func remake(_ remaking: [StateStore.ContactPhotoWork], desired: [String: ContactProjection],
                run: ([String: [MailboxPlan.Operation]], Bool) async throws -> BatchWriter.Ledger, summary: inout CycleSummary) async throws -> Int {
        progress.phase("making \(remaking.count) contacts again without a photo")
        logger.info("\(remaking.count) contacts carry the photo of a user who removed it: made again without one")
        let deleted = try await run(Dictionary(grouping: remaking, by: \.owner).mapValues { $0.map { .delete(contactId: $0.contactId, userId: $0.userId) } }, false)
        var creates: [String: [MailboxPlan.Operation]] = [:]
        for r in remaking where try store.managedContacts(r.owner, userIds: [r.userId]).isEmpty {
            if let p = desired[r.userId] { creates[r.owner, default: []].append(.create(p)) }
        }
        let made = try await run(creates, false)
        // A contact deleted and not made again is a contact failure, not a photo's: its
        // mailbox is reported (the next cycle's plan makes it), and what stays unknown is pending.
        var failures = await deleted.failures
        for (owner, messages) in await made.failures { failures[owner, default: []] += messages }
        for (owner, messages) in failures {
            let reason = "making a contact again without its photo: \(messages.prefix(3).joined(separator: "; "))"
            summary.problems[owner] = summary.problems[owner].map { "\($0); \(reason)" } ?? "failed: \(reason)"
            if summary.outcomes.ok.remove(owner) != nil { summary.mailboxesOK -= 1 }
            if summary.outcomes.failed.insert(owner).inserted { summary.mailboxesFailed += 1 }
            try store.setMailbox(owner, state: "failed", reason: reason)
        }
        let unknown = await deleted.unconfirmed.merging(await made.unconfirmed, uniquingKeysWith: +)
        for (owner, n) in unknown where !failures.keys.contains(owner) {
            summary.pending += n
            if summary.outcomes.ok.remove(owner) != nil { summary.mailboxesOK -= 1 }
            summary.outcomes.pending.insert(owner)
            let reason = "\(n) contacts made again without their photo unconfirmed; the next cycle lists this mailbox"
            summary.problems[owner] = summary.problems[owner].map { "\($0); \(reason)" } ?? "pending: \(reason)"
            try store.setMailbox(owner, state: "pending", reason: reason)
        }
        return await made.outcomes.values.reduce(0) { $0 + $1.created }
    }
}
