import Foundation

/// One HTTP request for the transport.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: Data?
    /// Whole-request timeout in seconds.
    public var timeout: Double

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

/// A request that got no HTTP answer: connection refused or dropped, timeout, TLS failure.
public struct HTTPTransportError: Error, Sendable, CustomStringConvertible {
    /// libcurl's CURLcode.
    public let code: Int
    public let message: String
    /// True for faults worth retrying (reset, timeout); false for TLS verification failures and
    /// bad URLs, which a retry would only repeat (and must never be "fixed" by a downgrade).
    public let retryable: Bool

    public var description: String { "HTTP transport error \(code): \(message)" }
}
