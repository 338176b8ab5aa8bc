import Foundation

/// A JWS in compact serialization (`header.payload.signature`), as JWT client assertions and
/// access tokens travel. JSON handling is left to callers; this type only splits, signs and checks.
public struct CompactJWS: Sendable {
    public let header: Data
    public let payload: Data
    public let signature: Data
    /// `base64url(header) + "." + base64url(payload)`: the bytes the signature covers.
    public let signingInput: String

    /// Splits a compact JWS; nil when it is not three base64url parts.
    public init?(_ token: String) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              let h = Base64URL.decode(parts[0]), let p = Base64URL.decode(parts[1]),
              let s = Base64URL.decode(parts[2]) else { return nil }
        header = h
        payload = p
        signature = s
        signingInput = "\(parts[0]).\(parts[1])"
    }

    /// Signs `header` and `payload` (already JSON-encoded) and returns the compact form.
    public static func sign(header: Data, payload: Data, key: PrivateKey, algorithm: SignatureAlgorithm) throws -> String {
        let input = Base64URL.encode(header) + "." + Base64URL.encode(payload)
        let signature = try key.sign(Data(input.utf8), algorithm: algorithm)
        return input + "." + Base64URL.encode(signature)
    }

    public func verify(with certificate: Certificate, algorithm: SignatureAlgorithm) -> Bool {
        certificate.verify(signature: signature, message: Data(signingInput.utf8), algorithm: algorithm)
    }
}
