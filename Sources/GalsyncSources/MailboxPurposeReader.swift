import Foundation
import GalsyncJSON
import GalsyncPlan
import GraphClient

/// Reads users' mailbox types, `GET /users/{id}/mailboxSettings/userPurpose`, 20 to a `$batch`
/// and a few batches at a time: Graph cannot return mailboxSettings in a user collection nor
/// the delta, so each user is one item (an Exchange call, under each mailbox's own limits).
/// Items throttled inside a batch are asked again after their `Retry-After`.
public struct MailboxPurposeReader: Sendable {
    public let graph: GraphAPI
    public let retry: RetryPolicy
    /// Batches in flight at once (Graph runs 4 items of each at a time).
    public var parallel = 4
    public static let batchLimit = 20
    /// Rounds of re-asking throttled items before they are left unknown for this cycle.
    public static let rounds = 4

    public init(graph: GraphAPI, retry: RetryPolicy, parallel: Int = 4) {
        self.graph = graph
        self.retry = retry
        self.parallel = parallel
    }

    public enum Outcome: Sendable, Equatable {
        /// user, shared, room, equipment, linked, others; values Graph adds later read as user.
        case purpose(String)
        /// 404 `MailboxNotEnabledForRESTAPI`: no Exchange Online mailbox (not a target; can be a source).
        case noMailbox
        /// 403: the permission is missing, or an application access policy keeps this mailbox out.
        case denied
        /// Anything else: not known this cycle (never excluded for it).
        case unknown
    }

    public func read(_ ids: [String]) async throws -> [String: Outcome] {
        var out: [String: Outcome] = [:]
        var todo = ids
        for round in 0..<Self.rounds where !todo.isEmpty {
            var throttled: [String] = []
            var wait = 0.0
            let chunks = stride(from: 0, to: todo.count, by: Self.batchLimit).map { Array(todo[$0..<min($0 + Self.batchLimit, todo.count)]) }
            var next = 0
            try await withThrowingTaskGroup(of: ([String: Outcome], [String], Double).self) { group in
                func start() {
                    guard next < chunks.count else { return }
                    let chunk = chunks[next]
                    next += 1
                    group.addTask { try await batch(chunk) }
                }
                for _ in 0..<parallel { start() }
                while let (answers, again, after) = try await group.next() {
                    out.merge(answers) { _, new in new }
                    throttled += again
                    wait = max(wait, after)
                    start()
                }
            }
            todo = throttled
            if !todo.isEmpty, round + 1 < Self.rounds {
                graph.metrics.recordDeliberateWait()
                try await Task.sleep(for: .milliseconds(Int(min(max(wait, 1), retry.maxDelay) * 1000)))
            }
        }
        for id in todo { out[id] = .unknown }
        return out
    }

    /// One batch: the outcomes it settled, the ids throttled in it, and their longest Retry-After.
    public func batch(_ ids: [String]) async throws -> ([String: Outcome], [String], Double) {
        let body: JSONValue = ["requests": .array(ids.enumerated().map { i, id in
            ["id": .string(String(i)), "method": "GET", "url": .string("/users/\(GraphPath.segment(id))/mailboxSettings/userPurpose")]
        })]
        let response = try await retry.run { try await graph.request("POST", "/$batch", body: body) }
        var out: [String: Outcome] = [:], throttled: [String] = [], wait = 0.0
        for item in response.json?["responses"]?.arrayValue ?? [] {
            guard let i = item["id"]?.stringValue.flatMap(Int.init), ids.indices.contains(i) else { continue }
            let id = ids[i]
            switch Int(item["status"]?.numberValue ?? 0) {
            case 200:
                out[id] = Self.purpose(item["body"]).map(Outcome.purpose) ?? .unknown
            case 404 where item["body"]?["error"]?["code"]?.stringValue == "MailboxNotEnabledForRESTAPI":
                out[id] = .noMailbox
            case 403:
                out[id] = .denied
            case 429, 503, 504:
                if item["status"]?.numberValue == 429 { graph.metrics.recordThrottledItem() }
                throttled.append(id)
                let header = item["headers"]?.objectValue?.first { $0.key.lowercased() == "retry-after" }?.value.stringValue
                wait = max(wait, RetryAfter.seconds(header) ?? 1)
            default:
                out[id] = .unknown
            }
        }
        for id in ids where out[id] == nil && !throttled.contains(id) { out[id] = .unknown }  // left out of the answer
        return (out, throttled, wait)
    }

    /// The purpose in an answer: `{"value": "shared"}` (v1.0, the property alone), or the beta
    /// and documentation-example shapes `{"value": {"value": …}}` and `{"userPurpose": …}`;
    /// `unknownFutureValue` and values Graph adds later count as `user`.
    public static func purpose(_ body: JSONValue?) -> String? {
        guard let body else { return nil }
        let raw = body["value"]?.stringValue ?? body["value"]?["value"]?.stringValue
            ?? body["userPurpose"]?.stringValue ?? body["userPurpose"]?["value"]?.stringValue
        guard let value = raw?.lowercased() else { return nil }
        return ["user", "linked", "shared", "room", "equipment", "others"].contains(value) ? value : "user"
    }
}
