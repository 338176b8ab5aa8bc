import Foundation
import GalsyncConfig
import GalsyncPlan
import GalsyncSources
import GalsyncWriter
import GraphClient
import GraphHTTP
import SyncStore

/// Photos (`[contact] photos`): each user's photo is checked when the delta reports the user
/// new or changed, when galsync has never seen it, and at every full reconcile (the delta does
/// not report photo changes); downloaded once per change into `PhotoCache`; then, after a
/// list's contact writes, put on every managed contact that does not carry it yet (level-based,
/// from the state: `StateStore.contactPhotoWork`), through the same batches and pacing as the
/// contacts. A contact carrying galsync's photo of a user who removed theirs is made again
/// without one (Graph cannot delete a contact's photo).
extension SyncEngine {
    /// Users' photos as this cycle knows them: user id → sha256 of the bytes ("" = none).
    struct PhotoRound: Sendable {
        var photos: [String: String] = [:]
        /// Users whose photo this round found new, changed or removed.
        var changedUsers = 0
        var summary = CycleSummary.PhotoSummary()
    }

    var photoCache: PhotoCache { PhotoCache(statePath: config.sync.state) }
    /// Mailboxes whose photos on contacts are checked together at a full reconcile.
    static let photoWave = 20
    /// Photo writes per mailbox read and written together (every mailbox at once).
    static let photoSlice = 250
    /// `meta` keys: how many photo writes the last pass left (failed, or held back by the
    /// valve), and "1" when it reached every mailbox: together the idle shortcut's premise.
    public static let photoWorkLeft = "photo_work_left"
    public static let photoPassWhole = "photo_pass_whole"
    /// `user_photo.etag` of a user whose check failed before galsync ever saw their photo.
    static let uncheckedTag = "?"

    /// The lists that copy photos: directory-sourced lists with `photos = true`.
    static func copiesPhotos(_ work: ListWork) -> Bool {
        work.list.source == .directory && work.engine.config.contact.photos && work.desired != nil
    }

    /// Checks the photos of the users these lists copy (see the type's note) and records what
    /// changed in the directory's state. `plan` reads nothing: it counts who would be checked.
    func readPhotos(_ lists: [ListWork], round: DirectoryReader.Round, options: Options) async throws -> PhotoRound? {
        let copying = lists.filter(Self.copiesPhotos)
        guard !copying.isEmpty else { return nil }
        var ids: Set<String> = []
        for work in copying {
            for id in work.desired!.projections.keys where round.users[id]?.string("userType") != "OrgContact" { ids.insert(id) }
        }
        let known = try directory.userPhotos()
        let cache = photoCache
        let everyone = copying.contains { $0.context?.reconcileDue == true }
        let check = ids.filter { id in
            guard let k = known[id] else { return true }
            return everyone || round.changed[id] != nil || (k.hasPhoto && !cache.contains(k.sha256))
        }
        var result = PhotoRound()
        // A user whose check failed ("?") is not known to have no photo: no work either way.
        for id in ids { if let k = known[id], k.etag != Self.uncheckedTag { result.photos[id] = k.sha256 } }
        if options.planOnly {
            result.summary.toCheck = check.count
            return result
        }
        progress.phase("checking \(check.count) users' photos")
        let size = config.contact.photoSize
        let reading: UserPhotoReader.Reading
        do {
            reading = try await UserPhotoReader(graph: graph, retry: retry, cache: cache, size: size).read(check.sorted(), known: known)
        } catch let error where Self.photoFaultIsTheCycles(error) {
            throw error
        } catch {
            // Photos never stop the contacts: what the state knew stands, the next cycle asks again.
            logger.warning("users' photos could not be checked this cycle: \(error)")
            result.summary.unchecked = check.count
            return result
        }
        var changed: [String: StateStore.UserPhoto] = [:]
        var unknown = 0
        for (id, outcome) in reading.outcomes {
            switch outcome {
            case .known(let photo):
                result.photos[id] = photo.sha256
                if known[id] != photo { changed[id] = photo }
            case .unknown:
                unknown += 1
                // Never seen: recorded as checked (no photo known), so that an idle cycle does not
                // ask again; the next full reconcile, or a change the delta reports, does.
                if known[id] == nil { changed[id] = .init(etag: Self.uncheckedTag, sha256: "") }
            }
        }
        result.changedUsers = changed.count
        // Until each list's pass completes, its idle shortcut is off: a pass cut short (a crash,
        // a stop, a fault) must not leave these changes waiting for a full reconcile.
        if !changed.isEmpty { for work in copying { try work.engine.store.setMeta(Self.photoPassWhole, "0") } }
        let gone = known.keys.filter { !ids.contains($0) }
        try directory.setUserPhotos(changed, forget: gone, at: now())
        result.summary.checked = check.count - unknown
        result.summary.downloaded = reading.downloaded
        result.summary.bytes = reading.bytes
        result.summary.unchecked = unknown
        if reading.denied > 0 {
            logger.warning("\(reading.denied) users' photos could not be read: 403 (grant the app ProfilePhoto.Read.All or User.Read.All)")
        } else if unknown > 0 {
            logger.info("\(unknown) users' photos could not be checked this cycle; a change the directory reports, or the next full reconcile, checks them again")
        }
        // The cache keeps what some user's photo is now (old photos go at a full reconcile).
        if everyone { cache.prune(keeping: Set(result.photos.values.filter { !$0.isEmpty })) }
        if !changed.isEmpty { logger.info("\(changed.count) users' photos new, changed or removed; \(reading.downloaded) downloaded (\(reading.bytes / 1024) KiB)") }
        return result
    }

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
            return try await BatchWriter(graph: graph, store: store, concurrency: config.sync.concurrency, logger: logger, progress: progress,
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
            progress.phase("making \(remaking.count) contacts again without a photo")
            logger.info("\(remaking.count) contacts carry the photo of a user who removed it: made again without one")
            let deleted = try await run(Dictionary(grouping: remaking, by: \.owner).mapValues { $0.map { .delete(contactId: $0.contactId, userId: $0.userId) } })
            var creates: [String: [MailboxPlan.Operation]] = [:]
            for r in remaking where try store.managedContacts(r.owner, userIds: [r.userId]).isEmpty {
                if let p = desired[r.userId] { creates[r.owner, default: []].append(.create(p)) }
            }
            let made = try await run(creates)
            photoSummary.recreated = await made.outcomes.values.reduce(0) { $0 + $1.created }
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

    /// At a full reconcile: reads the metadata of every photo galsync put on a contact it still
    /// manages (one `$batch` item each, the mailboxes interleaved so that no mailbox has more
    /// than a few in flight) and compares its ETag with the one the last reconcile saw. A photo
    /// the owner removed (404) or replaced (another ETag) is put back under `overwrite` (the
    /// upload pass that follows writes it) and left to the owner under `keep_edits`. The first
    /// ETag seen after an upload is taken as galsync's.
    func checkPlacedPhotos(policy: ContactFieldRule.Policy, skipping failed: Set<String>, summary: inout CycleSummary.PhotoSummary) async throws {
        let owners = try store.mailboxes().keys.filter { !failed.contains($0) }.sorted()
        for wave in stride(from: 0, to: owners.count, by: Self.photoWave) {
            try await checkPlacedPhotos(owners: Array(owners[wave..<min(wave + Self.photoWave, owners.count)]), policy: policy, summary: &summary)
        }
    }

    /// One wave of mailboxes of `checkPlacedPhotos`.
    func checkPlacedPhotos(owners: [String], policy: ContactFieldRule.Policy, summary: inout CycleSummary.PhotoSummary) async throws {
        let byOwner = Dictionary(grouping: try store.placedPhotos(owners: owners), by: \.owner)
        guard !byOwner.isEmpty else { return }
        // Round-robin over the mailboxes: the n-th photo of each, then the (n+1)-th…
        var placed: [StateStore.PlacedPhoto] = []
        let holders = byOwner.keys.sorted()
        for n in 0..<(byOwner.values.map(\.count).max() ?? 0) {
            for owner in holders where n < byOwner[owner]!.count { placed.append(byOwner[owner]![n]) }
        }
        progress.phase("checking \(placed.count) photos on contacts")
        var seen: [StateStore.PlacedPhoto] = [], putBack: [StateStore.PlacedPhoto] = [], owners2: [StateStore.PlacedPhoto] = []
        var changed: [StateStore.PlacedPhoto] = []
        // Each answer is looked at as its batch comes back (not answered: the next reconcile).
        try await BatchedGets(graph: graph, retry: retry).fetch(placed.enumerated().map { i, p in
            (String(i), "/users/\(GraphPath.segment(p.owner))/contacts/\(GraphPath.segment(p.contactId))/photo")
        }, perBatch: 20) { key, a in
            guard let i = Int(key) else { return }
            let p = placed[i]
            var now = p
            switch a.status {
            case 200:
                now.etag = a.body?["@odata.mediaEtag"]?.stringValue
                if p.etag == nil { seen.append(now); return }
                if now.etag == p.etag { return }
            case 404 where UserPhotoReader.noPhoto(code: a.body?["error"]?["code"]?.stringValue ?? "", message: a.body?["error"]?["message"]?.stringValue ?? ""):
                now.etag = nil
            default:
                return
            }
            changed.append(now)
        }
        // Another ETag need not be another photo (Exchange may give a new one when galsync writes
        // other fields): the bytes decide. A removed photo (no ETag) is what it says.
        // Only bytes read and found different make it the owner's: one not answered waits for the
        // next reconcile.
        let replaced = changed.filter { $0.etag != nil }
        var same: Set<Int> = [], different: Set<Int> = []
        try await BatchedGets(graph: graph, retry: retry).fetch(replaced.enumerated().map { i, p in
            (String(i), "/users/\(GraphPath.segment(p.owner))/contacts/\(GraphPath.segment(p.contactId))/photo/$value")
        }, perBatch: config.contact.photoSize == nil ? 4 : 20) { key, answer in
            guard let i = Int(key), answer.status == 200, let data = UserPhotoReader.bytes(answer.body) else { return }
            if PhotoCache.sha256(data) == replaced[i].sha256 { same.insert(i) } else { different.insert(i) }
        }
        for (i, p) in replaced.enumerated() where same.contains(i) { seen.append(p) }
        let undecided = Set(replaced.indices.filter { !same.contains($0) && !different.contains($0) }.map { "\(replaced[$0].owner)/\(replaced[$0].userId)" })
        let sameKeys = Set(same.map { "\(replaced[$0].owner)/\(replaced[$0].userId)" }).union(undecided)
        for p in changed where !sameKeys.contains("\(p.owner)/\(p.userId)") {
            if policy == .keepEdits { owners2.append(p) } else { putBack.append(p) }
        }
        try store.settlePlacedPhotos(seen: seen, putBack: putBack, ownersNow: owners2)
        summary.checkedOnContacts += placed.count
        summary.putBack += putBack.count
        summary.leftToOwners += owners2.count
        if !putBack.isEmpty { logger.info("\(putBack.count) photos on contacts removed or replaced by their owners: put back") }
        if !owners2.isEmpty { logger.info("\(owners2.count) photos on contacts removed or replaced by their owners: left to them (photo policy keep_edits)") }
    }

    /// Errors that end the cycle even from the photo steps (no token, a stop, the state
    /// database); what Graph, the network or the photo cache's disk says only skips photos.
    static func photoFaultIsTheCycles(_ error: any Error) -> Bool {
        !(error is GraphError || error is HTTPTransportError || error is SyncError || error is CocoaError || error is POSIXError)
    }
}
