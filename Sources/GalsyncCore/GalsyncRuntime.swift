import Foundation
import GalsyncConfig
import GalsyncCrypto
import GalsyncPlan
import GraphClient
import GraphHTTP
import SyncStore

/// The adapters a command needs, made from the configuration in one place.
public struct GalsyncRuntime: Sendable {
    public let config: Configuration
    public let graph: GraphAPI
    public let tokens: TokenProvider
    /// Last cycle's projections, reused by the next cycle of the same process and configuration.
    public let projections = ProjectionCache()
    /// The named lists' caches, likewise.
    public let listProjections = ListProjectionCaches()

    /// `gate`: asked before every Graph request (a node's lease on the tenant; see `RequestGate`).
    public static func make(_ config: Configuration, gate: RequestGate? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GalsyncRuntime {
        let credential = try CertificateCredential.load(certificatePath: config.tenant.certificate, privateKeyPath: config.tenant.privateKey,
                                                        passphraseFile: config.tenant.passphraseFile, environment: environment)
        let transport = CurlTransport(caFile: config.tenant.caFile)
        let tokens = TokenProvider(
            settings: .init(tenant: config.tenant.id, clientId: config.tenant.clientId, loginEndpoint: config.tenant.loginEndpoint,
                            graphEndpoint: config.tenant.graphEndpoint, algorithm: SignatureAlgorithm(rawValue: config.tenant.assertionAlgorithm) ?? .ps256),
            credential: credential, transport: transport)
        var graph = GraphAPI(graphEndpoint: config.tenant.graphEndpoint, tokens: tokens, transport: transport)
        graph.gate = gate
        return GalsyncRuntime(config: config, graph: graph, tokens: tokens)
    }

    /// The exit status for an error that ended a command.
    public static func exitStatus(for error: any Error) -> ExitStatus {
        switch error {
        case is ConfigurationError, is CredentialError: .config
        // A token request that got no answer is not a refusal: TLS failures and oversized
        // answers are transient (75), a bad URL or unreadable ca_file is configuration (78).
        case let e as IdentityError: e.isRetryable || e.transportError?.isTransient == true ? .transient : e.transportError != nil ? .config : .permission
        case let e as GraphError: e.isRetryable ? .transient : [401, 403].contains(e.status) ? .permission : .partial
        case let e as HTTPTransportError: e.isTransient ? .transient : .config
        // Bad data or links from the server are the server's fault, not this configuration's.
        case SyncError.badData, is GraphLinkError: .transient
        case is SyncError: .config
        case is StateLock.Busy: .transient
        case let e as StateStoreError: e.isCantCreate ? .cantCreate : .config
        default: .partial
        }
    }
}
