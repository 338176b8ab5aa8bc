import COpenSSL
import CShims
import Foundation

/// An RSA private key held by OpenSSL. Immutable once made, so it is safe to share.
///
/// Its description is redacted: printing, logging or interpolating a key never shows key material.
public final class PrivateKey: @unchecked Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    let pkey: OpaquePointer

    init(taking pkey: OpaquePointer) { self.pkey = pkey }
    deinit { EVP_PKEY_free(pkey) }

    /// A fresh RSA key. 2048, 3072 and 4096 bits are what Entra accepts and operators expect.
    public static func generateRSA(bits: Int) throws -> PrivateKey {
        guard [2048, 3072, 4096].contains(bits) else {
            throw CryptoError("generate RSA key", reason: "key size \(bits) is not one of 2048, 3072, 4096")
        }
        guard let key = gs_rsa_generate(UInt32(bits)) else { throw CryptoError("generate RSA key") }
        return PrivateKey(taking: key)
    }

    /// Loads a PEM private key: PKCS#1 (`BEGIN RSA PRIVATE KEY`), PKCS#8, or encrypted PKCS#8 with `passphrase`.
    public convenience init(pem: Data, passphrase: String? = nil) throws {
        let bio = try MemoryBIO(pem)
        let key: OpaquePointer? = passphrase.withOptionalCString { pass in
            PEM_read_bio_PrivateKey(bio.bio, nil, nil, UnsafeMutableRawPointer(mutating: pass ?? UnsafePointer(strdupEmpty)))
        }
        guard let key else {
            let encrypted = String(decoding: pem.prefix(200), as: UTF8.self).contains("ENCRYPTED")
            if encrypted && passphrase == nil {
                _ = CryptoError.drainOpenSSLErrors()
                throw CryptoError("read private key", reason: "the key is encrypted and no passphrase was given", isWrongPassphrase: true)
            }
            throw CryptoError.openingFailed("read private key", passphraseGiven: passphrase != nil, otherwise: "not a PEM private key")
        }
        self.init(taking: key)
    }

    /// Loads a PEM private key as `init(pem:passphrase:)` does, then overwrites `pem` and
    /// `passphrase` with zeros (`Data.wipe()`), whether or not the key could be read: the
    /// key lives on only inside OpenSSL's `EVP_PKEY`, which frees it with its clearing free.
    /// OpenSSL's own copy of the PEM (a memory BIO) is cleared when the BIO is freed. Pass the
    /// `Data` read from the file itself, not a copy, so there is no other copy to leave behind.
    public convenience init(wipingPEM pem: inout Data, passphrase: inout Data?) throws {
        defer {
            pem.wipe()
            passphrase?.wipe()
        }
        let bio = try MemoryBIO(pem)
        // OpenSSL takes the passphrase as a C string: a NUL-terminated copy, cleared after use.
        var pass: [CChar]? = passphrase.map { Array($0).map { CChar(bitPattern: $0) } + [0] }
        defer { if pass != nil { pass!.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) } } }
        let key: OpaquePointer? = pass == nil
            ? PEM_read_bio_PrivateKey(bio.bio, nil, nil, UnsafeMutableRawPointer(mutating: UnsafePointer(strdupEmpty)))
            : pass!.withUnsafeMutableBufferPointer { PEM_read_bio_PrivateKey(bio.bio, nil, nil, UnsafeMutableRawPointer($0.baseAddress)) }
        guard let key else {
            let encrypted = String(decoding: pem.prefix(200), as: UTF8.self).contains("ENCRYPTED")
            if encrypted && passphrase == nil {
                _ = CryptoError.drainOpenSSLErrors()
                throw CryptoError("read private key", reason: "the key is encrypted and no passphrase was given", isWrongPassphrase: true)
            }
            throw CryptoError.openingFailed("read private key", passphraseGiven: passphrase != nil, otherwise: "not a PEM private key")
        }
        self.init(taking: key)
    }

    /// Key size in bits.
    public var bits: Int { Int(EVP_PKEY_get_bits(pkey)) }

    /// The key as unencrypted PKCS#8 PEM (`BEGIN PRIVATE KEY`). Callers write it with mode 0600.
    public func pkcs8PEM() throws -> Data {
        let bio = try MemoryBIO()
        guard PEM_write_bio_PrivateKey(bio.bio, pkey, nil, nil, 0, nil, nil) == 1 else {
            throw CryptoError("write private key")
        }
        return bio.contents()
    }

    /// The key encrypted with AES-256-CBC as PKCS#8 PEM (`BEGIN ENCRYPTED PRIVATE KEY`).
    public func encryptedPKCS8PEM(passphrase: String) throws -> Data {
        let bio = try MemoryBIO()
        let ok = passphrase.withCString { pass in
            PEM_write_bio_PKCS8PrivateKey(bio.bio, pkey, EVP_aes_256_cbc(), pass, Int32(strlen(pass)), nil, nil)
        }
        guard ok == 1 else { throw CryptoError("write encrypted private key") }
        return bio.contents()
    }

    /// The key as PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`), the "traditional" form older tools write.
    public func pkcs1PEM() throws -> Data {
        let bio = try MemoryBIO()
        guard PEM_write_bio_PrivateKey_traditional(bio.bio, pkey, nil, nil, 0, nil, nil) == 1 else {
            throw CryptoError("write private key")
        }
        return bio.contents()
    }

    /// Signs `message` as JWS `algorithm` requires.
    public func sign(_ message: some DataProtocol, algorithm: SignatureAlgorithm) throws -> Data {
        guard let ctx = EVP_MD_CTX_new() else { throw CryptoError("sign") }
        defer { EVP_MD_CTX_free(ctx) }
        var pctx: OpaquePointer?
        guard EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), nil, pkey) == 1 else { throw CryptoError("sign") }
        try SignaturePadding.apply(algorithm, to: pctx)
        let input = Data(message)
        var length = 0
        let ok1 = input.withUnsafeBytes { EVP_DigestSign(ctx, nil, &length, $0.bindMemory(to: UInt8.self).baseAddress, $0.count) }
        guard ok1 == 1 else { throw CryptoError("sign") }
        var signature = [UInt8](repeating: 0, count: length)
        let ok2 = input.withUnsafeBytes { EVP_DigestSign(ctx, &signature, &length, $0.bindMemory(to: UInt8.self).baseAddress, $0.count) }
        guard ok2 == 1 else { throw CryptoError("sign") }
        return Data(signature.prefix(length))
    }

    public var description: String { "PrivateKey(RSA \(bits) bits, redacted)" }
    public var debugDescription: String { description }
}

/// An empty C string, used when OpenSSL must not prompt on a terminal for a passphrase.
nonisolated(unsafe) private let strdupEmpty: UnsafeMutablePointer<CChar> = strdup("")!

extension Optional where Wrapped == String {
    func withOptionalCString<R>(_ body: (UnsafePointer<CChar>?) -> R) -> R {
        switch self {
        case .some(let s): return s.withCString { body($0) }
        case .none: return body(nil)
        }
    }
}
