import Foundation
import GalsyncConfig
@testable import GalsyncCore
@testable import GalsyncPlan
import GalsyncCrypto
@testable import GraphClient
import GraphHTTP
import GraphSimulator
import Logging
import Testing

/// Exit statuses for failures on the way to Graph: a TLS failure is transient (75) whether it
/// happens at Graph or at the token endpoint (not 78, not 77), and so are bad links and data
/// from the server; an answer over the size cap too. A token request the service refused is 77,
/// a transport fault of this machine's own making (an unreadable `ca_file`) 78.
@Suite struct TransportExitStatusTests {
    /// The simulated install served over TLS by a certificate only `serverCA` trusts; `unrelatedCA`
    /// trusts something else.
    static func withTLS(_ body: @Sendable @escaping (SimulatedInstall, _ url: String, _ serverCA: String, _ unrelatedCA: String) async throws -> Void) async throws {
        let install = try await SimulatedInstall(users: 3)
        let key = try PrivateKey.generateRSA(bits: 2048)
        let cert = try Certificate.selfSigned(key: key, subject: "CN=galsync-sim", notAfter: Date() + 3600, subjectAltNames: ["IP:127.0.0.1"])
        let otherKey = try PrivateKey.generateRSA(bits: 2048)
        let other = try Certificate.selfSigned(key: otherKey, subject: "CN=unrelated", notAfter: Date() + 3600, subjectAltNames: ["IP:127.0.0.1"])
        let serverCA = install.dir.appendingPathComponent("server-ca.pem").path
        let unrelatedCA = install.dir.appendingPathComponent("unrelated-ca.pem").path
        try cert.pem().write(to: URL(fileURLWithPath: serverCA))
        try other.pem().write(to: URL(fileURLWithPath: unrelatedCA))
        let tls = SimulatorServer.TLSFiles(certificatePEM: String(decoding: try cert.pem(), as: UTF8.self), privateKeyPEM: String(decoding: try key.pkcs8PEM(), as: UTF8.self))
        var logger = Logger(label: "sim")
        logger.logLevel = .critical
        defer { try? FileManager.default.removeItem(at: install.dir) }
        try await SimulatorServer(simulator: install.sim, tls: tls, logger: logger).withRunning { url in
            try await body(install, url, serverCA, unrelatedCA)
        }
    }

    @Test func aTLSFailureAtTheTokenEndpointIs75() async throws {
        try await Self.withTLS { install, url, _, unrelatedCA in
            var config = install.config(url)
            config.tenant.caFile = unrelatedCA
            let runtime = try GalsyncRuntime.make(config, environment: [:])
            do {
                _ = try await runtime.tokens.token()
                Issue.record("a token came through a TLS failure")
            } catch {
                #expect(error is IdentityError, "\(error)")
                #expect(GalsyncRuntime.exitStatus(for: error) == .transient, "\(error)")
            }
        }
    }

    @Test func aTLSFailureAtGraphIs75() async throws {
        try await Self.withTLS { install, url, serverCA, unrelatedCA in
            var config = install.config(url)
            config.tenant.caFile = serverCA
            let runtime = try GalsyncRuntime.make(config, environment: [:])
            _ = try await runtime.tokens.token()  // the login host is trusted…
            let graph = GraphAPI(graphEndpoint: URL(string: url)!, tokens: runtime.tokens, transport: CurlTransport(caFile: unrelatedCA))
            do {
                _ = try await graph.send("GET", "/users?$top=1")  // …the Graph host is not
                Issue.record("Graph answered through a TLS failure")
            } catch {
                #expect((error as? HTTPTransportError)?.kind == .tls, "\(error)")
                #expect(GalsyncRuntime.exitStatus(for: error) == .transient, "\(error)")
            }
        }
    }

    @Test func serverSideFaultsAreTransientAndLocalOnesAreNot() {
        let status = GalsyncRuntime.exitStatus(for:)
        #expect(status(GraphLinkError(link: "https://evil.example/x", expectedHost: "graph.microsoft.com")) == .transient)
        #expect(status(SyncError.badData("a nextLink points away from the Graph host")) == .transient)
        #expect(status(HTTPTransportError(code: 23, message: "too large", retryable: false, kind: .responseTooLarge)) == .transient)
        #expect(status(HTTPTransportError(code: 60, message: "SSL peer certificate", retryable: false, kind: .tls)) == .transient)
        #expect(status(HTTPTransportError(code: 77, message: "cannot read ca_file", retryable: false, kind: .local)) == .config)
        #expect(status(SyncError.groupNotFound("x")) == .config)
        let refused = IdentityError(code: 700027, status: 401, message: "refused", isRetryable: false)
        #expect(status(refused) == .permission)
        let badCAFile = IdentityError(code: nil, status: nil, message: "cannot reach", isRetryable: false,
                                      transportError: HTTPTransportError(code: 77, message: "cannot read ca_file", retryable: false, kind: .local))
        #expect(status(badCAFile) == .config)
    }
}
