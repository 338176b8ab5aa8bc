import Foundation
@testable import GalsyncCore
import GalsyncCrypto
import ProcessSupport
import Testing

@Suite struct CertificateToolTests {
    func tempDir() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("galsync-cert-\(UUID().uuidString)").path }

    /// Runs openssl on a Dispatch thread (never blocking the cooperative pool).
    static func openssl(_ args: [String]) async throws -> (Int32, String) {
        try await withCheckedThrowingContinuation { c in
            DispatchQueue.global().async {
                let p = SpawnedProcess("/usr/bin/env", ["openssl"] + args)
                let pipe = Pipe()
                p.standardOutput = pipe
                p.standardError = FileHandle.standardError
                do {
                    try p.start()
                    let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                    p.waitUntilExit()
                    c.resume(returning: (p.terminationStatus, out))
                } catch { c.resume(throwing: error) }
            }
        }
    }

    @Test func newWritesAPrivateKeyAndACertificateOpenSSLReads() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = CertificateTool.NewOptions(directory: dir)
        o.days = 90
        o.subject = "CN=galsync,O=Contoso Ltd"
        o.keySize = 3072
        let text = try CertificateTool.makeNew(o)
        let keyMode = try FileManager.default.attributesOfItem(atPath: "\(dir)/galsync.key")[.posixPermissions] as? NSNumber
        #expect(keyMode?.intValue == 0o600)
        let cert = try Certificate(pem: try Data(contentsOf: URL(fileURLWithPath: "\(dir)/galsync.crt")))
        #expect(cert.publicKeyBits == 3072)
        #expect(text.contains(Digest.hex(cert.sha1Thumbprint).uppercased()) && text.contains(Digest.hex(cert.sha256Thumbprint).uppercased()))
        #expect(text.contains("90 days left") && text.contains("Upload certificate"))

        // OpenSSL's own command line accepts it as an X.509 v3, SHA-256 certificate.
        let (status, out) = try await Self.openssl(["x509", "-in", "\(dir)/galsync.crt", "-noout", "-text"])
        #expect(status == 0)
        #expect(out.contains("Version: 3") && out.contains("sha256WithRSAEncryption") && out.contains("CN = galsync"))
    }

    @Test func newRefusesToOverwriteWithoutForce() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try CertificateTool.makeNew(.init(directory: dir))
        let before = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/galsync.key"))
        #expect(throws: CertificateTool.ToolError.self) { try CertificateTool.makeNew(.init(directory: dir)) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/galsync.key")) == before)
        var o = CertificateTool.NewOptions(directory: dir)
        o.force = true
        _ = try CertificateTool.makeNew(o)
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/galsync.key")) != before)
    }

    @Test func badOptionsAreRefused() {
        var o = CertificateTool.NewOptions(directory: tempDir())
        o.keySize = 1024
        #expect(throws: CertificateTool.ToolError.self) { try CertificateTool.makeNew(o) }
        o.keySize = 2048
        o.days = 0
        #expect(throws: CertificateTool.ToolError.self) { try CertificateTool.makeNew(o) }
    }

    @Test func showDescribesAnyCertificateWithDaysLeft() throws {
        let key = try PrivateKey.generateRSA(bits: 2048)
        let now = Date()
        let expired = try Certificate.selfSigned(key: key, subject: "CN=old", notBefore: now - 100 * 86_400, notAfter: now - 3 * 86_400)
        #expect(CertificateTool.describe(expired, now: now).contains("EXPIRED 3 days ago"))
        let dir = tempDir()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try expired.der.write(to: URL(fileURLWithPath: "\(dir)/old.cer"))
        #expect(try CertificateTool.show(path: "\(dir)/old.cer", now: now).contains("CN=old"))
        #expect(throws: CertificateTool.ToolError.self) { try CertificateTool.show(path: "\(dir)/missing.crt") }
    }
}
