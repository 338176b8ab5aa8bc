import Foundation
import GalsyncCrypto
@testable import GraphSimulator
import ProcessSupport
import Testing

/// Microsoft's own MSAL for Python must get a token from the simulator: the simulator's
/// identity endpoints are checked against a real client, not only against galsync's code.
@Suite struct MSALInteropTests {
    @Test(arguments: ["thumbprint", "certificate"])
    func msalForPythonGetsAToken(mode: String) async throws {
        let t = try await TestTenant(users: 3)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-msal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let tlsKey = try PrivateKey.generateRSA(bits: 2048)
        let tlsCert = try Certificate.selfSigned(key: tlsKey, subject: "CN=galsync-sim", notAfter: Date() + 3600, subjectAltNames: ["DNS:localhost", "IP:127.0.0.1"])
        let files = ["ca.crt": try tlsCert.pem(), "app.key": try TestTenant.key.pkcs8PEM(), "app.crt": try TestTenant.certificate.pem()]
        for (name, data) in files { try data.write(to: dir.appendingPathComponent(name)) }
        let tls = SimulatorServer.TLSFiles(certificatePEM: String(decoding: try tlsCert.pem(), as: UTF8.self), privateKeyPEM: String(decoding: try tlsKey.pkcs8PEM(), as: UTF8.self))
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/msal_token.py").path
        let tenantId = t.sim.tenantId
        let (status, output) = try await withLiveServer(t, tls: tls) { url in
            try await Self.run(["python3", script, "\(url)/\(tenantId)", TestTenant.clientId, dir.appendingPathComponent("app.key").path,
                                dir.appendingPathComponent("app.crt").path, mode],
                               environment: ["REQUESTS_CA_BUNDLE": dir.appendingPathComponent("ca.crt").path])
        }
        #expect(status == 0, "MSAL failed (is it installed? scripts/setup runs 'pip install msal'): \(output)")
        let claims = try #require(JSONValue.parse(Data(output.utf8)))
        #expect(claims["appid"] == .string(TestTenant.clientId))
        #expect(claims["roles"] == .array(TestTenant.roles.map(JSONValue.string)))
        let counters = await t.sim.counterSnapshot()
        #expect(counters["tokensIssued"] == 1)
    }

    /// Runs a process off the cooperative pool and returns its exit status and output.
    static func run(_ arguments: [String], environment: [String: String]) async throws -> (Int32, String) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let process = SpawnedProcess("/usr/bin/env", arguments)
                process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
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
