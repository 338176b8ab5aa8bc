import Foundation
@testable import GalsyncCrypto
import Testing

@Suite struct CertificateTests {
    static let key = try! PrivateKey.generateRSA(bits: 2048)

    @Test func selfSignedCertificateCarriesSubjectValidityAndMatchesItsKey() throws {
        let now = Date()
        let cert = try Certificate.selfSigned(key: Self.key, subject: "CN=galsync,O=Contoso Ltd", notBefore: now, notAfter: now + 86_400 * 30)
        #expect(cert.subject == "O=Contoso Ltd,CN=galsync" || cert.subject == "CN=galsync,O=Contoso Ltd")
        #expect(abs(cert.notAfter.timeIntervalSince(now + 86_400 * 30)) < 2)
        #expect(cert.publicKeyBits == 2048)
        #expect(cert.matches(Self.key))
        #expect(!cert.matches(try PrivateKey.generateRSA(bits: 2048)))
        #expect(cert.sha1Thumbprint.count == 20 && cert.sha256Thumbprint.count == 32)
    }

    @Test func pemAndDerRoundTrip() throws {
        let cert = try Certificate.selfSigned(key: Self.key, subject: "CN=roundtrip", notAfter: Date() + 3600)
        let fromPEM = try Certificate(pemOrDER: try cert.pem())
        let fromDER = try Certificate(pemOrDER: cert.der)
        #expect(fromPEM.der == cert.der && fromDER.der == cert.der)
    }

    @Test func keyLoadsFromPKCS1PKCS8AndEncryptedPKCS8() throws {
        let message = Data("hello".utf8)
        let cert = try Certificate.selfSigned(key: Self.key, subject: "CN=k", notAfter: Date() + 3600)
        for pem in [try Self.key.pkcs1PEM(), try Self.key.pkcs8PEM()] {
            let k = try PrivateKey(pem: pem)
            #expect(cert.matches(k))
        }
        let encrypted = try Self.key.encryptedPKCS8PEM(passphrase: "s3cret")
        #expect(String(decoding: encrypted, as: UTF8.self).contains("ENCRYPTED PRIVATE KEY"))
        #expect(cert.matches(try PrivateKey(pem: encrypted, passphrase: "s3cret")))
        #expect(throws: CryptoError.self) { try PrivateKey(pem: encrypted, passphrase: "wrong") }
        let noPass = #expect(throws: CryptoError.self) { try PrivateKey(pem: encrypted) }
        #expect(noPass?.reason.contains("passphrase") == true)
        _ = message
    }

    @Test func pkcs12RoundTripAndWrongPassphrase() throws {
        let cert = try Certificate.selfSigned(key: Self.key, subject: "CN=pfx", notAfter: Date() + 3600)
        let pfx = try CertificateBundle(certificate: cert, privateKey: Self.key).pkcs12(passphrase: "pw")
        let bundle = try CertificateBundle(pkcs12: pfx, passphrase: "pw")
        #expect(bundle.certificate.der == cert.der)
        #expect(bundle.certificate.matches(bundle.privateKey))
        #expect(throws: CryptoError.self) { try CertificateBundle(pkcs12: pfx, passphrase: "nope") }
    }

    /// A wrong passphrase is said once, in words: no OpenSSL error stack, no "or".
    @Test func aWrongPKCS12PassphraseIsSaidInWords() throws {
        _ = CryptoError.drainOpenSSLErrors()
        let cert = try Certificate.selfSigned(key: Self.key, subject: "CN=pfx", notAfter: Date() + 3600)
        let pfx = try CertificateBundle(certificate: cert, privateKey: Self.key).pkcs12(passphrase: "pw")
        let wrong = #expect(throws: CryptoError.self) { try CertificateBundle(pkcs12: pfx, passphrase: "nope") }
        #expect(wrong == CryptoError("read PKCS#12 file", reason: "wrong passphrase", isWrongPassphrase: true))
        var der = pfx
        var pass = Data("nope".utf8)
        let wiping = #expect(throws: CryptoError.self) { try CertificateBundle(wipingPKCS12: &der, passphrase: &pass) }
        #expect(wiping?.description == "read PKCS#12 file: wrong passphrase")
        let none = #expect(throws: CryptoError.self) { try CertificateBundle(pkcs12: pfx, passphrase: "") }
        #expect(none?.isWrongPassphrase == true && none?.reason == "it has a passphrase and none was given")
        // Not a PKCS#12 file at all: not called a passphrase problem.
        let garbage = #expect(throws: CryptoError.self) { try CertificateBundle(pkcs12: try cert.pem(), passphrase: "pw") }
        #expect(garbage?.isWrongPassphrase == false && garbage?.reason.hasPrefix("not a PKCS#12 file (") == true, "\(String(describing: garbage))")
        #expect(garbage?.reason.contains("passphrase") == false)
        // The error queue is left empty: nothing stale reaches the next OpenSSL error.
        #expect(CryptoError.drainOpenSSLErrors().isEmpty)
    }

    @Test func aWrongPEMKeyPassphraseIsSaidInWords() throws {
        let encrypted = try Self.key.encryptedPKCS8PEM(passphrase: "s3cret")
        let wrong = #expect(throws: CryptoError.self) { try PrivateKey(pem: encrypted, passphrase: "wrong") }
        #expect(wrong == CryptoError("read private key", reason: "wrong passphrase", isWrongPassphrase: true))
    }

    @Test(arguments: SignatureAlgorithm.allCases)
    func signaturesVerifyAndTamperingIsCaught(algorithm: SignatureAlgorithm) throws {
        let cert = try Certificate.selfSigned(key: Self.key, subject: "CN=sig", notAfter: Date() + 3600)
        let token = try CompactJWS.sign(header: Data(#"{"alg":"\#(algorithm.rawValue)"}"#.utf8), payload: Data(#"{"a":1}"#.utf8), key: Self.key, algorithm: algorithm)
        let jws = try #require(CompactJWS(token))
        #expect(jws.verify(with: cert, algorithm: algorithm))
        let other: SignatureAlgorithm = algorithm == .ps256 ? .rs256 : .ps256
        #expect(!jws.verify(with: cert, algorithm: other))
        var parts = token.split(separator: ".").map(String.init)
        parts[1] = Base64URL.encode(Data(#"{"a":2}"#.utf8))
        #expect(!(try #require(CompactJWS(parts.joined(separator: ".")))).verify(with: cert, algorithm: algorithm))
    }

    @Test func keyDescriptionIsRedacted() throws {
        let pem = String(decoding: try Self.key.pkcs8PEM(), as: UTF8.self)
        let body = pem.split(separator: "\n")[1]
        #expect(!"\(Self.key)".contains(body))
        #expect("\(Self.key)".contains("redacted"))
    }

    @Test func base64urlDecodesBothAlphabets() {
        let data = Data([0xfb, 0xff, 0xfe])
        #expect(Base64URL.encode(data) == "-__-")
        #expect(Base64URL.decode("-__-") == data)
        #expect(Base64URL.decode("+//+") == data)
        #expect(Base64URL.decode("a") == nil)
    }

    @Test func base64urlMatchesFoundationForEveryLength() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<64 {
            let data = Data((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let expected = data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(Base64URL.encode(data) == expected, "\(Array(data))")
            #expect(Base64URL.decode(Base64URL.encode(data)) == data)
        }
    }

    @Test func badSubjectIsRejectedWithAClearReason() {
        let error = #expect(throws: CryptoError.self) {
            try Certificate.selfSigned(key: Self.key, subject: "galsync", notAfter: Date() + 10)
        }
        #expect(error?.reason.contains("CN=") == true)
    }
}
