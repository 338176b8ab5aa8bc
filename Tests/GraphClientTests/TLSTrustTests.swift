import Foundation
import GalsyncCrypto
import GraphClient
@testable import GraphHTTP
import GraphSimulator
import Logging
import Synchronization
import Testing

/// `ca_file` replaces the system's roots, and a TLS failure is reported as one (kind `.tls`),
/// at Graph and at the token endpoint alike.
@Suite struct TLSTrustTests {
    /// A simulator served over TLS with a self-signed certificate for 127.0.0.1, the PEM of that
    /// certificate (the only CA that trusts it) and the PEM of an unrelated CA, in `dir`.
    struct TLSTenant {
        let tenant: LiveTenant
        let dir: URL
        let serverCA: String
        let unrelatedCA: String
        let tls: SimulatorServer.TLSFiles

        init() async throws {
            tenant = try await LiveTenant()
            let key = try PrivateKey.generateRSA(bits: 2048)
            let cert = try Certificate.selfSigned(key: key, subject: "CN=galsync-sim", notAfter: Date() + 3600, subjectAltNames: ["DNS:localhost", "IP:127.0.0.1"])
            let otherKey = try PrivateKey.generateRSA(bits: 2048)
            let other = try Certificate.selfSigned(key: otherKey, subject: "CN=unrelated CA", notAfter: Date() + 3600, subjectAltNames: ["DNS:localhost"])
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-tls-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            serverCA = dir.appendingPathComponent("server-ca.pem").path
            unrelatedCA = dir.appendingPathComponent("unrelated-ca.pem").path
            try cert.pem().write(to: URL(fileURLWithPath: serverCA))
            try other.pem().write(to: URL(fileURLWithPath: unrelatedCA))
            tls = SimulatorServer.TLSFiles(certificatePEM: String(decoding: try cert.pem(), as: UTF8.self), privateKeyPEM: String(decoding: try key.pkcs8PEM(), as: UTF8.self))
        }

        func run<T: Sendable>(_ body: @Sendable @escaping (String) async throws -> T) async throws -> T {
            var logger = Logger(label: "sim")
            logger.logLevel = .critical
            defer { try? FileManager.default.removeItem(at: dir); tenant.files.remove() }
            return try await SimulatorServer(simulator: tenant.sim, tls: tls, logger: logger).withRunning(body)
        }
    }

    /// libcurl reports the trust it set up for the handshake: with `ca_file` the CA file is that
    /// file and the CA directory is none. Without clearing CURLOPT_CAPATH, libcurl keeps its
    /// built-in directory (`/etc/ssl/certs` on Debian) and trusts every system root besides.
    @Test func caFileReplacesTheSystemStore() async throws {
        let t = try await TLSTenant()
        let lines = Mutex<[String]>([])
        try await t.run { url in
            var transport = CurlTransport(caFile: t.serverCA)
            transport.trace = { line in lines.withLock { $0.append(line) } }
            let r = try await transport.send(HTTPRequest(url: "\(url)/\(t.tenant.sim.tenantId)/v2.0/.well-known/openid-configuration"))
            #expect(r.status == 200)
        }
        let trust = lines.withLock { $0 }.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { $0.hasPrefix("CA") }
        #expect(trust.contains("CAfile: \(t.serverCA)"), "\(trust)")
        #expect(trust.contains("CApath: none"), "the system's CA directory is still consulted: \(trust)")
    }

    @Test func aServerOutsideTheCAFileIsRefusedAsATLSFailure() async throws {
        let t = try await TLSTenant()
        try await t.run { url in
            let discovery = "\(url)/\(t.tenant.sim.tenantId)/v2.0/.well-known/openid-configuration"
            let error = await #expect(throws: HTTPTransportError.self) { try await CurlTransport(caFile: t.unrelatedCA).send(HTTPRequest(url: discovery)) }
            #expect(error?.kind == .tls, "\(String(describing: error))")
            #expect(error?.retryable == false && error?.isTransient == true)
            // Where, why (libcurl's own words, not "SSL peer certificate or SSH remote key was not OK"), and the fix.
            let port = URLComponents(string: url)?.port ?? 0
            #expect(error?.description.hasPrefix("TLS with 127.0.0.1:\(port) failed (certificate not trusted: SSL certificate problem: self-signed certificate): "
                                                 + "tenant.ca_file (\(t.unrelatedCA)) replaces the system's roots") == true, "\(String(describing: error))")
            let ok = try await CurlTransport(caFile: t.serverCA).send(HTTPRequest(url: discovery))
            #expect(ok.status == 200)
        }
    }

    /// At the token endpoint the TLS failure travels inside the IdentityError, so the exit
    /// status can tell it from a refusal of the credentials.
    @Test func aTLSFailureAtTheTokenEndpointKeepsItsKind() async throws {
        let t = try await TLSTenant()
        try await t.run { url in
            let provider = TokenProvider(
                settings: .init(tenant: t.tenant.sim.tenantId, clientId: LiveTenant.clientId, loginEndpoint: URL(string: url)!, graphEndpoint: URL(string: url)!),
                credential: try t.tenant.files.credential(), transport: CurlTransport(caFile: t.unrelatedCA))
            let error = await #expect(throws: IdentityError.self) { try await provider.token() }
            #expect(error?.transportError?.kind == .tls, "\(String(describing: error))")
            #expect(error?.description.contains("tenant.ca_file") == true, "\(String(describing: error))")
            #expect(error?.description.hasPrefix("token request: TLS with 127.0.0.1:") == true, "the login host is named: \(String(describing: error))")
        }
    }
}
