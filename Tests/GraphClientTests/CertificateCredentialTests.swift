import Foundation
import GalsyncCrypto
import GraphClient
import Testing

@Suite struct CertificateCredentialTests {
    @Test func loadsPKCS8PKCS1EncryptedAndPKCS12() throws {
        let f = try CredentialFiles()
        defer { f.remove() }
        #expect(try f.credential().certificate.der == f.certificate.der)
        try f.write("pkcs1.key", try f.key.pkcs1PEM(), mode: 0o600)
        _ = try CertificateCredential.load(certificatePath: f.path("galsync.crt"), privateKeyPath: f.path("pkcs1.key"), passphraseFile: nil, environment: [:])
        try f.write("enc.key", try f.key.encryptedPKCS8PEM(passphrase: "correct horse"), mode: 0o600)
        try f.write("pass", Data("correct horse\n".utf8), mode: 0o600)
        _ = try CertificateCredential.load(certificatePath: f.path("galsync.crt"), privateKeyPath: f.path("enc.key"), passphraseFile: f.path("pass"), environment: [:])
        try f.write("galsync.pfx", try CertificateBundle(certificate: f.certificate, privateKey: f.key).pkcs12(passphrase: "correct horse"), mode: 0o600)
        let pfx = try CertificateCredential.load(certificatePath: f.path("galsync.pfx"), privateKeyPath: nil, passphraseFile: f.path("pass"), environment: [:])
        #expect(pfx.certificate.matches(pfx.privateKey))
        let noPass = #expect(throws: CredentialError.self) {
            try CertificateCredential.load(certificatePath: f.path("galsync.crt"), privateKeyPath: f.path("enc.key"), passphraseFile: nil, environment: [:])
        }
        #expect("\(noPass!)".contains("passphrase"))
    }

    @Test func aKeyReadableByOthersIsRefusedWithTheChmodThatFixesIt() throws {
        let f = try CredentialFiles()
        defer { f.remove() }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: f.path("galsync.key"))
        let error = #expect(throws: CredentialError.self) { try f.credential() }
        #expect(error == .tooOpen(path: f.path("galsync.key"), what: "private key", mode: 0o644))
        #expect("\(error!)".contains("chmod 600 \(f.path("galsync.key"))"))
    }

    @Test func aKeyThatIsNotTheCertificatesIsRefused() throws {
        let f = try CredentialFiles()
        defer { f.remove() }
        try f.write("other.key", try PrivateKey.generateRSA(bits: 2048).pkcs8PEM(), mode: 0o600)
        let error = #expect(throws: CredentialError.self) {
            try CertificateCredential.load(certificatePath: f.path("galsync.crt"), privateKeyPath: f.path("other.key"), passphraseFile: nil, environment: [:])
        }
        #expect(error == .mismatch(certificatePath: f.path("galsync.crt"), keyPath: f.path("other.key")))
    }

    @Test func theSystemdCredentialWins() throws {
        let f = try CredentialFiles()
        defer { f.remove() }
        let creds = f.dir.appendingPathComponent("creds")
        try FileManager.default.createDirectory(at: creds, withIntermediateDirectories: true)
        try f.key.pkcs8PEM().write(to: creds.appendingPathComponent("galsync.key"))
        let c = try CertificateCredential.load(certificatePath: f.path("galsync.crt"), privateKeyPath: "/nonexistent.key", passphraseFile: nil,
                                               environment: ["CREDENTIALS_DIRECTORY": creds.path])
        #expect(c.keySource == creds.appendingPathComponent("galsync.key").path)
    }

    @Test func missingFilesSayWhatToDo() throws {
        let error = #expect(throws: CredentialError.self) {
            try CertificateCredential.load(certificatePath: "/nonexistent/galsync.crt", privateKeyPath: nil, passphraseFile: nil, environment: [:])
        }
        #expect("\(error!)".contains("galsync cert new"))
    }
}
