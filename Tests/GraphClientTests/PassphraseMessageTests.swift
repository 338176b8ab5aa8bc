import Foundation
import GalsyncCrypto
import GraphClient
import Testing

/// A PKCS#12 file or encrypted key opened with the wrong passphrase says "wrong passphrase",
/// once, with the file and where the passphrase came from; no OpenSSL error stack.
@Suite struct PassphraseMessageTests {
    @Test func aWrongPKCS12PassphraseIsSaidOnce() throws {
        let f = try CredentialFiles()
        defer { f.remove() }
        try f.write("galsync.pfx", try CertificateBundle(certificate: f.certificate, privateKey: f.key).pkcs12(passphrase: "correct horse"), mode: 0o600)
        try f.write("pass", Data("battery staple\n".utf8), mode: 0o600)
        let error = #expect(throws: CredentialError.self) {
            try CertificateCredential.load(certificatePath: f.path("galsync.pfx"), privateKeyPath: nil, passphraseFile: f.path("pass"), environment: [:])
        }
        #expect(error == .wrongPassphrase(path: f.path("galsync.pfx"), what: "PKCS#12 file", passphraseFile: f.path("pass")))
        let text = "\(error!)"
        #expect(text == "wrong passphrase for the PKCS#12 file \(f.path("galsync.pfx")) (read from \(f.path("pass"))): put the passphrase it was made with in that file, on one line")
        #expect(text.components(separatedBy: "passphrase").count - 1 == 2 && !text.contains("error:") && !text.contains("routines"), "\(text)")
    }

    /// The passphrase from systemd's credential directory is named as such.
    @Test func theCredentialDirectoryPassphraseIsNamed() throws {
        let f = try CredentialFiles()
        defer { f.remove() }
        try f.write("galsync.pfx", try CertificateBundle(certificate: f.certificate, privateKey: f.key).pkcs12(passphrase: "correct horse"), mode: 0o600)
        let creds = f.dir.appendingPathComponent("creds")
        try FileManager.default.createDirectory(at: creds, withIntermediateDirectories: true)
        try Data("wrong".utf8).write(to: creds.appendingPathComponent("galsync.passphrase"))
        let error = #expect(throws: CredentialError.self) {
            try CertificateCredential.load(certificatePath: f.path("galsync.pfx"), privateKeyPath: nil, passphraseFile: nil, environment: ["CREDENTIALS_DIRECTORY": creds.path])
        }
        #expect(error == .wrongPassphrase(path: f.path("galsync.pfx"), what: "PKCS#12 file", passphraseFile: creds.path + "/galsync.passphrase"))
    }

    @Test func aMissingPKCS12PassphraseSaysToSetOne() throws {
        let f = try CredentialFiles()
        defer { f.remove() }
        try f.write("galsync.pfx", try CertificateBundle(certificate: f.certificate, privateKey: f.key).pkcs12(passphrase: "correct horse"), mode: 0o600)
        let error = #expect(throws: CredentialError.self) {
            try CertificateCredential.load(certificatePath: f.path("galsync.pfx"), privateKeyPath: nil, passphraseFile: nil, environment: [:])
        }
        #expect("\(error!)" == "the PKCS#12 file \(f.path("galsync.pfx")) is protected by a passphrase and none was given: set tenant.passphrase_file to a file (mode 0600) holding it")
    }

    @Test func aWrongKeyPassphraseIsSaidOnce() throws {
        let f = try CredentialFiles()
        defer { f.remove() }
        try f.write("enc.key", try f.key.encryptedPKCS8PEM(passphrase: "correct horse"), mode: 0o600)
        try f.write("pass", Data("battery staple".utf8), mode: 0o600)
        let error = #expect(throws: CredentialError.self) {
            try CertificateCredential.load(certificatePath: f.path("galsync.crt"), privateKeyPath: f.path("enc.key"), passphraseFile: f.path("pass"), environment: [:])
        }
        #expect(error == .wrongPassphrase(path: f.path("enc.key"), what: "private key", passphraseFile: f.path("pass")))
    }

    /// A file that is no PKCS#12 at all is not blamed on the passphrase.
    @Test func aFileThatIsNoPKCS12IsNotAPassphraseProblem() throws {
        let f = try CredentialFiles()
        defer { f.remove() }
        try f.write("galsync.pfx", try f.certificate.pem(), mode: 0o600)
        try f.write("pass", Data("correct horse".utf8), mode: 0o600)
        let error = #expect(throws: CredentialError.self) {
            try CertificateCredential.load(certificatePath: f.path("galsync.pfx"), privateKeyPath: nil, passphraseFile: f.path("pass"), environment: [:])
        }
        let text = "\(error!)"
        #expect(text.hasPrefix("cannot open the PKCS#12 file \(f.path("galsync.pfx")): not a PKCS#12 file ("), "\(text)")
        #expect(!text.contains("passphrase"), "\(text)")
    }
}
