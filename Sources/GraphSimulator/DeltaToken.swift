import GalsyncCrypto
import Foundation

/// The state behind an opaque `$skiptoken` or `$deltatoken` of `/users/delta`.
///
/// A round covers the directory changes with sequence numbers in `(from, to]`; the first round
/// (`from == nil`) enumerates every user that existed at `to`. Query options of the first request
/// (`$select`, `$filter`) travel inside the token, as Graph encodes them into its links.
struct DeltaToken: Codable, Sendable {
    var generation: Int
    var from: Int?
    var to: Int
    var offset: Int
    var select: [String]?
    var filter: String?
    var issued: Date

    func encoded() -> String { Base64URL.encode((try? JSONEncoder().encode(self)) ?? Data()) }

    static func decode(_ text: String) -> DeltaToken? {
        Base64URL.decode(text).flatMap { try? JSONDecoder().decode(DeltaToken.self, from: $0) }
    }
}

/// One directory change: which user, which properties, or a removal.
struct DirectoryChange: Sendable {
    var userId: String
    var keys: Set<String>
    /// `changed` (soft delete, restorable) or `deleted` (permanent) when the user was removed.
    var removal: String?
    /// A created or restored user: reported whatever `$select` says.
    var appeared = false
}
