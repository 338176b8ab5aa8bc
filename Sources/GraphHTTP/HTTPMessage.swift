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
    public let message: String
    /// True for faults worth retrying (reset, timeout); false for TLS verification failures and
    /// bad URLs, which a retry would only repeat (and must never be "fixed" by a downgrade).
    public let retryable: Bool
    public let kind: Kind

    public init(code: Int, message: String, retryable: Bool, kind: Kind = .local) {
        self.code = code
        self.message = message
        self.retryable = retryable
        self.kind = kind
    }

    /// True when the fault lies outside this machine's configuration: the exit status is 75
    /// (EX_TEMPFAIL), so systemd restarts the service and a timer retries, instead of 78.
    public var isTransient: Bool { retryable || kind == .tls || kind == .responseTooLarge }

    public var description: String { "HTTP transport error \(code): \(message)" }
}
