import Foundation
import GalsyncCrypto

/// An app-only access token. Its description never shows the token: it cannot leak through a
/// log line, an error message or `--json` output by accident.
///
/// The token is kept in `SecretBytes`, cleared when the last copy of this value goes. That is
/// as far as Swift lets it go: the `String` the JSON decoder made, each `bearer` read and the
/// `Authorization` header libcurl copies are freed without clearing. `LimitCORE=0` in the unit
/// keeps them out of core files.
public struct AccessToken: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    let secret: SecretBytes
    public let expiresOn: Date
    /// The lifetime the identity platform granted, for deciding when to refresh ahead.
    public let lifetime: TimeInterval

    public init(bearer: String, expiresOn: Date, lifetime: TimeInterval) {
        self.secret = SecretBytes(bearer)
        self.expiresOn = expiresOn
        self.lifetime = lifetime
    }

    /// The bearer value, for the `Authorization` header only: a fresh `String` on each read.
    public var bearer: String { secret.string }

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
