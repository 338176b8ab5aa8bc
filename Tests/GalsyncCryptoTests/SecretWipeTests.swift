import Foundation
@testable import GalsyncCrypto
import Testing

/// The key's PEM bytes and the passphrase are overwritten once OpenSSL has parsed them, and the
/// parsed key still works.
@Suite struct SecretWipeTests {
    @Test func anEncryptedKeyAndItsPassphraseAreWipedOnceParsed() throws {
        let key = try PrivateKey.generateRSA(bits: 2048)
        var pem = try key.encryptedPKCS8PEM(passphrase: "correct horse")
        var passphrase: Data? = Data("correct horse".utf8)
        let count = pem.count
        let loaded = try PrivateKey(wipingPEM: &pem, passphrase: &passphrase)
        #expect(pem.count == count && pem.allSatisfy { $0 == 0 }, "the PEM bytes are still there")
        #expect(passphrase?.allSatisfy { $0 == 0 } == true, "the passphrase is still there")
        let signature = try loaded.sign(Data("x".utf8), algorithm: .rs256)
        #expect(signature == (try key.sign(Data("x".utf8), algorithm: .rs256)), "the parsed key is the same key")
    }

    @Test func theBytesAreWipedWhenParsingFails() throws {
        let key = try PrivateKey.generateRSA(bits: 2048)
        var pem = try key.encryptedPKCS8PEM(passphrase: "right")
        var passphrase: Data? = Data("wrong".utf8)
        #expect(throws: CryptoError.self) { try PrivateKey(wipingPEM: &pem, passphrase: &passphrase) }
        #expect(pem.allSatisfy { $0 == 0 } && passphrase?.allSatisfy { $0 == 0 } == true)
    }

    @Test func aPKCS12PassphraseIsWiped() throws {
        let key = try PrivateKey.generateRSA(bits: 2048)
        let cert = try Certificate.selfSigned(key: key, subject: "CN=galsync test", notAfter: Date() + 3600)
        var der = try CertificateBundle(certificate: cert, privateKey: key).pkcs12(passphrase: "pfx pass")
        var passphrase = Data("pfx pass".utf8)
        let bundle = try CertificateBundle(wipingPKCS12: &der, passphrase: &passphrase)
        #expect(bundle.certificate.matches(bundle.privateKey))
        #expect(der.allSatisfy { $0 == 0 } && passphrase.allSatisfy { $0 == 0 })
    }

    @Test func secretBytesKeepTheirValueAndHideIt() {
        let a = SecretBytes("eyJ0eXAi.secret.token"), b = SecretBytes("eyJ0eXAi.secret.token")
        #expect(a.string == "eyJ0eXAi.secret.token" && a == b && a != SecretBytes("other"))
        #expect(!"\(a)".contains("secret"))
    }
}
