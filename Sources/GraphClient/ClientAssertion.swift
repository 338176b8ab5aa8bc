import Foundation
import GalsyncCrypto

/// A certificate client assertion as Microsoft documents it: a JWT with `alg` PS256 (or RS256),
/// `x5t#S256` (or `x5t`), `aud` = the token endpoint URL, `iss` = `sub` = the client id, a fresh
/// `jti`, `nbf` now and `exp` ten minutes on. Redacted in descriptions.
public struct ClientAssertion: Sendable, CustomStringConvertible {
    /// The compact JWT, for the `client_assertion` form field only.
    public let jwt: String

    public static let lifetime: TimeInterval = 600

    public init(credential: CertificateCredential, clientId: String, tokenEndpoint: String, algorithm: SignatureAlgorithm, now: Date = Date()) throws {
        var header: [String: String] = ["alg": algorithm.rawValue, "typ": "JWT"]
        switch algorithm {
        case .ps256: header["x5t#S256"] = Base64URL.encode(credential.certificate.sha256Thumbprint)
        case .rs256: header["x5t"] = Base64URL.encode(credential.certificate.sha1Thumbprint)
        }
        let start = Int(now.timeIntervalSince1970)
        let claims = Claims(aud: tokenEndpoint, iss: clientId, sub: clientId, jti: UUID().uuidString.lowercased(),
                            nbf: start, exp: start + Int(Self.lifetime))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        jwt = try CompactJWS.sign(header: try encoder.encode(header), payload: try encoder.encode(claims),
                                  key: credential.privateKey, algorithm: algorithm)
    }

    struct Claims: Codable {
        var aud: String
        var iss: String
        var sub: String
        var jti: String
        var nbf: Int
        var exp: Int
    }

    public var description: String { "ClientAssertion(redacted)" }
}
