import Foundation
import GalsyncJSON
import GraphClient
import SyncStore

/// Carries out a mailbox's plan in `$batch` requests of up to 20 operations. Each batch takes
/// min(n, 4) global request slots and is the mailbox's only request in flight, so the mailbox
/// never sees more than 4 concurrent operations. Results are committed per batch response; a
/// throttled or failed item is retried alone (after `Retry-After` for this mailbox only); a
/// create whose outcome is unknown (5xx, lost connection) is not retried: its intent stays and
/// the next cycle lists the mailbox and adopts it.
extension MailboxSync {
    struct ItemFailure: Error, CustomStringConvertible {
        let messages: [String]
        let folderMissing: Bool
        var description: String { messages.prefix(3).joined(separator: "; ") + (messages.count > 3 ? " (and \(messages.count - 3) more)" : "") }
    }

    static let batchSize = 20
    static let maxAttempts = 6

    func executeBatched(_ plan: MailboxPlan, folderId: String, slots: RequestSlots) async throws -> Outcome {
        var outcome = Outcome()
        var queue: [(op: MailboxPlan.Operation, attempt: Int)] = plan.operations.map { ($0, 1) }
        var failures: [String] = []
        var folderMissing = false
        var pauseUntil: ContinuousClock.Instant?
        let known = try store.managedContacts(owner)
        let m = Preflight.pathSegment(owner)
        while !queue.isEmpty {
            try Task.checkCancellation()
            if let until = pauseUntil { try await Task.sleep(until: until, clock: .continuous); pauseUntil = nil }
            let chunk = Array(queue.prefix(Self.batchSize))
            queue.removeFirst(chunk.count)
            let createUsers = chunk.compactMap { if case .create(let p) = $0.op { p.userId } else { nil } }
            var intents = Dictionary(uniqueKeysWithValues: zip(createUsers, try store.recordIntents(owner: owner, userIds: createUsers)))
            var items: [JSONValue] = []
            for (i, entry) in chunk.enumerated() {
                var item: [String: JSONValue] = ["id": .string(String(i + 1))]
                switch entry.op {
                case .create(let p):
                    item["method"] = "POST"
                    item["url"] = .string(contactsPath(folderId))
                    item["body"] = p.createBody()
                case .update(let contactId, let p, let previous):
                    let old = try previous ?? known[p.userId].flatMap { try store.projection($0.hash) }
                        .flatMap { JSONValue.parse(Data($0.utf8))?.objectValue }.map { ContactProjection(userId: p.userId, fields: $0) }
                    item["method"] = "PATCH"
                    item["url"] = .string("/users/\(m)/contacts/\(Preflight.pathSegment(contactId))")
                    item["body"] = p.patchBody(from: old)
                case .delete(let contactId, _):
                    item["method"] = "DELETE"
                    item["url"] = .string("/users/\(m)/contacts/\(Preflight.pathSegment(contactId))")
                }
                if item["body"] != nil { item["headers"] = ["Content-Type": "application/json"] }
                items.append(.object(item))
            }

            await slots.acquire(min(chunk.count, 4))
            let sent: Result<GraphResponse, any Error>
            do { sent = .success(try await graph.request("POST", "/$batch", body: ["requests": .array(items)])) } catch { sent = .failure(error) }
            await slots.release(min(chunk.count, 4))

            var result = StateStore.BatchResult()
            switch sent {
            case .failure(let error as GraphError) where error.status == 429:
                // Not processed: every item goes back, after the wait Graph asked for.
                result.clearedIntents = Array(intents.values)
                queue.insert(contentsOf: chunk, at: 0)
                pauseUntil = .now + .milliseconds(Int((error.retryAfter ?? 1) * 1000))
            case .failure(let error):
                if let g = error as? GraphError, !g.isRetryable { throw error }
                if error is IdentityError || error is GraphLinkError { throw error }
                // Unknown outcome: idempotent operations go back; creates stay as intents for the next cycle.
                let again = chunk.filter { if case .create = $0.op { false } else { true } }.map { ($0.op, $0.attempt + 1) }
                if let over = again.first(where: { $0.1 > Self.maxAttempts }) { failures.append("gave up on \(over.0.userId) after \(Self.maxAttempts) attempts: \(error)") }
                queue.insert(contentsOf: again.filter { $0.1 <= Self.maxAttempts }, at: 0)
                pauseUntil = .now + .milliseconds(Int(backoff(chunk.map(\.attempt).max() ?? 1) * 1000))
            case .success(let response):
                for r in response.json?["responses"]?.arrayValue ?? [] {
                    guard let idText = r["id"]?.stringValue, let index = Int(idText), (1...chunk.count).contains(index) else { continue }
                    let (op, attempt) = chunk[index - 1]
                    let status = Int(r["status"]?.numberValue ?? 0)
                    let body = r["body"] ?? .null
                    let code = body["error"]?["code"]?.stringValue ?? "HTTP\(status)"
                    let retryAfter = (r["headers"]?.objectValue?.first { $0.key.lowercased() == "retry-after" }?.value.stringValue).flatMap(Double.init)
                    if status == 429 {
                        graph.metrics.recordThrottledItem()
                        if case .create(let p) = op, let i = intents.removeValue(forKey: p.userId) { result.clearedIntents.append(i) }
                        queue.append((op, attempt))
                        let wait = ContinuousClock.Instant.now + .milliseconds(Int((retryAfter ?? 1) * 1000))
                        pauseUntil = max(pauseUntil ?? wait, wait)
                        continue
                    }
                    switch op {
                    case .create(let p):
                        if status == 201, let id = body["id"]?.stringValue {
                            result.written.append((.init(userId: p.userId, contactId: id, hash: p.hash), String(decoding: p.json, as: UTF8.self), intents[p.userId]))
                            outcome.created += 1
                        } else if status >= 500 || status == 0 {
                            continue  // outcome unknown: the intent stays; the next cycle lists and adopts
                        } else {
                            if let i = intents[p.userId] { result.clearedIntents.append(i) }
                            if status == 404 { folderMissing = true }
                            failures.append("create \(p.userId): \(status) \(code): \(body["error"]?["message"]?.stringValue ?? "")")
                        }
                    case .update(let contactId, let p, _):
                        if status == 200 {
                            let id = body["id"]?.stringValue ?? contactId
                            result.written.append((.init(userId: p.userId, contactId: id, hash: p.hash), String(decoding: p.json, as: UTF8.self), nil))
                            outcome.updated += 1
                        } else if status == 404 {
                            result.deleted.append((p.userId, contactId))  // the owner deleted it: it comes back
                            queue.append((.create(p), 1))
                        } else if status >= 500, attempt < Self.maxAttempts {
                            queue.append((op, attempt + 1))
                            pauseUntil = .now + .milliseconds(Int((retryAfter ?? backoff(attempt)) * 1000))
                        } else {
                            failures.append("update \(p.userId): \(status) \(code)")
                        }
                    case .delete(let contactId, let userId):
                        if status == 204 || status == 200 || status == 404 {
                            result.deleted.append((userId, contactId))
                            outcome.deleted += 1
                        } else if status >= 500, attempt < Self.maxAttempts {
                            queue.append((op, attempt + 1))
                            pauseUntil = .now + .milliseconds(Int((retryAfter ?? backoff(attempt)) * 1000))
                        } else {
                            failures.append("delete \(userId): \(status) \(code)")
                        }
                    }
                }
            }
            try store.record(owner: owner, result)
        }
        if !failures.isEmpty { throw ItemFailure(messages: failures, folderMissing: folderMissing) }
        return outcome
    }

    func backoff(_ attempt: Int) -> Double {
        min(30, 0.25 * pow(2, Double(attempt - 1))) * Double.random(in: 0.5...1)
    }
}
