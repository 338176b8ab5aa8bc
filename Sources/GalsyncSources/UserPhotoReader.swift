import Foundation
import GalsyncJSON
import GalsyncPlan
import GraphClient
import SyncStore

/// Reads users' profile photos for their contacts: first each user's photo metadata
/// (`GET /users/{id}/photo`, the largest size, with `@odata.mediaEtag`), 20 users per `$batch`;
/// then, only for a user whose ETag is new (or whose bytes the cache lost), the bytes at the
/// configured size (`/photos/{n}x{n}/$value`, or the largest when the original is smaller),
/// which `$batch` answers base64-encoded. `/users/delta` reports no photo changes (the
/// metadata's `user/photo` is `ChangeTracking Supported=false`), so the ETag is what says one changed.
/// Items throttled inside a batch are asked again after their `Retry-After`; what stays
/// unanswered is `unknown` for this cycle and keeps what the state knew.
public struct UserPhotoReader: Sendable {
    public let graph: GraphAPI
    public let retry: RetryPolicy
    public let cache: PhotoCache
    /// Pixels square to copy; nil = the full photo.
    public let size: Int?
    /// Batches in flight at once.
    public var parallel = 4
    public static let rounds = 4

    public init(graph: GraphAPI, retry: RetryPolicy, cache: PhotoCache, size: Int?) {
        self.graph = graph
        self.retry = retry
        self.cache = cache
        self.size = size
    }

    public enum Outcome: Sendable, Equatable {
        /// The user's photo as it now is (`sha256` "" = none).
        case known(StateStore.UserPhoto)
        /// Not answered this cycle (throttled throughout, a 5xx, denied): what the state knew stands.
        case unknown(String)
    }

    public struct Reading: Sendable {
        public var outcomes: [String: Outcome] = [:]
        public var downloaded = 0
        public var bytes = 0
        /// Users whose photo could not be read for want of permission (ProfilePhoto.Read.All).
        public var denied = 0
    }

    /// Checks `ids` against what the state knows (`known`), downloading what changed.
    public func read(_ ids: [String], known: [String: StateStore.UserPhoto]) async throws -> Reading {
        var reading = Reading()
        let meta = try await fetch(ids.map { ($0, "/users/\(GraphPath.segment($0))/photo") }, perBatch: 20)
        var downloads: [(String, String)] = []
        var etags: [String: String] = [:]
        for id in ids {
            guard let answer = meta[id] else { reading.outcomes[id] = .unknown("not answered"); continue }
            let code = answer.body?["error"]?["code"]?.stringValue ?? ""
            switch answer.status {
            case 200:
                let etag = answer.body?["@odata.mediaEtag"]?.stringValue ?? ""
                let width = Int(answer.body?["width"]?.numberValue ?? 0)
                // The documented placeholder for a user without a photo: a 1x1 image, empty ETag.
                if etag.isEmpty || width == 1 { reading.outcomes[id] = .known(.init(etag: "", sha256: "")); continue }
                if let k = known[id], k.etag == etag, k.hasPhoto, cache.contains(k.sha256) { reading.outcomes[id] = .known(k); continue }
                etags[id] = etag
                let url: String
                if let size, width >= size { url = "/users/\(GraphPath.segment(id))/photos/\(size)x\(size)/$value" }
                else { url = "/users/\(GraphPath.segment(id))/photo/$value" }
                downloads.append((id, url))
            case 404 where ["ImageNotFound", "ErrorItemNotFound", "ErrorNonExistentMailbox", "MailboxNotEnabledForRESTAPI"].contains(code):
                reading.outcomes[id] = .known(.init(etag: "", sha256: ""))
            case 403:
                reading.denied += 1
                reading.outcomes[id] = .unknown("403 \(code)")
            default:
                reading.outcomes[id] = .unknown("\(answer.status) \(code)")
            }
        }
        // Full-size photos can be megabytes each: fewer of them per batch.
        let bytes = try await fetch(downloads, perBatch: size == nil ? 4 : 20)
        for (id, _) in downloads {
            guard let answer = bytes[id], answer.status == 200, let data = Self.bytes(answer.body) else {
                reading.outcomes[id] = .unknown("download: \(bytes[id]?.status ?? 0)")
                continue
            }
            let sha = try cache.store(data)
            reading.downloaded += 1
            reading.bytes += data.count
            reading.outcomes[id] = .known(.init(etag: etags[id] ?? "", sha256: sha))
        }
        return reading
    }

    /// A `$batch` answer's binary body: base64 text (Graph's answer for a non-JSON body).
    static func bytes(_ body: JSONValue?) -> Data? {
        guard let text = body?.stringValue else { return nil }
        return Data(base64Encoded: text) ?? Data(base64Encoded: text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            .padding(toLength: (text.count + 3) / 4 * 4, withPad: "=", startingAt: 0))
    }

    struct Answer: Sendable {
        var status: Int
        var body: JSONValue?
    }

    /// GETs by key through `$batch` (`perBatch` items each, `parallel` batches at once); items
    /// throttled (429) or unavailable (503, 504) are asked again after their `Retry-After`, up to
    /// `rounds` times.
    func fetch(_ gets: [(String, String)], perBatch: Int) async throws -> [String: Answer] {
        var out: [String: Answer] = [:]
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
                    out.merge(answers) { _, new in new }
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
        return out
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
