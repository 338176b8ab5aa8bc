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

    /// Index → the contact's current values of its keys; an index left out could not be read.
    /// A contact that is gone (404) reads as empty: its PATCH meets the 404 and re-creates it.
    func readCurrent(_ reads: [CurrentRead]) async throws -> [Int: [String: JSONValue]] {
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
        } catch {
            logger.debug("reading the current fields of \(reads.count) contacts failed: \(error)")
            return [:]
        }
        var out: [Int: [String: JSONValue]] = [:]
        for r in response.json?["responses"]?.arrayValue ?? [] {
            guard let n = r["id"]?.stringValue.flatMap(Int.init), (1...reads.count).contains(n) else { continue }
            switch Int(r["status"]?.numberValue ?? 0) {
            case 200: out[reads[n - 1].index] = r["body"]?.objectValue ?? [:]
            case 404: out[reads[n - 1].index] = [:]
            case 429: graph.metrics.recordThrottledItem()
            default: break
            }
        }
        return out
    }
}
