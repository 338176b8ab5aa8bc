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
        let gets = BatchedGets(graph: graph, retry: retry)
        let meta = try await gets.fetch(ids.map { ($0, "/users/\(GraphPath.segment($0))/photo") }, perBatch: 20)
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
            case 404 where Self.noPhoto(code: code, message: answer.body?["error"]?["message"]?.stringValue ?? ""):
                reading.outcomes[id] = .known(.init(etag: "", sha256: ""))
            case 404 where known[id]?.hasPhoto != true && ["ErrorNonExistentMailbox", "MailboxNotEnabledForRESTAPI"].contains(code):
                // No Exchange mailbox, so no photo Graph can serve: none, for a user galsync has not
                // seen with one. One it did see keeps it (a mailbox being moved, a licence lapsing
                // for a day must not make every contact of theirs again).
                reading.outcomes[id] = .known(.init(etag: "", sha256: ""))
            case 403:
                reading.denied += 1
                reading.outcomes[id] = .unknown("403 \(code)")
            default:
                reading.outcomes[id] = .unknown("\(answer.status) \(code)")
            }
        }
        // Full-size photos can be megabytes each: fewer of them per batch. Each batch's photos go
        // to the cache as it comes back.
        var answered: Set<String> = []
        try await gets.fetch(downloads, perBatch: size == nil ? 4 : 20) { id, answer in
            answered.insert(id)
            guard answer.status == 200, let data = Self.bytes(answer.body) else {
                reading.outcomes[id] = .unknown("download: \(answer.status)")
                return
            }
            let sha = try cache.store(data)
            reading.downloaded += 1
            reading.bytes += data.count
            reading.outcomes[id] = .known(.init(etag: etags[id] ?? "", sha256: sha))
        }
        for (id, _) in downloads where !answered.contains(id) { reading.outcomes[id] = .unknown("download: not answered") }
        return reading
    }

    /// A 404 that says the user has no photo: `ImageNotFound` (facts.md), `ErrorItemNotFound`, or
    /// another code whose message names the ImageNotFoundException (answers reported by SDK users).
    /// Anything else (a mailbox moved or gone, a service fault) is not a removal.
    public static func noPhoto(code: String, message: String) -> Bool {
        ["ImageNotFound", "ErrorItemNotFound"].contains(code) || message.contains("ImageNotFound")
    }

    /// A `$batch` answer's binary body: base64 text (Graph's answer for a non-JSON body).
    public static func bytes(_ body: JSONValue?) -> Data? {
        guard let text = body?.stringValue else { return nil }
        return Data(base64Encoded: text) ?? Data(base64Encoded: text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            .padding(toLength: (text.count + 3) / 4 * 4, withPad: "=", startingAt: 0))
    }
}
