import Foundation
import GalsyncJSON
import GalsyncText

/// A Graph request that failed: Graph's error code and message, the ids Microsoft support asks
/// for, and whether a retry can help.
public struct GraphError: Error, Sendable, CustomStringConvertible {
    public let status: Int
    /// Graph's `error.code`, e.g. `MailboxNotEnabledForRESTAPI`, `ErrorAccessDenied`, `TooManyRequests`.
    public let code: String
    public let message: String
    public let method: String
    public let path: String
    public let requestId: String?
    public let clientRequestId: String
    /// Seconds from `Retry-After`, when sent.
    public let retryAfter: Double?

    /// 429, 503, 504 and other 5xx can pass; 4xx other than 429 repeat until something changes.
    public var isRetryable: Bool { status == 429 || status >= 500 }

    public var description: String {
        "\(method) \(path) failed: HTTP \(status) \(code): \(message) (client-request-id \(clientRequestId)\(requestId.map { ", request-id \($0)" } ?? ""))"
    }

    /// The error for a non-2xx `response`. Code, message and request-id are the server's text:
    /// each is made one line without control characters here, so whatever prints, logs, stores
    /// or sends them to systemd later gets clean text (`SafeText.line`).
    static func from(_ response: GraphResponse, method: String, path: String, clientRequestId: String) -> GraphError {
        let error = response.json?["error"]
        return GraphError(
            status: response.status, code: SafeText.line(error?["code"]?.stringValue ?? "HTTP\(response.status)"),
            message: SafeText.line(error?["message"]?.stringValue ?? String(decoding: response.body.prefix(200), as: UTF8.self)),
            method: method, path: SafeText.line(path),
            requestId: (response.headers["request-id"] ?? error?["innerError"]?["request-id"]?.stringValue).map(SafeText.line),
            clientRequestId: clientRequestId, retryAfter: RetryAfter.seconds(response.headers["retry-after"]))
    }
}

/// A Graph response: status, lower-cased headers, body.
public struct GraphResponse: Sendable {
    public let status: Int
    public let headers: [String: String]
    public let body: Data

    public var json: JSONValue? { JSONValue.parse(body) }
}
