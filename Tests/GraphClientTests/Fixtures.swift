import Foundation
import GalsyncCrypto
import GraphClient
import GraphHTTP
import GraphSimulator
import Logging
import Synchronization

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let current: Mutex<Date>
    init(_ start: Date = Date()) { current = Mutex(start) }
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: Double) { current.withLock { $0 += seconds } }
}

/// Key and certificate files in a private temporary directory.
struct CredentialFiles {
    let dir: URL
    let key: PrivateKey
    let certificate: Certificate

    init(notBefore: Date = Date() - 3600, notAfter: Date = Date() + 86_400 * 90) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-id-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        key = try PrivateKey.generateRSA(bits: 2048)
        certificate = try Certificate.selfSigned(key: key, subject: "CN=galsync test,O=Contoso", notBefore: notBefore, notAfter: notAfter)
        try write("galsync.crt", try certificate.pem(), mode: 0o644)
        try write("galsync.key", try key.pkcs8PEM(), mode: 0o600)
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func write(_ name: String, _ data: Data, mode: Int) throws {
        try data.write(to: dir.appendingPathComponent(name))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path(name))
    }

    func credential() throws -> CertificateCredential {
        try CertificateCredential.load(certificatePath: path("galsync.crt"), privateKeyPath: path("galsync.key"), passphraseFile: nil, environment: [:])
    }

    func remove() { try? FileManager.default.removeItem(at: dir) }
}

/// A simulator with galsync's app registered, served on loopback for the test's duration.
struct LiveTenant {
    static let clientId = "11111111-2222-3333-4444-555555555555"
    let sim: GraphSimulator
    let files: CredentialFiles

    /// The simulator's and the provider's clock, which tests may move together.
    let clock = ManualClock()

    init(tokenLifetime: Int = 3599, roles: [String] = ["User.Read.All", "GroupMember.Read.All", "Contacts.ReadWrite"], register: Bool = true) async throws {
        var settings = SimulatorSettings()
        settings.tokenLifetimeSeconds = tokenLifetime
        let clock = self.clock
        sim = try GraphSimulator(seed: TenantSeed(users: 10, seed: 3), settings: settings, now: { clock.now })
        files = try CredentialFiles()
        if register { await sim.registerApp(clientId: Self.clientId, roles: roles, certificates: [files.certificate]) }
    }

    func run<T: Sendable>(_ body: @Sendable @escaping (String) async throws -> T) async throws -> T {
        var logger = Logger(label: "sim")
        logger.logLevel = .critical
        defer { files.remove() }
        return try await SimulatorServer(simulator: sim, logger: logger).withRunning(body)
    }

    func provider(_ url: String, tenant: String? = nil, clientId: String = LiveTenant.clientId, algorithm: SignatureAlgorithm = .ps256,
                  now: (@Sendable () -> Date)? = nil) throws -> TokenProvider {
        let clock = self.clock
        return TokenProvider(settings: .init(tenant: tenant ?? sim.tenantId, clientId: clientId, loginEndpoint: URL(string: url)!, graphEndpoint: URL(string: url)!, algorithm: algorithm),
                      credential: try files.credential(), transport: CurlTransport(), now: now ?? { clock.now })
    }
}
