import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL

/// Serves a `GraphSimulator` over HTTP/1.1 (optionally TLS) on loopback with Hummingbird.
/// It only converts messages; all behaviour is in the simulator actor.
public struct SimulatorServer: Sendable {
    public struct TLSFiles: Sendable {
        public var certificatePEM: String
        public var privateKeyPEM: String
        public init(certificatePEM: String, privateKeyPEM: String) {
            self.certificatePEM = certificatePEM
            self.privateKeyPEM = privateKeyPEM
        }
    }

    public let simulator: GraphSimulator
    public var host: String
    public var port: Int
    public var tls: TLSFiles?
    public var logger: Logger

    public init(simulator: GraphSimulator, host: String = "127.0.0.1", port: Int = 0, tls: TLSFiles? = nil, logger: Logger = Logger(label: "galsync-sim")) {
        self.simulator = simulator
        self.host = host
        self.port = port
        self.tls = tls
        self.logger = logger
    }

    /// Serves until the task is cancelled or a shutdown signal arrives; `onListening` gets the base URL.
    public func run(onListening: @escaping @Sendable (String) async -> Void = { _ in }) async throws {
        let scheme = tls == nil ? "http" : "https"
        let responder = SimResponder(simulator: simulator, scheme: scheme)
        let server: HTTPServerBuilder
        if let tls {
            var config = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(tls.certificatePEM.utf8)).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(tls.privateKeyPEM.utf8), format: .pem)))
            config.applicationProtocols = ["http/1.1"]
            server = try .tls(.http1(), tlsConfiguration: config)
        } else {
            server = .http1()
        }
        let host = self.host
        let app = Application(
            responder: responder,
            server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: "galsync-sim"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                let shownHost = host.contains(":") ? "[\(host)]" : host
                await onListening("\(scheme)://\(shownHost):\(port)")
            },
            logger: logger)
        try await app.runService()
    }
}

/// The request context: Hummingbird's core storage plus the channel, so a fault can drop it.
struct SimRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

struct SimResponder: HTTPResponder {
    typealias Context = SimRequestContext
    let simulator: GraphSimulator
    let scheme: String

    func respond(to request: Request, context: SimRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024 * 1024)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let host = request.head.authority ?? headers["host"] ?? "127.0.0.1"
        let sim = SimRequest(method: request.method.rawValue, target: request.uri.description, headers: headers,
                             body: Data(buffer: body), baseURL: "\(scheme)://\(host)")
        let answer = await simulator.handle(sim)
        if answer.dropConnection {
            try? await context.channel.close()
            throw HTTPError(.serviceUnavailable)
        }
        var fields = HTTPFields()
        for (k, v) in answer.headers { if let name = HTTPField.Name(k) { fields[name] = v } }
        return Response(status: .init(code: answer.status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}

extension SimulatorServer {
    /// Serves for as long as `body` runs, then stops; `body` gets the base URL. For tests and
    /// harnesses that need a real HTTP endpoint in-process.
    public func withRunning<T: Sendable>(_ body: @Sendable @escaping (String) async throws -> T) async throws -> T {
        let (urls, continuation) = AsyncStream.makeStream(of: String.self)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await self.run { url in continuation.yield(url) }
                return nil
            }
            var iterator = urls.makeAsyncIterator()
            guard let url = await iterator.next() else { throw CancellationError() }
            do {
                let result = try await body(url)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }
}
