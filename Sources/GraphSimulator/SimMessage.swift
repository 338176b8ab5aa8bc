import Foundation

/// An HTTP request as the simulator's services see it, independent of the HTTP server.
public struct SimRequest: Sendable {
    public var method: String
    /// Path without the query, percent-decoded per segment.
    public var segments: [String]
    /// Query parameters, percent-decoded; the last value wins.
    public var query: [String: String]
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: Data
    /// `scheme://host:port` the client used, for building `@odata.nextLink` and friends.
    public var baseURL: String

    public init(method: String, target: String, headers: [String: String] = [:], body: Data = Data(), baseURL: String) {
        self.method = method.uppercased()
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        self.segments = parts[0].split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        var q: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = String(kv[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(kv[0])
                let value = kv.count > 1 ? (String(kv[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(kv[1])) : ""
                q[key] = value
            }
        }
        self.query = q
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
        self.body = body
        self.baseURL = baseURL
    }

    /// An OData query option, with or without its `$` (Graph v1.0 accepts both).
    public func option(_ name: String) -> String? { query["$" + name] ?? query[name] }

    public var jsonBody: JSONValue? { JSONValue.parse(body) }
}

/// An HTTP response from the simulator's services.
public struct SimResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data
    /// Set by the fault injector: the transport closes the connection without answering.
    public var dropConnection = false

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json(_ status: Int, _ value: JSONValue, headers: [String: String] = [:]) -> SimResponse {
        var h = headers
        h["Content-Type"] = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8"
        return SimResponse(status: status, headers: h, body: value.encoded())
    }

    public static func noContent() -> SimResponse { SimResponse(status: 204) }

    /// Graph's error shape: `{"error":{"code","message","innerError":{date,request-id,client-request-id}}}`.
    public static func graphError(_ status: Int, _ code: String, _ message: String, request: SimRequest? = nil, headers: [String: String] = [:]) -> SimResponse {
        let inner: JSONValue = [
            "date": .string(Date().formatted(.iso8601)),
            "request-id": .string(UUID().uuidString.lowercased()),
            "client-request-id": .string(request?.headers["client-request-id"] ?? UUID().uuidString.lowercased()),
        ]
        return .json(status, ["error": ["code": .string(code), "message": .string(message), "innerError": inner]], headers: headers)
    }

    public var json: JSONValue? { JSONValue.parse(body) }
}

/// Lets handlers return an early answer through `Result`'s failure side.
extension SimResponse: Error {}
