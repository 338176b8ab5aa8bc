import Foundation
import GalsyncJSON
import GalsyncPlan
import GalsyncText
import GraphClient
import Logging
import SyncStore

/// Carries out every mailbox's plan through `$batch` requests of up to 20 operations, with up
/// to one batch per mailbox with work in flight (Graph runs at most 4 operations of a batch at
/// once, and a mailbox is in one batch at most), at most `sync.concurrency / 4`, and fewer when
/// `InFlightLimit` says Graph's global per-app ceiling would be passed.
/// Results are committed per batch response; a throttled item is retried alone after its
/// mailbox's `Retry-After`; an update or delete that met a 5xx is retried with backoff; a
/// create whose outcome is unknown (5xx, lost answer) is not sent again blindly: its intent
/// stays, it is counted as unconfirmed, and the cycle lists that mailbox and adopts what is
/// there before writing what is still missing (`SyncEngine.write`'s follow-up rounds).
/// Any error a worker throws (the state database, the token) closes the queue, so the other
/// workers stop at once instead of waiting for batches that will never complete.
package struct BatchWriter {
    package struct Target: Sendable {
        package var sync: MailboxSync
        package var folderId: String
        package var known: [String: StateStore.ManagedContact]

        package init(sync: MailboxSync, folderId: String, known: [String: StateStore.ManagedContact]) {
            self.sync = sync
            self.folderId = folderId
            self.known = known
        }
    }

    let graph: GraphAPI
    let store: StateStore
    let concurrency: Int
    /// This writer's share of Graph's global per-app ceiling: 1 / the tenants sharing the app.
    let ceilingShare: Double
    let logger: Logger
    let progress: CycleProgress
    /// Create bodies encoded once per cycle.
    let bodies = CreateBodies()
    /// A photo's bytes by sha256 (`PhotoCache`), read when its batch is assembled.
    let photoBytes: @Sendable (String) -> Data?
    /// Operations per `$batch` (20, Graph's most; fewer for full-size photos, up to 4 MB each).
    let batchSize: Int
    static let maxAttempts = 6
    /// Times an update's current fields are read before its mailbox is given up for the cycle.
    static let maxReadAttempts = 3
    static let jsonHeader = Array(#","headers":{"Content-Type":"application/json"},"body":"#.utf8)
    /// 429s one operation may meet in a cycle before its mailbox is given up for this cycle:
    /// waits follow Retry-After, so this bounds a cycle against a mailbox that never recovers.
    static let maxThrottled = 10
    /// Exchange's code for a 429 of one mailbox's limits (concurrency or request rate); any
    /// other 429 is the app's global limit.
    static let mailboxThrottledCode = "ApplicationThrottled"

    package init(graph: GraphAPI, store: StateStore, concurrency: Int, ceilingShare: Double = 1, logger: Logger, progress: CycleProgress,
                 photoBytes: @escaping @Sendable (String) -> Data? = { _ in nil }, batchSize: Int = 20) {
        self.photoBytes = photoBytes
        self.batchSize = batchSize
        self.graph = graph
        self.store = store
        self.concurrency = concurrency
        self.ceilingShare = ceilingShare
        self.logger = logger
        self.progress = progress
    }

    /// What happened per mailbox; every confirmed operation is also counted in `progress`.
    package actor Ledger {
        let progress: CycleProgress
        /// Operations each mailbox has left to be answered, for the progress's mailbox count.
        var left: [String: Int]
        init(progress: CycleProgress, planned: [String: Int] = [:]) {
            self.progress = progress
            left = planned
        }
        /// One of `owner`'s operations answered: the mailbox is done when none is left.
        func answered(_ owner: String, _ n: Int = 1) {
            guard let l = left[owner] else { return }
            if l <= n { left[owner] = nil; progress.mailboxDone() } else { left[owner] = l - n }
        }
        package var outcomes: [String: MailboxSync.Outcome] = [:]
        package var failures: [String: [String]] = [:]
        package var folderMissing: Set<String> = []
        /// Operations whose outcome Graph left unknown (a 5xx or lost answer for a create, an
        /// update or delete that ran out of attempts): the mailbox is listed again.
        package var unconfirmed: [String: Int] = [:]
        func unknown(_ owner: String) { unconfirmed[owner, default: 0] += 1; answered(owner) }
        /// An operation that needed no request (an update the mailbox already holds).
        func settled(_ owner: String) { answered(owner) }
        func add(_ owner: String, created: Int = 0, updated: Int = 0, deleted: Int = 0) {
            outcomes[owner, default: .init()].created += created
            outcomes[owner, default: .init()].updated += updated
            outcomes[owner, default: .init()].deleted += deleted
            progress.add(created: created, updated: updated, deleted: deleted)
            answered(owner, created + updated + deleted)
        }
        /// Photos confirmed on contacts, and photo writes that failed (retried next cycle; they
        /// fail neither the contact nor the mailbox).
        package var photos: [String: Int] = [:]
        package var photoFailures: [String: [String]] = [:]
        /// "owner/user" of each photo write that failed (not tried again in this cycle's pass).
        package var photosFailed: Set<String> = []
        func photo(_ owner: String) { photos[owner, default: 0] += 1; answered(owner) }
        func photoFailed(_ owner: String, _ userId: String, _ message: String) {
            photoFailures[owner, default: []].append(message)
            photosFailed.insert("\(owner)/\(userId)")
            answered(owner)
        }
        func fail(_ owner: String, _ message: String, folderMissing missing: Bool = false) {
            failures[owner, default: []].append(message)
            if missing { folderMissing.insert(owner) }
            if left[owner] != nil { left[owner] = nil; progress.mailboxDone() }
        }
    }

    package func run(_ plans: [(Target, MailboxPlan)]) async throws -> Ledger {
        let maxBatches = max(1, concurrency / 4)
        var scheduler = BatchScheduler(batchSize: batchSize, maxInFlight: maxBatches, ceiling: InFlightLimit.graphCeiling * ceilingShare)
        var byOwner: [String: Target] = [:]
        for (t, plan) in plans {
            scheduler.add(owner: t.sync.owner, plan.operations)
            byOwner[t.sync.owner] = t
        }
        let queue = BatchQueue(scheduler, onWait: { [metrics = graph.metrics] in metrics.recordDeliberateWait() })
        let planned = Dictionary(plans.filter { !$1.operations.isEmpty }.map { ($0.sync.owner, $1.operations.count) }, uniquingKeysWith: +)
        progress.writing(mailboxes: planned.count, operations: planned.values.reduce(0, +))
        let ledger = Ledger(progress: progress, planned: planned)
        let targets = byOwner
        // One worker per batch that may be in flight: no more than there are mailboxes with work.
        let workers = max(1, min(maxBatches, plans.filter { !$1.operations.isEmpty }.count))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    do {
                        while let batch = await queue.next() {
                            try await send(batch, targets: targets, queue: queue, ledger: ledger)
                        }
                    } catch {
                        // The others may be waiting for this batch to complete: release them.
                        await queue.close()
                        throw error
                    }
                }
            }
            try await group.waitForAll()
        }
        try Task.checkCancellation()
        return ledger
    }

    func send(_ batch: [BatchScheduler.Pending], targets: [String: Target], queue: BatchQueue, ledger: Ledger) async throws {
        let owners = Set(batch.map(\.owner))
        // An intent per mailbox with creates in this batch, before anything is sent; cleared
        // with the answer unless a create's outcome stays unknown.
        let creating = Set(batch.compactMap { p -> String? in if case .create = p.op { p.owner } else { nil } })
        let intents = creating.isEmpty ? [:] : try store.recordBatchIntents(owners: creating)
        /// Mailboxes with a create whose outcome is unknown: their intent stays.
        var uncertain: Set<String> = []
        // The request, assembled as bytes: a create's body is the same in every mailbox, so it
        // is encoded once per cycle (`bodies`), not once per mailbox.
        // An update's previous fields (from its listing, or the state), and the current values
        // of the fields that keep what the mailbox holds, read first where it touches any.
        var olds: [Int: ContactProjection] = [:]
        var storedRecords: [Int: ContactProjection] = [:]
        var reads: [CurrentRead] = []
        for (i, pending) in batch.enumerated() {
            guard case .update(let contactId, let p, let previous) = pending.op else { continue }
            let t = targets[pending.owner]!
            // What the state records (read when the plan has no fields, or when categories need
            // what galsync put there before a listing's view).
            let needStored = previous == nil || p.table.hasCategories
            let stored = needStored ? try t.known[p.userId].flatMap { try store.projection($0.hash) }
                .flatMap { JSONValue.parse(Data($0.utf8))?.objectValue }.map { ContactProjection(userId: p.userId, fields: $0, table: p.table) } : nil
            let old = previous ?? stored
            olds[i] = old
            if previous != nil { storedRecords[i] = stored }
            let keys = p.fieldsToRead(from: old)
            if !keys.isEmpty { reads.append(CurrentRead(index: i, owner: pending.owner, contactId: contactId, keys: keys)) }
        }
        let read = reads.isEmpty ? CurrentValues() : try await readCurrent(reads)
        let current = read.values
        let unread = Set(reads.map(\.index)).subtracting(current.keys)
        // Each update's body; one that would only send the unchanged display name (the fields
        // that differ are the owner's, or a changed table changed no value) is not sent: the
        // mailbox already holds this contact.
        var patches: [Int: JSONValue] = [:]
        var quiet: Set<Int> = []
        for (i, pending) in batch.enumerated() where !unread.contains(i) {
            guard case .update(_, let p, _) = pending.op else { continue }
            let body = current[i].map { p.patchBody(from: olds[i], current: $0, stored: storedRecords[i]) } ?? p.patchBody(from: olds[i])
            if !read.gone.contains(i), let old = olds[i], let keys = body.objectValue?.keys, Array(keys) == ["displayName"], body["displayName"] == old.field("displayName") {
                quiet.insert(i)
            } else {
                patches[i] = body
            }
        }
        // A photo whose bytes the cache lost is not sent: the next cycle downloads it again.
        var photoData: [Int: Data] = [:]
        var unsendable: Set<Int> = []
        for (i, pending) in batch.enumerated() {
            guard case .photo(_, let userId, let sha) = pending.op else { continue }
            if let data = photoBytes(sha) { photoData[i] = data } else {
                unsendable.insert(i)
                await ledger.photoFailed(pending.owner, userId, "photo \(userId): not in the photo cache; the next cycle reads it again")
            }
        }
        var request = Array(#"{"requests":["#.utf8)
        var sent = 0
        for (i, pending) in batch.enumerated() where !unread.contains(i) && !quiet.contains(i) && !unsendable.contains(i) {
            let t = targets[pending.owner]!
            let m = GraphPath.segment(pending.owner)
            if sent > 0 { request.append(UInt8(ascii: ",")) }
            sent += 1
            request += Array(#"{"id":"\#(i + 1)","method":"#.utf8)
            switch pending.op {
            case .create(let p):
                request += Array(#""POST","url":"#.utf8)
                JSONValue.string(t.sync.contactsPath(t.folderId)).write(into: &request)
                request += Self.jsonHeader
                request += bodies.createBody(p)
            case .update(let contactId, let p, _):
                request += Array(#""PATCH","url":"#.utf8)
                JSONValue.string("/users/\(m)/contacts/\(GraphPath.segment(contactId))").write(into: &request)
                request += Self.jsonHeader
                patches[i]!.write(into: &request)
            case .delete(let contactId, _):
                request += Array(#""DELETE","url":"#.utf8)
                JSONValue.string("/users/\(m)/contacts/\(GraphPath.segment(contactId))").write(into: &request)
            case .photo(let contactId, _, _):
                // A binary body in a batch: base64, with its Content-Type in the item (json-batching).
                request += Array(#""PUT","url":"#.utf8)
                JSONValue.string("/users/\(m)/contacts/\(GraphPath.segment(contactId))/photo/$value").write(into: &request)
                request += Array(#","headers":{"Content-Type":"image/jpeg"},"body":""#.utf8)
                request += Array(photoData[i]!.base64EncodedData())
                request.append(UInt8(ascii: "\""))
            }
            request.append(UInt8(ascii: "}"))
        }
        request += Array("]}".utf8)

        var retry: [BatchScheduler.Pending] = []
        var pause: [String: ContinuousClock.Instant] = [:]
        var results: [String: StateStore.BatchResult] = [:]
        var refused: [String: Int] = [:]
        var rateLimited: [String: Double] = [:]
        /// Refused for the app's global limit rather than a mailbox's own.
        var globallyThrottled = false
        func later(_ owner: String, _ seconds: Double) {
            let until = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
            pause[owner] = max(pause[owner] ?? until, until)
            progress.waiting(until: until)
        }
        /// An operation whose outcome is unknown (no answer for it): an update or delete goes
        /// back until its attempts run out; a create's intent stays for the next cycle to adopt.
        func unknownOutcome(_ pending: BatchScheduler.Pending, _ why: String) async {
            if case .photo = pending.op, pending.attempt >= Self.maxAttempts { await ledger.photoFailed(pending.owner, pending.op.userId, "photo \(pending.op.userId): \(why)"); return }
            if case .create = pending.op { uncertain.insert(pending.owner); await ledger.unknown(pending.owner); return }
            if pending.attempt < Self.maxAttempts { retry.append(.init(owner: pending.owner, op: pending.op, attempt: pending.attempt + 1)) }
            else { await ledger.unknown(pending.owner) }
            later(pending.owner, backoff(pending.attempt))
        }
        // Updates whose current fields could not be read are not written blind: they go back
        // (with backoff) a few times, then the mailbox is reported and the next cycle plans it in
        // full (and reads them again).
        var answered = Set(unread.map { $0 + 1 }).union(unsendable.map { $0 + 1 })
        for i in unread.sorted() {
            let pending = batch[i]
            if let wait = read.throttled[i] {
                // Throttled, not failed: back after Graph's Retry-After, like a refused write.
                var again = pending
                again.throttled += 1
                refused[pending.owner, default: 0] += 1
                rateLimited[pending.owner] = max(rateLimited[pending.owner] ?? 0, wait)
                later(pending.owner, wait)
                if again.throttled < Self.maxThrottled { retry.append(again) }
                else { await ledger.fail(pending.owner, "update \(pending.op.userId): reading its current fields was still throttled after \(again.throttled) answers of 429; the next cycle tries again") }
            } else if pending.attempt < Self.maxReadAttempts {
                retry.append(.init(owner: pending.owner, op: pending.op, attempt: pending.attempt + 1))
                later(pending.owner, backoff(pending.attempt))
            } else {
                await ledger.fail(pending.owner, "update \(pending.op.userId): its current fields (keep_edits, notes, categories) could not be read; the next cycle tries again")
            }
        }
        for i in quiet.sorted() {
            guard case .update(let contactId, let p, _) = batch[i].op else { continue }
            answered.insert(i + 1)
            results[batch[i].owner, default: .init()].written.append((.init(userId: p.userId, contactId: contactId, hash: p.hash), bodies.text(p), nil))
            await ledger.settled(batch[i].owner)
        }
        let sentItems = batch.enumerated().filter { !unread.contains($0.offset) && !quiet.contains($0.offset) && !unsendable.contains($0.offset) }.map(\.element)
        do {
            // Item bodies hold whole contacts; only their id or error (and, among the item's
            // headers, Retry-After) matter here.
            let answer = sent == 0 ? nil : JSONValue.parse(try await graph.request("POST", "/$batch", jsonBytes: Data(request)).body,
                                                           keepingAtDepth: 4, only: ["id", "error", "Retry-After", "retry-after", "RETRY-AFTER"])
            for r in answer?["responses"]?.arrayValue ?? [] {
                guard let index = r["id"]?.stringValue.flatMap(Int.init), (1...batch.count).contains(index), answered.insert(index).inserted else { continue }
                let pending = batch[index - 1]
                let owner = pending.owner
                let status = Int(r["status"]?.numberValue ?? 0)
                let body = r["body"] ?? .null
                var code = SafeText.line(body["error"]?["code"]?.stringValue ?? "HTTP\(status)")
                if code == AccessDeniedDiagnosis.code {
                    // Name the cause: the app's role, or Exchange's scope for this mailbox.
                    code = await AccessDeniedDiagnosis.reason(code: code, message: body["error"]?["message"]?.stringValue ?? "", mailbox: owner, tokens: graph.tokens)
                }
                let retryAfter = RetryAfter.seconds(r["headers"]?.objectValue?.first { $0.key.lowercased() == "retry-after" }?.value.stringValue)
                logger.debug("\(pending.op.name) contact for user \(pending.op.userId): \(status)", metadata: [
                    "mailbox": "\(owner)", "user": "\(pending.op.userId)", "op": "\(pending.op.name)", "status": "\(status)",
                ])
                if status == 429 {
                    graph.metrics.recordThrottledItem()
                    refused[owner, default: 0] += 1
                    // A refusal for concurrency says nothing about the request rate.
                    let message = body["error"]?["message"]?.stringValue ?? ""
                    if code != Self.mailboxThrottledCode { globallyThrottled = true }
                    if !message.localizedCaseInsensitiveContains("concurrency") { rateLimited[owner] = max(rateLimited[owner] ?? 0, retryAfter ?? 1) }
                    var again = pending
                    again.throttled += 1
                    if again.throttled >= Self.maxThrottled, case .photo = pending.op {
                        await ledger.photoFailed(owner, pending.op.userId, "photo \(pending.op.userId): still throttled after \(again.throttled) answers of 429; the next cycle tries again")
                    } else if again.throttled >= Self.maxThrottled {
                        await ledger.fail(owner, "\(pending.op.name) \(pending.op.userId): still throttled after \(again.throttled) answers of 429 \(code); the next cycle tries again")
                        await queue.abandon(owner)
                    } else {
                        retry.append(again)
                    }
                    later(owner, retryAfter ?? 1)
                    continue
                }
                switch pending.op {
                case .create(let p):
                    if status == 201, let id = body["id"]?.stringValue {
                        results[owner, default: .init()].written.append((.init(userId: p.userId, contactId: id, hash: p.hash), bodies.text(p), nil))
                        await ledger.add(owner, created: 1)
                    } else if status >= 500 || status == 0 {
                        uncertain.insert(owner)
                        await ledger.unknown(owner)  // unknown outcome: the intent stays, the listing adopts
                    } else {
                        // Refused (a 4xx): this contact is reported and the others go on; only a
                        // missing folder (404) stops the mailbox, since every create would meet it.
                        await ledger.fail(owner, "create \(p.userId): \(status) \(code)", folderMissing: status == 404)
                        // A missing folder or a denied mailbox refuses every create alike.
                        if status == 404 || status == 403 { await queue.abandon(owner) }
                    }
                case .update(let contactId, let p, _):
                    if status == 200 {
                        results[owner, default: .init()].written.append((.init(userId: p.userId, contactId: body["id"]?.stringValue ?? contactId, hash: p.hash), bodies.text(p), nil))
                        await ledger.add(owner, updated: 1)
                    } else if status == 404 {
                        results[owner, default: .init()].deleted.append((p.userId, contactId))  // the owner deleted it: it comes back
                        retry.append(.init(owner: owner, op: .create(p), attempt: 1))
                    } else if status >= 500 || status == 0 {
                        await unknownOutcome(pending, "\(status) \(code)")
                        if let retryAfter { later(owner, retryAfter) }
                    } else {
                        await ledger.fail(owner, "update \(p.userId): \(status) \(code)")
                    }
                case .delete(let contactId, let userId):
                    if [200, 204, 404].contains(status) {
                        results[owner, default: .init()].deleted.append((userId, contactId))
                        await ledger.add(owner, deleted: 1)
                    } else if status >= 500 || status == 0 {
                        await unknownOutcome(pending, "\(status) \(code)")
                        if let retryAfter { later(owner, retryAfter) }
                    } else {
                        await ledger.fail(owner, "delete \(userId): \(status) \(code)")
                    }
                case .photo(let contactId, let userId, let sha):
                    if [200, 201, 204].contains(status) {
                        results[owner, default: .init()].photos.append(.init(owner: owner, userId: userId, contactId: contactId, sha256: sha))
                        await ledger.photo(owner)
                    } else if (status >= 500 || status == 0) && pending.attempt < Self.maxAttempts {
                        // A PUT of the same bytes is idempotent: sent again after a backoff.
                        retry.append(.init(owner: owner, op: pending.op, attempt: pending.attempt + 1))
                        later(owner, retryAfter ?? backoff(pending.attempt))
                    } else {
                        // Refused outright (the bytes or their size): not sent again until the photo
                        // changes. A 404 (the contact is gone) is not: the contact comes back.
                        if status == 400 || status == 413 {
                            results[owner, default: .init()].refusedPhotos.append(.init(owner: owner, userId: userId, contactId: contactId, sha256: sha))
                        }
                        await ledger.photoFailed(owner, userId, "photo \(userId): \(status) \(code)")
                    }
                }
            }
            // Items the answer left out (cut short, or missing): as for a lost answer.
            for (i, pending) in batch.enumerated() where !answered.contains(i + 1) { await unknownOutcome(pending, "the batch answer left it out") }
        } catch let error as GraphError where error.status == 429 {
            // Not carried out: all of it goes back, after the wait Graph asked for.
            globallyThrottled = true
            for pending in sentItems {
                var again = pending
                again.throttled += 1
                if again.throttled < Self.maxThrottled { retry.append(again); continue }
                if case .photo = pending.op { await ledger.photoFailed(pending.owner, pending.op.userId, "photo \(pending.op.userId): $batch still throttled"); continue }
                await ledger.fail(pending.owner, "$batch still throttled after \(again.throttled) answers of 429; the next cycle tries again")
                await queue.abandon(pending.owner)
            }
            for owner in Set(sentItems.map(\.owner)) { later(owner, error.retryAfter ?? 1) }
            for pending in sentItems { refused[pending.owner, default: 0] += 1 }
        } catch let error as GraphError where !error.isRetryable {
            for owner in Set(sentItems.map(\.owner)) { await ledger.fail(owner, "$batch refused: \(error)"); await queue.abandon(owner) }
        } catch let error as IdentityError {
            await queue.complete(owners: owners, retry: [], pause: [:])
            throw error
        } catch {
            if error is CancellationError { await queue.complete(owners: owners, retry: [], pause: [:]); throw error }
            // Unknown outcome: idempotent operations go back; creates stay as intents.
            for pending in sentItems { await unknownOutcome(pending, "\(error)") }
        }
        // Every create of a mailbox settled (made, refused, or not carried out): its intent goes
        // in the same transaction as the results.
        for (owner, id) in intents where !uncertain.contains(owner) { results[owner, default: .init()].clearedIntents.append(id) }
        for (owner, r) in results { try store.record(owner: owner, r) }
        await queue.complete(owners: owners, retry: retry, pause: pause, refused: refused, rateLimited: rateLimited, globallyThrottled: globallyThrottled)
    }

    func backoff(_ attempt: Int) -> Double {
        min(30, 0.25 * pow(2, Double(attempt - 1))) * Double.random(in: 0.5...1)
    }
}
