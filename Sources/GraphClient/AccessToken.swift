import Foundation
import GalsyncCrypto

/// An app-only access token. Its description never shows the token: it cannot leak through a
/// log line, an error message or `--json` output by accident.
public struct AccessToken: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The bearer value, for the `Authorization` header only.
    public let bearer: String
    public let expiresOn: Date
    /// The lifetime the identity platform granted, for deciding when to refresh ahead.
    public let lifetime: TimeInterval

    public init(bearer: String, expiresOn: Date, lifetime: TimeInterval) {
        self.bearer = bearer
        self.expiresOn = expiresOn
        self.lifetime = lifetime
    }

    public var description: String { "AccessToken(redacted, expires \(ISO8601DateFormatter().string(from: expiresOn)))" }
    public var debugDescription: String { description }

    /// The application permissions in the token's `roles` claim (not verified: only the
    /// service checks signatures; galsync reads its own token to explain missing consent).
    public var roles: [String] {
        guard let jws = CompactJWS(bearer), let claims = try? JSONDecoder().decode(Claims.self, from: jws.payload) else { return [] }
        return claims.roles ?? []
    }

    struct Claims: Decodable { var roles: [String]? }
}
