import Foundation
import GalsyncCrypto
import GraphHTTP

/// Gets and caches app-only tokens for Graph with a certificate client assertion.
///
/// One token serves every request until it nears expiry (refreshed ahead: 5 minutes, or half
/// the lifetime when that is shorter) or Graph answers 401 (`invalidate`). However many workers
/// ask at once, at most one token request is in flight; the others wait for its result.
public actor TokenProvider {
    public struct Settings: Sendable {
        public var tenant: String
        public var clientId: String
        public var loginEndpoint: URL
        public var graphEndpoint: URL
        public var algorithm: SignatureAlgorithm

        public init(tenant: String, clientId: String, loginEndpoint: URL, graphEndpoint: URL, algorithm: SignatureAlgorithm = .ps256) {
            self.tenant = tenant
            self.clientId = clientId
            self.loginEndpoint = loginEndpoint
            self.graphEndpoint = graphEndpoint
            self.algorithm = algorithm
        }

        public var tokenEndpoint: String { "\(loginEndpoint.absoluteString.trimmingTrailingSlash)/\(tenant)/oauth2/v2.0/token" }
        /// Graph's resource id with `/.default`: every application permission granted to the app.
        public var scope: String { "\(graphEndpoint.absoluteString.trimmingTrailingSlash)/.default" }
    }

    public let settings: Settings
    let credential: CertificateCredential
    let transport: CurlTransport
    let now: @Sendable () -> Date
    private var cached: AccessToken?
    private var refreshing = false
    private var waiters: [CheckedContinuation<AccessToken, any Error>] = []
    /// Token requests sent, for the cycle summary's `requests` count.
    public private(set) var requestsSent = 0

    public init(settings: Settings, credential: CertificateCredential, transport: CurlTransport, now: @escaping @Sendable () -> Date = { Date() }) {
        self.settings = settings
        self.credential = credential
        self.transport = transport
        self.now = now
    }

    /// A token valid for a while yet, fetching one only when needed.
    public func token() async throws -> AccessToken {
        if let cached, cached.expiresOn.timeIntervalSince(now()) > min(300, cached.lifetime / 2) { return cached }
        if refreshing {
            return try await withCheckedThrowingContinuation { waiters.append($0) }
        }
        refreshing = true
        let result: Result<AccessToken, any Error>
        do { result = .success(try await fetch()) } catch { result = .failure(error) }
        refreshing = false
        if case .success(let t) = result { cached = t }
        let waiting = waiters
        waiters = []
        for w in waiting { w.resume(with: result) }
        return try result.get()
    }

    /// Forgets `token` after Graph refused it (401), so the next call fetches a new one.
    public func invalidate(_ token: AccessToken) {
        if cached == token { cached = nil }
    }

    func fetch() async throws -> AccessToken {
        let assertion = try ClientAssertion(credential: credential, clientId: settings.clientId, tokenEndpoint: settings.tokenEndpoint,
                                            algorithm: settings.algorithm, now: now())
        let form = [
            ("grant_type", "client_credentials"), ("client_id", settings.clientId), ("scope", settings.scope),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"), ("client_assertion", assertion.jwt),
        ].map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .formValue) ?? $0.1)" }.joined(separator: "&")
        requestsSent += 1
        let sentAt = now()
        var response: HTTPResponse
        var body = Data(form.utf8)
        defer { body.wipe() }  // the signed assertion: useless once sent, but no reason to keep it
        do {
            var request = HTTPRequest(
                method: "POST", url: settings.tokenEndpoint,
                headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json"),
                          ("client-request-id", RequestID.make())],
                body: body, timeout: 30)
            request.endpointSetting = "tenant.login_endpoint"
            response = try await transport.send(request)
        } catch let error as HTTPTransportError {
            // The transport's sentence names the login host and tenant.login_endpoint.
            throw IdentityError(code: nil, status: nil, message: "token request: \(error)", isRetryable: error.retryable, transportError: error)
        }
        guard response.status == 200 else {
            throw IdentityError.from(status: response.status, body: response.body, retryAfter: RetryAfter.seconds(response.headers["retry-after"]), context: context(at: now()))
        }
        struct Success: Decodable { var access_token: String; var expires_in: Double }
        // The answer holds the token: cleared once decoded (in place, as nothing else holds it).
        defer { response.body.wipe() }
        guard let ok = try? JSONDecoder().decode(Success.self, from: response.body) else {
            throw IdentityError(code: nil, status: 200, message: "the token endpoint answered 200 without a token; retrying", isRetryable: true)
        }
        return AccessToken(bearer: ok.access_token, expiresOn: sentAt + ok.expires_in, lifetime: ok.expires_in)
    }

    nonisolated func context(at localTime: Date) -> IdentityError.Context {
        IdentityError.Context(tenant: settings.tenant, clientId: settings.clientId, loginHost: settings.loginEndpoint.host ?? "",
                              sha1Thumbprint: Digest.hex(credential.certificate.sha1Thumbprint).uppercased(),
                              sha256Thumbprint: Digest.hex(credential.certificate.sha256Thumbprint).uppercased(),
                              certificateNotAfter: credential.certificate.notAfter, localTime: localTime)
    }
}

extension String {
    var trimmingTrailingSlash: String { hasSuffix("/") ? String(dropLast()) : self }
}

extension CharacterSet {
    /// Unreserved characters (RFC 3986): everything else is percent-encoded in a form body.
    static let formValue = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
}
