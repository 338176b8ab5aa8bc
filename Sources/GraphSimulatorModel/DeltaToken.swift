import GalsyncCrypto
import Foundation
import GalsyncJSON

/// The state behind an opaque `$skiptoken` or `$deltatoken` of `/users/delta`.
///
/// A round covers the directory changes with sequence numbers in `(from, to]`; the first round
/// (`from == nil`) enumerates every user that existed at `to`. Query options of the first request
/// (`$select`, `$filter`) travel inside the token, as Graph encodes them into its links.
public struct DeltaToken: Codable, Sendable {
    public var generation: Int
    public var from: Int?
    public var to: Int
    public var offset: Int
    public var select: [String]?
    public var filter: String?
    public var issued: Date

    public func encoded() -> String { Base64URL.encode((try? JSONEncoder().encode(self)) ?? Data()) }

    public static func decode(_ text: String) -> DeltaToken? {
        Base64URL.decode(text).flatMap { try? JSONDecoder().decode(DeltaToken.self, from: $0) }
    }

    public init(generation: Int, from: Int? = nil, to: Int, offset: Int, select: [String]? = nil, filter: String? = nil, issued: Date) {
        self.generation = generation
        self.from = from
        self.to = to
        self.offset = offset
        self.select = select
        self.filter = filter
        self.issued = issued
    }
}

/// One directory change: which user, which properties, or a removal.
public struct DirectoryChange: Sendable {
    public var userId: String
    public var keys: Set<String>
    /// `changed` (soft delete, restorable) or `deleted` (permanent) when the user was removed.
    public var removal: String?
    /// A created or restored user: reported whatever `$select` says.
    public var appeared = false

    public init(userId: String, keys: Set<String>, removal: String? = nil, appeared: Bool = false) {
        self.appeared = appeared
        self.userId = userId
        self.keys = keys
        self.removal = removal
    }
}
