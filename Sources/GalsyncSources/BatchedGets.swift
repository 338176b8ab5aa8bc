import Foundation
import GalsyncJSON
import GalsyncPlan
import GraphClient

/// GETs of single resources by key through `$batch`: `perBatch` items each, `parallel` batches
/// at once; items throttled (429) or unavailable (503, 504) are asked again after their
/// `Retry-After`, up to `rounds` times, and what is still unanswered is missing from the result.
/// Photo metadata and bytes (users' and contacts') are read this way.
public struct BatchedGets: Sendable {
    public let graph: GraphAPI
    public let retry: RetryPolicy
    public var parallel = 4
    public static let rounds = 4

    public init(graph: GraphAPI, retry: RetryPolicy, parallel: Int = 4) {
        self.graph = graph
        self.retry = retry
        self.parallel = parallel
    }

    public struct Answer: Sendable {
        public var status: Int
        public var body: JSONValue?
    }

    /// GETs by key through `$batch` (`perBatch` items each, `parallel` batches at once); items
    /// throttled (429) or unavailable (503, 504) are asked again after their `Retry-After`, up to
    /// `rounds` times.
    public func fetch(_ gets: [(String, String)], perBatch: Int) async throws -> [String: Answer] {
        var out: [String: Answer] = [:]
        try await fetch(gets, perBatch: perBatch) { key, answer in out[key] = answer }
        return out
    }

    /// As `fetch`, handing each answer to `each` as its batch comes back and keeping none (photo
    /// bytes go to the cache a batch at a time, never all in memory).
    public func fetch(_ gets: [(String, String)], perBatch: Int, each: (String, Answer) throws -> Void) async throws {
        var todo = gets
        for round in 0..<Self.rounds where !todo.isEmpty {
            var again: [(String, String)] = []
            var wait = 0.0
            let chunks = stride(from: 0, to: todo.count, by: perBatch).map { Array(todo[$0..<min($0 + perBatch, todo.count)]) }
            var next = 0
            try await withThrowingTaskGroup(of: ([String: Answer], [(String, String)], Double).self) { group in
                func start() {
                    guard next < chunks.count else { return }
                    let chunk = chunks[next]
                    next += 1
                    group.addTask { try await batch(chunk) }
                }
                for _ in 0..<parallel { start() }
                while let (answers, throttled, after) = try await group.next() {
                    for (key, answer) in answers { try each(key, answer) }
                    again += throttled
                    wait = max(wait, after)
                    start()
                }
            }
            todo = again
            if !todo.isEmpty, round + 1 < Self.rounds {
                graph.metrics.recordDeliberateWait()
                try await Task.sleep(for: .milliseconds(Int(min(max(wait, 1), retry.maxDelay) * 1000)))
            }
        }
    }

    func batch(_ gets: [(String, String)]) async throws -> ([String: Answer], [(String, String)], Double) {
        let body: JSONValue = ["requests": .array(gets.enumerated().map { i, get in
            ["id": .string(String(i)), "method": "GET", "url": .string(get.1)]
        })]
        let response = try await retry.run { try await graph.request("POST", "/$batch", body: body) }
        var out: [String: Answer] = [:], throttled: [(String, String)] = [], wait = 0.0
        for item in response.json?["responses"]?.arrayValue ?? [] {
            guard let i = item["id"]?.stringValue.flatMap(Int.init), gets.indices.contains(i) else { continue }
            let status = Int(item["status"]?.numberValue ?? 0)
            if [429, 503, 504].contains(status) {
                if status == 429 { graph.metrics.recordThrottledItem() }
                throttled.append(gets[i])
                let header = item["headers"]?.objectValue?.first { $0.key.lowercased() == "retry-after" }?.value.stringValue
                wait = max(wait, RetryAfter.seconds(header) ?? 1)
            } else {
                out[gets[i].0] = Answer(status: status, body: item["body"])
            }
        }
        return (out, throttled, wait)
    }
}
