import Foundation
import GalsyncCrypto
import GraphClient
import ProcessSupport
import Testing

/// galsync's assertions must verify with an independent JWT implementation (PyJWT on Python's
/// `cryptography`), not only with the project's own simulator.
@Suite struct IndependentVerificationTests {
    @Test(arguments: SignatureAlgorithm.allCases)
    func pyjwtVerifiesOurAssertion(algorithm: SignatureAlgorithm) async throws {
        let f = try CredentialFiles()
        defer { f.remove() }
        let endpoint = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        let assertion = try ClientAssertion(credential: try f.credential(), clientId: "11111111-2222-3333-4444-555555555555", tokenEndpoint: endpoint, algorithm: algorithm)
        try f.write("assertion.jwt", Data(assertion.jwt.utf8), mode: 0o600)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/verify_assertion.py").path
        let (status, output) = try await run(["python3", script, f.path("assertion.jwt"), f.path("galsync.crt"), endpoint, algorithm.rawValue])
        #expect(status == 0, "\(output)")
        #expect(output == "ok", "\(output)")
    }

    func run(_ arguments: [String]) async throws -> (Int32, String) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let process = SpawnedProcess("/usr/bin/env", arguments)
                let pipe = Pipe()
                process.standardOutput = pipe
                process.standardError = pipe
                do {
                    try process.start()
                    let data = pipe.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: (process.terminationStatus, String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
