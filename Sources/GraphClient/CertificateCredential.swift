import Foundation
import GalsyncCrypto

/// The app's certificate and private key, loaded and checked: the files exist, the key is not
/// readable by group or others (as ssh insists), and the key belongs to the certificate.
public struct CertificateCredential: Sendable, CustomStringConvertible {
    public let certificate: Certificate
    public let privateKey: PrivateKey
    /// Where the key came from, for messages (never the key itself).
    public let keySource: String

    public init(certificate: Certificate, privateKey: PrivateKey, keySource: String) {
        self.certificate = certificate
        self.privateKey = privateKey
        self.keySource = keySource
    }

    public var description: String { "CertificateCredential(\(certificate.subject), key from \(keySource), redacted)" }

    /// Loads from the configured files. With systemd's `LoadCredential=galsync.key:…`,
    /// `$CREDENTIALS_DIRECTORY/galsync.key` wins over `privateKeyPath`.
    public static func load(certificatePath: String, privateKeyPath: String?, passphraseFile: String?,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws(CredentialError) -> CertificateCredential {
        // Secrets stay bytes, wiped by the loaders once parsed (never a String, which cannot be).
        let passphraseSource = passphraseFile ?? environment["CREDENTIALS_DIRECTORY"].map { "\($0)/galsync.passphrase" }
        var passphrase = try passphraseFile.map { file throws(CredentialError) -> Data in
            try checkPrivate(file, what: "passphrase file")
            guard let data = FileManager.default.contents(atPath: file) else { throw .unreadable(path: file, what: "passphrase file") }
            return trimmingNewlines(data)
        } ?? environment["CREDENTIALS_DIRECTORY"].flatMap { dir in
            FileManager.default.contents(atPath: "\(dir)/galsync.passphrase").map(trimmingNewlines)
        }
        var certData = try read(certificatePath, what: "certificate")
        let lower = certificatePath.lowercased()
        if lower.hasSuffix(".pfx") || lower.hasSuffix(".p12") {
            try checkPrivate(certificatePath, what: "PKCS#12 file")
            do {
                var secret = passphrase ?? Data()
                let bundle = try CertificateBundle(wipingPKCS12: &certData, passphrase: &secret)
                passphrase?.wipe()
                return CertificateCredential(certificate: bundle.certificate, privateKey: bundle.privateKey, keySource: certificatePath)
            } catch let error as CryptoError where error.isWrongPassphrase {
                throw .wrongPassphrase(path: certificatePath, what: "PKCS#12 file", passphraseFile: passphrase == nil ? nil : passphraseSource)
            } catch {
                throw .badPKCS12(path: certificatePath, reason: (error as? CryptoError)?.reason ?? "\(error)")
            }
        }
        let certificate: Certificate
        do { certificate = try Certificate(pemOrDER: certData) } catch { throw .badCertificate(path: certificatePath, reason: Self.reason(error)) }

        var keyPath = privateKeyPath
        if let dir = environment["CREDENTIALS_DIRECTORY"], FileManager.default.fileExists(atPath: "\(dir)/galsync.key") {
            keyPath = "\(dir)/galsync.key"
        }
        guard let keyPath else { throw .noPrivateKey }
        // systemd's credential directory is already private to the service; other key files must be 0600 or 0400.
        if environment["CREDENTIALS_DIRECTORY"].map({ !keyPath.hasPrefix($0) }) ?? true {
            try checkPrivate(keyPath, what: "private key")
        }
        var keyData = try read(keyPath, what: "private key")
        let key: PrivateKey
        let given = passphrase != nil
        do { key = try PrivateKey(wipingPEM: &keyData, passphrase: &passphrase) } catch let error as CryptoError where error.isWrongPassphrase {
            throw .wrongPassphrase(path: keyPath, what: "private key", passphraseFile: given ? passphraseSource : nil)
        } catch { throw .badPrivateKey(path: keyPath, reason: Self.reason(error)) }
        guard certificate.matches(key) else { throw .mismatch(certificatePath: certificatePath, keyPath: keyPath) }
        return CertificateCredential(certificate: certificate, privateKey: key, keySource: keyPath)
    }

    /// The bytes without line breaks at either end (a passphrase file's trailing newline).
    static func trimmingNewlines(_ data: Data) -> Data {
        var bytes = data[...]
        while let b = bytes.first, b == 10 || b == 13 { bytes = bytes.dropFirst() }
        while let b = bytes.last, b == 10 || b == 13 { bytes = bytes.dropLast() }
        return Data(bytes)
    }

    static func reason(_ error: any Error) -> String { (error as? CryptoError)?.description ?? "\(error)" }

    static func read(_ path: String, what: String) throws(CredentialError) -> Data {
        // "does not exist" only when the system says so: a folder galsync may not enter
        // (EACCES) is a permission problem with another fix.
        var info = stat()
        if stat(path, &info) != 0 { throw errno == EACCES ? .unreadable(path: path, what: what) : .missing(path: path, what: what) }
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path, what: what) }
        return data
    }

    /// Refuses a secret file that group or others may read, with the `chmod` that fixes it.
    /// A symlink (`/etc/galsync/galsync.key -> ...`) is judged by its target's mode, which
    /// `stat(2)` reads; the link's own mode (always 0777 on Linux) says nothing.
    static func checkPrivate(_ path: String, what: String) throws(CredentialError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw errno == EACCES ? .unreadable(path: path, what: what) : .missing(path: path, what: what) }
        let mode = Int(info.st_mode & 0o7777)
        if mode & 0o077 != 0 { throw .tooOpen(path: path, what: what, mode: mode) }
    }
}

/// Why the certificate or key could not be used; each says what to do.
public enum CredentialError: Error, Sendable, Equatable, CustomStringConvertible {
    case missing(path: String, what: String)
    case unreadable(path: String, what: String)
    case tooOpen(path: String, what: String, mode: Int)
    case badCertificate(path: String, reason: String)
    case badPrivateKey(path: String, reason: String)
    case badPKCS12(path: String, reason: String)
    /// The passphrase read from `passphraseFile` does not open the file (nil: none was given).
    case wrongPassphrase(path: String, what: String, passphraseFile: String?)
    case mismatch(certificatePath: String, keyPath: String)
    case noPrivateKey

    public var description: String {
        switch self {
        case .missing(let p, let w): "the \(w) \(p) does not exist: check tenant.certificate / tenant.private_key, or make one with 'galsync cert new'"
        case .unreadable(let p, let w): "cannot read the \(w) \(p) (permission denied): run galsync as root, or, for the service, keep it where the unit's user can read it (the key comes through LoadCredential=; see the certificate rotation in docs/operations.md)"
        case .tooOpen(let p, let w, let m): "the \(w) \(p) is readable by others (mode \(String(m, radix: 8))): run 'chmod 600 \(p)'"
        case .badCertificate(let p, let r): "\(p) is not a PEM or DER certificate (\(r))"
        case .badPrivateKey(let p, let r): "cannot load the private key \(p): \(r); PEM PKCS#1 or PKCS#8 is expected, with tenant.passphrase_file if encrypted"
        case .badPKCS12(let p, let r): "cannot open the PKCS#12 file \(p): \(r); export the certificate with its private key as .pfx again, or use PEM files"
        case .wrongPassphrase(let p, let w, let file?):
            "wrong passphrase for the \(w) \(p) (read from \(file)): put the passphrase it was made with in that file, on one line"
        case .wrongPassphrase(let p, let w, nil):
            "the \(w) \(p) is protected by a passphrase and none was given: set tenant.passphrase_file to a file (mode 0600) holding it"
        case .mismatch(let c, let k): "the private key \(k) does not belong to the certificate \(c): use the key the certificate was made with"
        case .noPrivateKey: "no private key: set tenant.private_key, or use a .pfx/.p12 certificate that holds it"
        }
    }
}
