import Foundation
import GalsyncJSON
import GalsyncPlan
import GraphClient

/// Follows several paged GET reads side by side (the user delta and each scoping group's
/// members): every round sends the next page of each unfinished read in one `$batch` of up to
/// 20, and a read left on its own goes as a plain GET. An idle cycle that reads the delta and two
/// groups thus costs one request, not three (four when a group needs a second page).
///
/// A page that does not come back 200 inside the batch is fetched again on its own under the
/// retry policy (after its `Retry-After`, when throttled), so a failing read reports exactly the
/// error a plain read would. A batch Graph refuses outright (a 4xx that is not throttling) is
/// read page by page; a batch that stays throttled or unavailable fails the cycle like any read.
public struct PagedReads: Sendable {
    public let graph: GraphAPI
    public let retry: RetryPolicy

    public init(graph: GraphAPI, retry: RetryPolicy) {
        self.graph = graph
        self.retry = retry
    }
    public static let batchLimit = 20
    /// A read that has not reached its last page after this many is looping: given up.
    public static let pageLimit = 100_000

    /// What a batch said about one page.
    public enum Answer {
        case page(JSONValue)
        /// Throttled inside the batch: fetch it alone after this many seconds.
        case retryAfter(Double)
    }

    /// Runs read `i` from `starts[i]`. `page(i, result)` receives each page of read `i` (or the
    /// error of a page that failed alone) and returns that read's next URL, or nil when done; it
    /// may throw to stop every read, or answer an error with a new URL to start that read over.
    /// `headers[i]` go with every page of read `i` (`ConsistencyLevel: eventual` for an advanced query).
    public func run(_ starts: [String], headers: [Int: [(String, String)]] = [:], page: (Int, Result<JSONValue, any Error>) throws -> String?) async throws {
        var next: [Int: String] = [:]
        for (i, url) in starts.enumerated() { next[i] = url }
        var seen: Set<String> = []
        var pages = 0
        while !next.isEmpty {
            try Task.checkCancellation()  // between rounds nothing has been written: stop at once
            let round = next.sorted { $0.key < $1.key }
            for (i, url) in round {
                pages += 1
                guard pages < Self.pageLimit else { throw SyncError.badData("the directory reads passed \(Self.pageLimit) pages; giving up on this round") }
                guard seen.insert("\(i) \(url)").inserted else {
                    throw SyncError.badData("the pages of \(Self.describe(url)) loop (a nextLink seen before); giving up on this round")
                }
            }
            let answers = round.count > 1 ? try await batched(round, headers: headers) : [:]
            for (i, url) in round {
                let result: Result<JSONValue, any Error>
                if case .page(let body)? = answers[i] {
                    result = .success(body)
                } else {
                    if case .retryAfter(let seconds)? = answers[i], seconds > 0 {
                        graph.metrics.recordDeliberateWait()
                        try await Task.sleep(for: .milliseconds(Int(min(seconds, retry.maxDelay) * 1000)))
                    }
                    do {
                        let response = try await retry.run { try await graph.request("GET", url, headers: headers[i] ?? []) }
                        result = .success(response.json ?? .null)
                    } catch let cancelled as CancellationError {
                        throw cancelled
                    } catch {
                        result = .failure(error)
                    }
                }
                next[i] = try page(i, result)
            }
        }
    }

    /// One round's pages through `$batch`, by read index: the pages answered 200, and the
    /// `Retry-After` of pages throttled. Pages missing from the answer are fetched alone.
    public func batched(_ round: [(key: Int, value: String)], headers: [Int: [(String, String)]] = [:]) async throws -> [Int: Answer] {
        var answers: [Int: Answer] = [:]
        let sendable = round.compactMap { item in graph.batchPath(item.value).map { (item.key, $0) } }
        for start in stride(from: 0, to: sendable.count, by: Self.batchLimit) {
            let chunk = sendable[start..<min(start + Self.batchLimit, sendable.count)]
            guard chunk.count > 1 else { continue }  // one page alone goes as a plain GET
            let body: JSONValue = ["requests": .array(chunk.map { item in
                var request: [String: JSONValue] = ["id": .string(String(item.0)), "method": "GET", "url": .string(item.1)]
                if let extra = headers[item.0], !extra.isEmpty {
                    request["headers"] = .object(Dictionary(extra.map { ($0.0, JSONValue.string($0.1)) }, uniquingKeysWith: { a, _ in a }))
                }
                return .object(request)
            })]
            let response: GraphResponse
            do {
                response = try await retry.run { try await graph.request("POST", "/$batch", body: body) }
            } catch let refused as GraphError where !refused.isRetryable && (400..<500).contains(refused.status) && refused.status != 401 && refused.status != 403 {
                continue  // a Graph (or proxy) that does not take these in a batch: read them one by one
            }
            for item in response.json?["responses"]?.arrayValue ?? [] {
                guard let i = item["id"]?.stringValue.flatMap(Int.init), chunk.contains(where: { $0.0 == i }) else { continue }
                switch Int(item["status"]?.numberValue ?? 0) {
                case 200:
                    if let page = item["body"], page.objectValue != nil { answers[i] = .page(page) }
                case 429, 503:
                    if item["status"]?.numberValue == 429 { graph.metrics.recordThrottledItem() }
                    let header = item["headers"]?.objectValue?.first { $0.key.lowercased() == "retry-after" }?.value.stringValue
                    answers[i] = .retryAfter(RetryAfter.seconds(header) ?? 1)
                default:
                    break
                }
            }
        }
        return answers
    }

    /// A URL for an error message: its path, without the query (which may be long).
    public static func describe(_ url: String) -> String {
        let path = url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
        return URL(string: path)?.path ?? path
    }
}
