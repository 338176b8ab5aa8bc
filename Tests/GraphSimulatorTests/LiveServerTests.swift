import Foundation
import Logging
import GalsyncCrypto
import GraphHTTP
@testable import GraphSimulator
import Testing

/// Runs a `SimulatorServer` on a free loopback port for the duration of `body`.
func withLiveServer<T: Sendable>(
    _ t: TestTenant, tls: SimulatorServer.TLSFiles? = nil, _ body: @Sendable @escaping (String) async throws -> T
) async throws -> T {
    var logger = Logger(label: "galsync-sim-test")
    logger.logLevel = .critical  // cancelling the server at the end of a test is expected
    return try await SimulatorServer(simulator: t.sim, port: 0, tls: tls, logger: logger).withRunning(body)
}

@Suite struct LiveServerTests {
    @Test func tokenAndGraphOverHTTP() async throws {
        let t = try await TestTenant(users: 10)
        try await withLiveServer(t) { url in
            let http = CurlTransport()
            // The audience is the token endpoint URL the client really uses.
            let tokenURL = "\(url)/\(t.sim.tenantId)/oauth2/v2.0/token"
            let form = [
                "grant_type=client_credentials", "client_id=\(TestTenant.clientId)",
                "scope=https%3A%2F%2Fgraph.microsoft.com%2F.default",
                "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer",
                "client_assertion=\(t.assertion(aud: tokenURL))",
            ].joined(separator: "&")
            let tokenResponse = try await http.send(HTTPRequest(method: "POST", url: tokenURL, headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Data(form.utf8)))
            #expect(tokenResponse.status == 200, "\(tokenResponse.text)")
            let token = try #require(JSONValue.parse(tokenResponse.body)?["access_token"]?.stringValue)
            let users = try await http.send(HTTPRequest(url: "\(url)/v1.0/users?$top=3", headers: [("Authorization", "Bearer \(token)")]))
            #expect(users.status == 200)
            let next = try #require(JSONValue.parse(users.body)?["@odata.nextLink"]?.stringValue)
            #expect(next.hasPrefix(url), "links point back at the address the client used")
            let throttledHeaders = try await http.send(HTTPRequest(url: "\(url)/v1.0/users", headers: []))
            #expect(throttledHeaders.status == 401 && throttledHeaders.headers["www-authenticate"] != nil)
        }
    }

    @Test func droppedConnectionIsATransportErrorWorthRetrying() async throws {
        var settings = SimulatorSettings()
        settings.rateDrop = 1
        let t = try await TestTenant(users: 3, settings: settings)
        let token = try await t.token()
        try await withLiveServer(t) { url in
            let error = await #expect(throws: HTTPTransportError.self) {
                try await CurlTransport().send(HTTPRequest(url: "\(url)/v1.0/users", headers: [("Authorization", "Bearer \(token)")]))
            }
            #expect(error?.retryable == true)
            let control = try await CurlTransport().send(HTTPRequest(url: "\(url)/_sim/counters"))
            #expect(JSONValue.parse(control.body)?["faults"]?["drop"] == 1)
        }
    }

    @Test func tlsWorksWithTheSimulatorsCAAndFailsWithoutIt() async throws {
        let t = try await TestTenant(users: 3)
        let key = try PrivateKey.generateRSA(bits: 2048)
        let cert = try Certificate.selfSigned(key: key, subject: "CN=galsync-sim", notAfter: Date() + 3600, subjectAltNames: ["DNS:localhost", "IP:127.0.0.1"])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let ca = dir.appendingPathComponent("ca.crt").path
        try cert.pem().write(to: URL(fileURLWithPath: ca))
        let tls = SimulatorServer.TLSFiles(certificatePEM: String(decoding: try cert.pem(), as: UTF8.self), privateKeyPEM: String(decoding: try key.pkcs8PEM(), as: UTF8.self))
        try await withLiveServer(t, tls: tls) { url in
            #expect(url.hasPrefix("https://"))
            let discovery = "\(url)/\(t.sim.tenantId)/v2.0/.well-known/openid-configuration"
            let ok = try await CurlTransport(caFile: ca).send(HTTPRequest(url: discovery))
            #expect(ok.status == 200)
            let error = await #expect(throws: HTTPTransportError.self) { try await CurlTransport().send(HTTPRequest(url: discovery)) }
            #expect(error?.retryable == false, "a TLS verification failure is terminal, never retried into a downgrade")
        }
    }
}
