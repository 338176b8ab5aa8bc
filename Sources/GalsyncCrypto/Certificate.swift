import COpenSSL
import CShims
import Foundation

/// An X.509 certificate held by OpenSSL. Immutable once made.
public final class Certificate: @unchecked Sendable, CustomStringConvertible {
    let x509: OpaquePointer

    init(taking x509: OpaquePointer) { self.x509 = x509 }
    deinit { X509_free(x509) }

    /// Loads the first certificate of a PEM file.
    public convenience init(pem: Data) throws {
        let bio = try MemoryBIO(pem)
        guard let cert = PEM_read_bio_X509(bio.bio, nil, nil, nil) else { throw CryptoError("read PEM certificate") }
        self.init(taking: cert)
    }

    /// Loads a DER-encoded certificate.
    public convenience init(der: Data) throws {
        let cert: OpaquePointer? = der.withUnsafeBytes { raw in
            var p: UnsafePointer<UInt8>? = raw.bindMemory(to: UInt8.self).baseAddress
            return d2i_X509(nil, &p, raw.count)
        }
        guard let cert else { throw CryptoError("read DER certificate") }
        self.init(taking: cert)
    }

    /// Loads PEM or DER, whichever `data` holds.
    public convenience init(pemOrDER data: Data) throws {
        if data.starts(with: Array("-----BEGIN".utf8)) || String(decoding: data.prefix(4096), as: UTF8.self).contains("-----BEGIN CERTIFICATE") {
            try self.init(pem: data)
        } else {
            try self.init(der: data)
        }
    }

    /// The DER encoding: what thumbprints are computed over.
    public var der: Data {
        var out: UnsafeMutablePointer<UInt8>?
        let n = i2d_X509(x509, &out)
        guard n > 0, let out else { return Data() }
        defer { gs_openssl_free(out) }
        return Data(bytes: out, count: Int(n))
    }

    public func pem() throws -> Data {
        let bio = try MemoryBIO()
        guard PEM_write_bio_X509(bio.bio, x509) == 1 else { throw CryptoError("write certificate") }
        return bio.contents()
    }

    /// SHA-1 thumbprint (what Entra's portal shows, upper-case hex there).
    public var sha1Thumbprint: Data { Digest.sha1(der) }
    /// SHA-256 thumbprint, the `x5t#S256` of a client assertion.
    public var sha256Thumbprint: Data { Digest.sha256(der) }

    public var notBefore: Date { Self.date(X509_get0_notBefore(x509)) }
    public var notAfter: Date { Self.date(X509_get0_notAfter(x509)) }

    /// Subject in RFC 2253 form, e.g. `CN=galsync,O=Contoso`.
    public var subject: String { Self.name(X509_get_subject_name(x509)) }
    public var issuer: String { Self.name(X509_get_issuer_name(x509)) }

    /// Serial number as hex.
    public var serialHex: String {
        guard let bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x509), nil) else { return "" }
        defer { BN_free(bn) }
        guard let hex = BN_bn2hex(bn) else { return "" }
        defer { gs_openssl_free(hex) }
        return String(cString: hex).lowercased()
    }

    /// RSA key size of the certificate's public key.
    public var publicKeyBits: Int {
        guard let key = X509_get0_pubkey(x509) else { return 0 }
        return Int(EVP_PKEY_get_bits(key))
    }

    /// True when `key` is the private half of this certificate's public key.
    public func matches(_ key: PrivateKey) -> Bool {
        let ok = X509_check_private_key(x509, key.pkey) == 1
        _ = CryptoError.drainOpenSSLErrors()
        return ok
    }

    /// Verifies a JWS signature over `message` with this certificate's public key.
    public func verify(signature: Data, message: some DataProtocol, algorithm: SignatureAlgorithm) -> Bool {
        guard let key = X509_get0_pubkey(x509), let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx); _ = CryptoError.drainOpenSSLErrors() }
        var pctx: OpaquePointer?
        guard EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), nil, key) == 1 else { return false }
        guard (try? SignaturePadding.apply(algorithm, to: pctx)) != nil else { return false }
        let input = Data(message)
        return signature.withUnsafeBytes { sig in
            input.withUnsafeBytes { msg in
                EVP_DigestVerify(
                    ctx, sig.bindMemory(to: UInt8.self).baseAddress, sig.count,
                    msg.bindMemory(to: UInt8.self).baseAddress, msg.count) == 1
            }
        }
    }

    public var description: String { "Certificate(\(subject), SHA-1 \(Digest.hex(sha1Thumbprint)))" }

    private static func date(_ t: UnsafePointer<ASN1_TIME>?) -> Date {
        var tm = tm()
        guard let t, ASN1_TIME_to_tm(t, &tm) == 1 else { return .distantPast }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&tm)))
    }

    private static func name(_ n: OpaquePointer?) -> String {
        guard let n, let bio = try? MemoryBIO() else { return "" }
        X509_NAME_print_ex(bio.bio, n, 0, gs_xn_flag_rfc2253())
        return String(decoding: bio.contents(), as: UTF8.self)
    }
}
