import Foundation
import GalsyncCrypto

/// `POST /v1.0/$batch`: up to 20 requests, unique ids, `dependsOn` (424 when a dependency
/// failed), answered in completion order. Each item is routed, validated and throttled as if it
/// had been sent alone, and Graph runs at most 4 items of one batch at a time.
extension GraphSimulator {
    struct BatchItem: Sendable {
        var id: String
        var request: SimRequest
        var dependsOn: [String]
    }

    static let batchParallelism = 4

    /// Runs outside the actor: parsing the batch and assembling its answer need no state, so
    /// only the items themselves queue for the actor.
    nonisolated func batch(_ request: SimRequest, caller: Caller) async -> SimResponse {
        let items: [BatchItem]
        switch parseBatch(request) {
        case .failure(let response): return response
        case .success(let parsed): items = parsed
        }
        var results: [String: SimResponse] = [:]
        /// Status of each finished item by lower-cased id, for `dependsOn`.
        var done: [String: Int] = [:]
        var order: [String] = []
        var pending = items
        while !pending.isEmpty {
            // Items whose dependencies all finished: a failed dependency answers 424 without running.
            let ready = pending.filter { $0.dependsOn.allSatisfy { done[$0] != nil } }
            pending.removeAll { item in ready.contains { $0.id == item.id } }
            var runnable: [BatchItem] = []
            for item in ready {
                if item.dependsOn.contains(where: { (done[$0] ?? 500) >= 400 }) {
                    results[item.id] = .graphError(424, "FailedDependency", "The request depends on a request that failed.", request: item.request)
                    done[item.id.lowercased()] = 424
                    order.append(item.id)
                } else {
                    runnable.append(item)
                }
            }
            await withTaskGroup(of: (String, SimResponse).self) { group in
                var iterator = runnable.makeIterator()
                for _ in 0..<Self.batchParallelism {
                    guard let item = iterator.next() else { break }
                    group.addTask { (item.id, await self.batchItem(item, caller: caller)) }
                }
                for await (id, response) in group {
                    results[id] = response
                    done[id.lowercased()] = response.status
                    order.append(id)
                    if let item = iterator.next() {
                        group.addTask { (item.id, await self.batchItem(item, caller: caller)) }
                    }
                }
            }
        }
        let responses: [JSONValue] = order.map { id in
            let r = results[id]!
            var headers: [String: JSONValue] = [:]
            for (k, v) in r.headers { headers[k] = .string(v) }
            var entry: [String: JSONValue] = ["id": .string(id), "status": .number(Double(r.status)), "headers": .object(headers)]
            if let value = r.jsonValue {
                entry["body"] = value
            } else if r.hasBody {
                entry["body"] = JSONValue.parse(r.body) ?? .string(r.body.base64EncodedString())
            }
            return .object(entry)
        }
        return .json(200, ["responses": .array(responses)])
    }

    func batchItem(_ item: BatchItem, caller: Caller) async -> SimResponse {
        if var fault = injectFault(item.request) {
            // A dropped connection cannot happen inside a batch: the item fails as a 503 instead.
            if fault.dropConnection { fault = .graphError(503, "serviceNotAvailable", "The service is temporarily unavailable.", request: item.request, headers: ["Retry-After": "1"]) }
            counters.record(route: "fault", status: fault.status, inBatch: true)
            return fault
        }
        return faultAfterProcessing(item.request, await execute(item.request, caller: caller, inBatch: true), inBatch: true, mayDrop: false)
    }

    nonisolated func parseBatch(_ request: SimRequest) -> Result<[BatchItem], SimResponse> {
        func bad(_ message: String) -> Result<[BatchItem], SimResponse> {
            .failure(.graphError(400, "BadRequest", message, request: request))
        }
        guard let body = request.jsonBody, let raw = body["requests"]?.arrayValue else {
            return bad("Invalid batch payload format: a JSON object with a 'requests' array is required.")
        }
        guard !raw.isEmpty else { return bad("The batch contains no requests.") }
        guard raw.count <= 20 else { return bad("The number of requests in a batch cannot exceed 20; this one has \(raw.count).") }
        var items: [BatchItem] = []
        var ids: Set<String> = []
        for entry in raw {
            guard let id = entry["id"]?.stringValue ?? entry["id"]?.numberValue.map({ String(Int($0)) }), !id.isEmpty else {
                return bad("Each request in a batch needs an 'id'.")
            }
            // Ids are not case-sensitive.
            guard ids.insert(id.lowercased()).inserted else { return bad("Request Id values must be unique: '\(id)' appears twice.") }
            guard let method = entry["method"]?.stringValue, ["GET", "POST", "PATCH", "PUT", "DELETE"].contains(method.uppercased()) else {
                return bad("Request '\(id)' needs a 'method' of GET, POST, PATCH, PUT or DELETE.")
            }
            guard var url = entry["url"]?.stringValue, !url.isEmpty else { return bad("Request '\(id)' needs a 'url'.") }
            if url.lowercased().hasPrefix("http://") || url.lowercased().hasPrefix("https://") {
                return bad("Request '\(id)': batch URLs must be relative to the version, e.g. '/users/{id}/contacts'.")
            }
            if !url.hasPrefix("/") { url = "/" + url }
            if url.lowercased().hasPrefix("/$batch") { return bad("Request '\(id)': a batch cannot contain another batch.") }
            var headers: [String: String] = [:]
            for (k, v) in entry["headers"]?.objectValue ?? [:] { if let s = v.stringValue { headers[k] = s } }
            var bodyData = Data()
            var parsed: JSONValue?
            if let b = entry["body"], !b.isNull {
                guard headers.keys.contains(where: { $0.lowercased() == "content-type" }) else {
                    return bad("Write request id : \(id) does not contain Content-Type header or body.")
                }
                let type = headers.first { $0.key.lowercased() == "content-type" }!.value.lowercased()
                if type.contains("json") { parsed = b }
                else if let s = b.stringValue, let decoded = Base64URL.decode(s) { bodyData = decoded }
                else { return bad("Request '\(id)': a non-JSON body must be base64-encoded.") }
            }
            headers["authorization"] = request.headers["authorization"]
            let dependsOn = (entry["dependsOn"]?.arrayValue ?? []).compactMap(\.stringValue).map { $0.lowercased() }
            var itemRequest = SimRequest(method: method, target: "/v1.0" + url, headers: headers, body: bodyData, baseURL: request.baseURL)
            itemRequest.parsedBody = parsed
            items.append(BatchItem(id: id, request: itemRequest, dependsOn: dependsOn))
        }
        for item in items {
            for dep in item.dependsOn where !ids.contains(dep) || dep == item.id.lowercased() {
                return bad("Request '\(item.id)' depends on '\(dep)', which is not an earlier request in this batch.")
            }
        }
        // Reject cycles: every item must be reachable by repeatedly taking items whose deps are done.
        var done: Set<String> = []
        var progress = true
        while progress {
            progress = false
            for item in items where !done.contains(item.id.lowercased()) && item.dependsOn.allSatisfy(done.contains) {
                done.insert(item.id.lowercased()); progress = true
            }
        }
        guard done.count == items.count else { return bad("The dependsOn values of this batch form a cycle.") }
        return .success(items)
    }
}
