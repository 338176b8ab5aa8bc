import COpenSSL
import CShims
import Foundation

/// A certificate with its private key, as a PKCS#12 (.pfx/.p12) file carries them.
public struct CertificateBundle: Sendable {
    public let certificate: Certificate
    public let privateKey: PrivateKey

    public init(certificate: Certificate, privateKey: PrivateKey) {
        self.certificate = certificate
        self.privateKey = privateKey
    }

    /// Reads a PKCS#12 file (what Windows' certificate export writes). `passphrase` may be empty.
    public init(pkcs12 der: Data, passphrase: String) throws {
        var key: OpaquePointer?
        var cert: OpaquePointer?
        let ok = der.withUnsafeBytes { raw in
            passphrase.withCString { gs_pkcs12_parse(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, $0, &key, &cert) }
        }
        guard ok == 1, let key, let cert else {
            if let key { EVP_PKEY_free(key) }
            if let cert { X509_free(cert) }
            throw CryptoError.openingFailed("read PKCS#12 file", passphraseGiven: !passphrase.isEmpty, otherwise: "not a PKCS#12 file")
        }
        self.init(certificate: Certificate(taking: cert), privateKey: PrivateKey(taking: key))
    }

    /// Reads a PKCS#12 file as `init(pkcs12:passphrase:)` does, then overwrites `der` and
    /// `passphrase` with zeros (`Data.wipe()`), whether or not it could be read.
    public init(wipingPKCS12 der: inout Data, passphrase: inout Data) throws {
        defer {
            der.wipe()
            passphrase.wipe()
        }
        var pass = Array(passphrase).map { CChar(bitPattern: $0) } + [0]
        defer { pass.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) } }
        var key: OpaquePointer?
        var cert: OpaquePointer?
        let ok = der.withUnsafeBytes { raw in
            pass.withUnsafeBufferPointer { gs_pkcs12_parse(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, $0.baseAddress, &key, &cert) }
        }
        guard ok == 1, let key, let cert else {
            if let key { EVP_PKEY_free(key) }
            if let cert { X509_free(cert) }
            throw CryptoError.openingFailed("read PKCS#12 file", passphraseGiven: pass.count > 1, otherwise: "not a PKCS#12 file")
        }
        self.init(certificate: Certificate(taking: cert), privateKey: PrivateKey(taking: key))
    }

    /// Writes a PKCS#12 file protected by `passphrase` (AES-256, as current OpenSSL does by default).
    public func pkcs12(passphrase: String, friendlyName: String = "galsync") throws -> Data {
        let p12 = passphrase.withCString { pass in
            friendlyName.withCString { name in
                PKCS12_create(pass, name, privateKey.pkey, certificate.x509, nil, 0, 0, 0, 0, 0)
            }
        }
        guard let p12 else { throw CryptoError("write PKCS#12 file") }
        defer { PKCS12_free(p12) }
        var out: UnsafeMutablePointer<UInt8>?
        let n = i2d_PKCS12(p12, &out)
        guard n > 0, let out else { throw CryptoError("encode PKCS#12 file") }
        defer { gs_openssl_free(out) }
        return Data(bytes: out, count: Int(n))
    }
}
