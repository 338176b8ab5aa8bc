import Foundation

/// One HTTP request for the transport.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: Data?
    /// Whole-request timeout in seconds.
    public var timeout: Double
    /// Never sent twice: libcurl may not resend it on a fresh connection when a kept-alive one
    /// turns out closed (a create that a server carried out before dropping the connection
    /// would be made twice); such a transfer fails instead and its outcome is unknown.
    public var sendOnce = false
    /// Seconds a transfer may go on after its task was cancelled, so that the answer to a
    /// request the server may already be carrying out (a `$batch` of creates) is not thrown
    /// away: aborted, its outcome would be unknown, and its creates could land after the next
    /// cycle listed the mailbox. 0: aborted at once. A request not yet started never starts.
    public var cancelGrace: Double = 0
    /// The setting that names this request's endpoint (`tenant.graph_endpoint`), named by the
    /// transport's error message as the place to look.
    public var endpointSetting: String?

    public init(method: String = "GET", url: String, headers: [(name: String, value: String)] = [], body: Data? = nil, timeout: Double = 60) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// One HTTP response; header names lower-cased.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A request that got no usable HTTP answer: connection refused or dropped, timeout, TLS
/// failure, or an answer larger than the transport accepts.
public struct HTTPTransportError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure, for the exit status and the retry decision.
    public enum Kind: Sendable, Equatable {
        /// The connection failed, dropped or timed out: worth another try.
        case network
        /// TLS handshake or certificate verification failed (expired or unknown certificate, a
        /// TLS-inspecting proxy whose root is not in `tenant.ca_file`). Not retried at once (it
        /// would only repeat, and must never be "fixed" by a downgrade), but transient for the
        /// exit status (75): the far side or the path to it is at fault, the next cycle tries again.
        case tls
        /// The decoded body passed `CurlTransport.maxResponseBytes` (a gzip bomb, or a broken
        /// server): the transfer was stopped. Not retried at once (it would download the same
        /// again); transient for the exit status (75).
        case responseTooLarge
        /// Anything else: a bad URL, a `ca_file` that cannot be read, libcurl unable to start.
        case local
    }

    /// libcurl's CURLcode (-1 when libcurl itself could not be started).
    public let code: Int
    /// libcurl's own words for the failure (its error buffer when it filled one, e.g.
    /// `SSL certificate problem: unable to get local issuer certificate`, else `curl_easy_strerror`).
    public let message: String
    /// True for faults worth retrying (reset, timeout); false for TLS verification failures and
    /// bad URLs, which a retry would only repeat (and must never be "fixed" by a downgrade).
    public let retryable: Bool
    public let kind: Kind
    /// What the operator reads: the far end (`host:port`), the proxy in between, the setting
    /// that names the endpoint, and the system's reason for a failed connection. The libcurl
    /// code and message above stay for the exit status, the retry decision and the tests.
    public var context: Context

    /// Where a failed request was going, for the message.
    public struct Context: Sendable, Equatable {
        /// `host:port` of the request's URL (`graph.microsoft.com:443`); nil when unknown.
        public var endpoint: String?
        /// The proxy libcurl went through, without any user or password
        /// (`http://proxy.corp:3128`), and the variable that set it (`HTTPS_PROXY`).
        public var proxy: String?
        public var proxyVariable: String?
        /// The setting that names this endpoint, for the fix: `tenant.graph_endpoint`,
        /// `tenant.login_endpoint`.
        public var setting: String?
        /// `tenant.ca_file`, when it replaces the system's roots.
        public var caFile: String?
        /// The system's reason a connection failed (`errno`), e.g. `ECONNREFUSED`.
        public var osErrno: Int32 = 0
        /// The whole-request and connect timeouts, in seconds.
        public var timeout: Double?
        public var connectTimeout: Double?

        public init(endpoint: String? = nil, proxy: String? = nil, proxyVariable: String? = nil, setting: String? = nil, caFile: String? = nil,
                    osErrno: Int32 = 0, timeout: Double? = nil, connectTimeout: Double? = nil) {
            self.endpoint = endpoint
            self.proxy = proxy
            self.proxyVariable = proxyVariable
            self.setting = setting
            self.caFile = caFile
            self.osErrno = osErrno
            self.timeout = timeout
            self.connectTimeout = connectTimeout
        }
    }

    public init(code: Int, message: String, retryable: Bool, kind: Kind = .local, context: Context = Context()) {
        self.code = code
        self.message = message
        self.retryable = retryable
        self.kind = kind
        self.context = context
    }

    /// True when the fault lies outside this machine's configuration: the exit status is 75
    /// (EX_TEMPFAIL), so systemd restarts the service and a timer retries, instead of 78.
    public var isTransient: Bool { retryable || kind == .tls || kind == .responseTooLarge }

    /// The same error with `setting` named as the endpoint's (what GraphAPI and TokenProvider
    /// know and the transport does not).
    public func naming(_ setting: String) -> HTTPTransportError {
        var e = self
        e.context.setting = setting
        return e
    }

    /// `cannot connect to graph.microsoft.com:443 (connection refused): check the network, the
    /// proxy (HTTPS_PROXY) and tenant.graph_endpoint`: what failed, where and why, then the fix.
    public var description: String {
        let (problem, fix) = TransportErrorText.explain(self)
        return fix.isEmpty ? problem : "\(problem): \(fix)"
    }

    /// What failed, where and why, without the fix (`cannot connect to graph.microsoft.com:443 (connection refused)`).
    public var problem: String { TransportErrorText.explain(self).problem }
    /// What to do about it (`check the network, the proxy (HTTPS_PROXY) and tenant.graph_endpoint`).
    public var fix: String { TransportErrorText.explain(self).fix }
}
