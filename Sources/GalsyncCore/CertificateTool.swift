import Foundation
import GalsyncCrypto
import GalsyncJSON
import GraphClient

/// `galsync cert new` and `galsync cert show`: make the app's key and certificate, and describe
/// any certificate, with what an operator needs to upload and track it.
public enum CertificateTool {
    public struct NewOptions: Sendable {
        public var directory: String
        public var days: Int = 730
        public var subject: String = "CN=galsync"
        public var keySize: Int = 2048
        public var force = false
        public init(directory: String) { self.directory = directory }
    }

    public struct ToolError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Writes `DIR/galsync.key` (0600) and `DIR/galsync.crt` (0644); returns the text to print.
    public static func makeNew(_ o: NewOptions, now: Date = Date()) throws -> String {
        guard (1...3650).contains(o.days) else { throw ToolError(description: "--days \(o.days) is not within 1…3650") }
        guard [2048, 3072, 4096].contains(o.keySize) else { throw ToolError(description: "--key-size must be 2048, 3072 or 4096") }
        let keyPath = "\(o.directory)/galsync.key", certPath = "\(o.directory)/galsync.crt"
        if !o.force {
            for p in [keyPath, certPath] where FileManager.default.fileExists(atPath: p) {
                throw ToolError(description: "\(p) exists; pass --force to replace it (the old certificate stops working once its key is gone)")
            }
        }
        do {
            try FileManager.default.createDirectory(atPath: o.directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        } catch {
            throw ToolError(description: "cannot create \(o.directory): \(error.localizedDescription)")
        }
        let key = try PrivateKey.generateRSA(bits: o.keySize)
        let cert = try Certificate.selfSigned(key: key, subject: o.subject, notBefore: now - 300, notAfter: now + Double(o.days) * 86_400)
        try SecretFile.write(try key.pkcs8PEM(), to: keyPath, mode: 0o600)
        try SecretFile.write(try cert.pem(), to: certPath, mode: 0o644)
        return """
            Wrote \(keyPath) (RSA \(o.keySize), mode 0600) and \(certPath).
            \(describe(cert, now: now))

            Next:
              1. Entra admin center → App registrations → your galsync app → Certificates & secrets
                 → Certificates → Upload certificate → choose \(certPath).
              2. Check the thumbprint shown there matches the SHA-1 above.
              3. First install: set tenant.certificate and tenant.private_key in galsync.toml to these files.
                 Rotation: install them over the old ones, same paths (docs/operations.md, "Certificate rotation").
              4. Run 'galsync check', then 'systemctl restart galsync' (restart: the key is a credential).
            """
    }

    /// Subject, issuer, validity, days left and thumbprints of a certificate file.
    public static func show(path: String, now: Date = Date()) throws -> String {
        describe(try load(path: path), now: now)
    }

    /// The certificate in a PEM or DER file, or in a PKCS#12 file (.pfx, .p12: opened with
    /// `passphraseFile`, or the systemd credential galsync.passphrase; the key in it is not kept).
    public static func load(path: String, passphraseFile: String? = nil) throws -> Certificate {
        if [".pfx", ".p12"].contains(where: { path.lowercased().hasSuffix($0) }) {
            return try CertificateCredential.load(certificatePath: path, privateKeyPath: nil, passphraseFile: passphraseFile).certificate
        }
        guard FileManager.default.fileExists(atPath: path) else { throw ToolError(description: "\(path): no such file") }
        guard let data = FileManager.default.contents(atPath: path) else { throw ToolError(description: "cannot read \(path) (permissions?)") }
        do { return try Certificate(pemOrDER: data) } catch { throw ToolError(description: "\(path) is not a PEM or DER certificate (\(error))") }
    }

    /// `cert show --json`: what `describe` prints, as one object.
    public static func json(_ cert: Certificate, file: String, now: Date = Date()) -> JSONValue {
        let f = ISO8601DateFormatter()
        let days = daysLeft(cert, now: now)
        return [
            "file": .string(file), "subject": .string(cert.subject), "issuer": .string(cert.issuer),
            "not_before": .string(f.string(from: cert.notBefore)), "not_after": .string(f.string(from: cert.notAfter)),
            "days_left": .number(Double(days)), "expired": .bool(days < 0), "key_bits": .number(Double(cert.publicKeyBits)),
            "sha1": .string(Digest.hex(cert.sha1Thumbprint).uppercased()), "sha256": .string(Digest.hex(cert.sha256Thumbprint).uppercased()),
        ]
    }

    public static func describe(_ cert: Certificate, now: Date = Date()) -> String {
        let f = ISO8601DateFormatter()
        let days = daysLeft(cert, now: now)
        let state = days < 0 ? "EXPIRED \(-days) days ago" : days < 30 ? "\(days) days left — renew soon" : "\(days) days left"
        return """
              subject:  \(cert.subject)
              issuer:   \(cert.issuer)
              valid:    \(f.string(from: cert.notBefore)) to \(f.string(from: cert.notAfter)) (\(state))
              key:      RSA \(cert.publicKeyBits) bits
              SHA-1:    \(Digest.hex(cert.sha1Thumbprint).uppercased())
              SHA-256:  \(Digest.hex(cert.sha256Thumbprint).uppercased())
            """
    }

    public static func daysLeft(_ cert: Certificate, now: Date = Date()) -> Int {
        // Certificates hold whole seconds: round to the nearest day so "--days 10" shows 10.
        // An expired certificate is never "0 days left": expiry is decided by the instant.
        let days = Int((cert.notAfter.timeIntervalSince(now) / 86_400).rounded())
        return cert.notAfter < now ? min(days, -1) : days
    }
}
