import Foundation
import GraphClient
import Testing

/// A key configured through a symlink (`/etc/galsync/galsync.key -> ...`) is judged by the
/// file it points at, not by the link (whose own mode is 0777 on Linux).
@Suite struct KeySymlinkTests {
    func load(_ f: CredentialFiles, key: String) throws -> CertificateCredential {
        try CertificateCredential.load(certificatePath: f.path("galsync.crt"), privateKeyPath: f.path(key), passphraseFile: nil, environment: [:])
    }

    @Test func aSymlinkToA0600KeyIsAccepted() throws {
        let f = try CredentialFiles()
        defer { f.remove() }
        try FileManager.default.createSymbolicLink(atPath: f.path("link.key"), withDestinationPath: f.path("galsync.key"))
        let credential = try load(f, key: "link.key")
        #expect(credential.keySource == f.path("link.key"))
    }

    @Test func aSymlinkToA0644KeyIsRefusedAsThe0644FileWouldBe() throws {
        let f = try CredentialFiles()
        defer { f.remove() }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: f.path("galsync.key"))
        try FileManager.default.createSymbolicLink(atPath: f.path("link.key"), withDestinationPath: f.path("galsync.key"))
        let error = #expect(throws: CredentialError.self) { try load(f, key: "link.key") }
        #expect(error == .tooOpen(path: f.path("link.key"), what: "private key", mode: 0o644))
    }

    @Test func aDanglingSymlinkIsAMissingKey() throws {
        let f = try CredentialFiles()
        defer { f.remove() }
        try FileManager.default.createSymbolicLink(atPath: f.path("link.key"), withDestinationPath: f.path("gone.key"))
        let error = #expect(throws: CredentialError.self) { try load(f, key: "link.key") }
        #expect(error == .missing(path: f.path("link.key"), what: "private key"))
    }
}
