import Foundation
import GalsyncJSON
import GalsyncPlan
import GraphClient

/// Before a batch's updates of fields that keep what the mailbox holds (`keep_edits`, the notes,
/// the categories), their current values: one `$batch` of GETs, `$select` of just those fields,
/// for just those contacts. A contact that could not be read is not written this round (its
/// update goes back like one without an answer), so an owner's value is never overwritten
/// blind.
extension BatchWriter {
    struct CurrentRead {
        /// The operation's place in its batch.
        let index: Int
        let owner: String
        let contactId: String
        let keys: [String]
    }

    /// What a read found: each readable contact's current values; the contacts that are gone
    /// (404: their PATCH must be sent, to meet the 404 and re-create them); those Graph refused
    /// for throttling, with its Retry-After. An index in none of these could not be read.
    struct CurrentValues {
        var values: [Int: [String: JSONValue]] = [:]
        var gone: Set<Int> = []
        var throttled: [Int: Double] = [:]
    }

    func readCurrent(_ reads: [CurrentRead]) async throws -> CurrentValues {
        var items: [JSONValue] = []
        for (n, r) in reads.enumerated() {
            let url = "/users/\(GraphPath.segment(r.owner))/contacts/\(GraphPath.segment(r.contactId))?$select=\(r.keys.joined(separator: ","))"
            items.append(["id": .string(String(n + 1)), "method": "GET", "url": .string(url)])
        }
        let response: GraphResponse
        do {
            response = try await graph.request("POST", "/$batch", jsonBytes: JSONValue.object(["requests": .array(items)]).encoded())
        } catch let error as IdentityError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as GraphError where error.status == 429 {
            var out = CurrentValues()
            for r in reads { out.throttled[r.index] = error.retryAfter ?? 1 }
            return out
        } catch {
            logger.debug("reading the current fields of \(reads.count) contacts failed: \(error)")
            return CurrentValues()
        }
        var out = CurrentValues()
        for r in response.json?["responses"]?.arrayValue ?? [] {
            guard let n = r["id"]?.stringValue.flatMap(Int.init), (1...reads.count).contains(n) else { continue }
            let index = reads[n - 1].index
            switch Int(r["status"]?.numberValue ?? 0) {
            case 200: out.values[index] = r["body"]?.objectValue ?? [:]
            case 404: out.values[index] = [:]; out.gone.insert(index)
            case 429:
                graph.metrics.recordThrottledItem()
                out.throttled[index] = RetryAfter.seconds(r["headers"]?.objectValue?.first { $0.key.lowercased() == "retry-after" }?.value.stringValue) ?? 1
            default: break
            }
        }
        return out
    }
}
