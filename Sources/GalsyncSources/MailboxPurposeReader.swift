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
        try await BatchedGets(graph: graph, retry: retry, parallel: parallel)
            .fetch(ids.map { ($0, "/users/\(GraphPath.segment($0))/mailboxSettings/userPurpose") }, perBatch: Self.batchLimit) { id, answer in
                out[id] = switch answer.status {
                case 200: Self.purpose(answer.body).map(Outcome.purpose) ?? .unknown
                case 404 where answer.body?["error"]?["code"]?.stringValue == "MailboxNotEnabledForRESTAPI": .noMailbox
                case 403: .denied
                default: .unknown
                }
            }
        // Left out of every answer, or still throttled after `BatchedGets.rounds`: not known this cycle.
        for id in ids where out[id] == nil { out[id] = .unknown }
        return out
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
