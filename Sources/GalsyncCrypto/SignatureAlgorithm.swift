/// The JWS algorithms the Microsoft identity platform accepts for certificate client assertions.
public enum SignatureAlgorithm: String, Sendable, CaseIterable, Codable {
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt (RFC 7518 §3.5): what Microsoft documents today.
    case ps256 = "PS256"
    /// RSASSA-PKCS1-v1_5 with SHA-256: the older form, still used by MSAL for ADFS and SHA-1 thumbprints.
    case rs256 = "RS256"
}
