import Foundation
import GalsyncJSON
import GraphHTTP

/// Sends authenticated requests to Graph v1.0: bearer token from the `TokenProvider` (a 401
/// invalidates it and the request is sent once more), a `client-request-id` on each request,
/// and links followed only when they point at the configured Graph host, so a token is never
/// sent anywhere else.
public struct GraphAPI: Sendable {
    /// How long a POST already under way may go on after a stop (SIGTERM, Ctrl-C): a `$batch`
    /// of 20 creates takes Graph 1.25–2.5 s (4 items at a time, 250–500 ms each), and its answer
    /// holds the new contacts' ids; aborted, they would be created with nobody knowing, and
    /// could land after the next cycle listed the mailbox (duplicates).
    public static let cancelGrace = 5.0

    public let graphEndpoint: URL
    public let tokens: TokenProvider
    let transport: CurlTransport
    public let metrics: RequestMetrics
    public var timeout: Double = 60
    /// Asked before every request: with shared state, a node whose lease on the tenant may have
    /// run out throws instead of sending (nil: always send).
    public var gate: RequestGate?

    public init(graphEndpoint: URL, tokens: TokenProvider, transport: CurlTransport, metrics: RequestMetrics = RequestMetrics()) {
        self.graphEndpoint = graphEndpoint
        self.tokens = tokens
        self.transport = transport
        self.metrics = metrics
    }

    var base: String { graphEndpoint.absoluteString.trimmingTrailingSlash }

    /// Sends `method` to `path` (relative to `/v1.0`, e.g. `/users?$top=1`) and returns any HTTP answer.
    public func send(_ method: String, _ path: String, body: JSONValue? = nil, headers: [(String, String)] = []) async throws -> GraphResponse {
        try await send(method, url: base + "/v1.0" + path, body: body, headers: headers)
    }

    /// True when `link` is an absolute URL on the configured Graph scheme, host and port.
    public func isGraphLink(_ link: String) -> Bool {
        guard let url = URL(string: link) else { return false }
        return url.scheme == graphEndpoint.scheme && url.host == graphEndpoint.host && url.port == graphEndpoint.port
    }

    /// `path`, or a link on the Graph host under `/v1.0`, as a `$batch` item's URL (relative to
    /// the version, encoding kept); nil for a link that leaves the host or the version.
    public func batchPath(_ path: String) -> String? {
        if path.hasPrefix("/") { return path }
        guard isGraphLink(path), let c = URLComponents(string: path), c.percentEncodedPath.hasPrefix("/v1.0/") else { return nil }
        let rest = String(c.percentEncodedPath.dropFirst("/v1.0".count))
        return c.percentEncodedQuery.map { "\(rest)?\($0)" } ?? rest
    }

    /// Follows an `@odata.nextLink` or `@odata.deltaLink`; refuses one that leaves the Graph host.
    public func follow(_ link: String, headers: [(String, String)] = []) async throws -> GraphResponse {
        guard let url = URL(string: link), url.scheme == graphEndpoint.scheme, url.host == graphEndpoint.host, url.port == graphEndpoint.port else {
            throw GraphLinkError(link: link, expectedHost: graphEndpoint.port.map { "\(graphEndpoint.host ?? ""):\($0)" } ?? graphEndpoint.host ?? "")
        }
        return try await send("GET", url: link, body: nil, headers: headers)
    }

    /// `send` that throws a `GraphError` for any non-2xx answer. `path` may also be an absolute
    /// link from Graph (checked like `follow`).
    public func request(_ method: String, _ path: String, body: JSONValue? = nil, headers: [(String, String)] = []) async throws -> GraphResponse {
        let clientRequestId = RequestID.make()
        let url: String
        if path.hasPrefix("http://") || path.hasPrefix("https://") {
            guard let u = URL(string: path), u.scheme == graphEndpoint.scheme, u.host == graphEndpoint.host, u.port == graphEndpoint.port else {
                throw GraphLinkError(link: path, expectedHost: graphEndpoint.port.map { "\(graphEndpoint.host ?? ""):\($0)" } ?? graphEndpoint.host ?? "")
            }
            url = path
        } else {
            url = base + "/v1.0" + path
        }
        let response = try await send(method, url: url, body: body, headers: headers + [("client-request-id", clientRequestId)])
        guard (200..<300).contains(response.status) else {
            throw GraphError.from(response, method: method, path: shown(path), clientRequestId: clientRequestId)
        }
        return response
    }

    /// `path` (relative to `/v1.0`, or a link on the Graph host) as messages show it: a link
    /// without its scheme and host (`/v1.0/users/delta?$deltatoken=…`, the host is the
    /// configured one), each opaque token in the query as `…` (`URLText.redacted`), never
    /// cut in the middle of one.
    func shown(_ path: String) -> String {
        var p = path
        if p.hasPrefix(base + "/") { p.removeFirst(base.count) }
        return URLText.redacted(p)
    }

    /// `request` with a body that is already JSON bytes (the batch writer assembles its own).
    public func request(_ method: String, _ path: String, jsonBytes: Data) async throws -> GraphResponse {
        let clientRequestId = RequestID.make()
        let response = try await send(method, url: base + "/v1.0" + path, body: nil, raw: jsonBytes, headers: [("client-request-id", clientRequestId)])
        guard (200..<300).contains(response.status) else {
            throw GraphError.from(response, method: method, path: shown(path), clientRequestId: clientRequestId)
        }
        return response
    }

    func send(_ method: String, url: String, body: JSONValue?, raw: Data? = nil, headers: [(String, String)]) async throws -> GraphResponse {
        let payload = raw ?? body?.encoded()
        var extra = headers
        if !extra.contains(where: { $0.0.lowercased() == "client-request-id" }) { extra.append(("client-request-id", RequestID.make())) }
        var attempt = 0
        while true {
            attempt += 1
            let token = try await tokens.token()
            var h: [(name: String, value: String)] = [("Authorization", "Bearer \(token.bearer)"), ("Accept", "application/json")]
            if payload != nil { h.append(("Content-Type", "application/json")) }
            h += extra.map { (name: $0.0, value: $0.1) }
            let r: HTTPResponse
            do {
                var request = HTTPRequest(method: method, url: url, headers: h, body: payload, timeout: timeout)
                request.sendOnce = method == "POST"  // creates: $batch, folders
                if request.sendOnce { request.cancelGrace = Self.cancelGrace }
                request.endpointSetting = "tenant.graph_endpoint"
                try gate?.verify()
                r = try await transport.send(request)
            } catch {
                metrics.record(status: 0)
                throw error
            }
            metrics.record(status: r.status)
            if r.status == 401, attempt == 1 {
                await tokens.invalidate(token)
                continue
            }
            return GraphResponse(status: r.status, headers: r.headers, body: r.body)
        }
    }
}

/// A server-supplied link that points away from the configured Graph host: never followed.
public struct GraphLinkError: Error, Sendable, CustomStringConvertible {
    public let link: String
    /// host[:port] of the configured Graph endpoint.
    public let expectedHost: String

    static func authority(_ link: String) -> String {
        guard let u = URL(string: link), let host = u.host else { return "an unparsable URL" }
        return u.port.map { "\(host):\($0)" } ?? host
    }
    public var description: String {
        "refused to follow a link to \(Self.authority(link)): only \(expectedHost) receives galsync's token"
    }
}
