import Foundation
import GalsyncJSON

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
    /// The JSON body when it arrived already parsed (a `$batch` item): saves encoding it only to
    /// parse it again.
    public var parsedBody: JSONValue?

    public init(method: String, target: String, headers: [String: String] = [:], body: Data = Data(), baseURL: String) {
        self.method = method.uppercased()
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        self.segments = parts[0].split(separator: "/").map { $0.contains("%") ? (String($0).removingPercentEncoding ?? String($0)) : String($0) }
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
        var lowered: [String: String] = [:]
        lowered.reserveCapacity(headers.count)
        for (key, value) in headers {
            // Most names arrive lower-case already (HTTP/2, the batch parser): skip the copy.
            lowered[key.utf8.contains(where: { (65...90).contains($0) }) ? key.lowercased() : key] = value
        }
        self.headers = lowered
        self.body = body
        self.baseURL = baseURL
    }

    /// An OData query option, with or without its `$` (Graph v1.0 accepts both).
    public func option(_ name: String) -> String? { query["$" + name] ?? query[name] }

    public var jsonBody: JSONValue? { parsedBody ?? JSONValue.parse(body) }
}

/// An HTTP response from the simulator's services.
public struct SimResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    /// A JSON answer is kept as a value and encoded only when it goes on the wire: a `$batch`
    /// item's answer is embedded in the batch's own JSON without a round trip through bytes.
    public private(set) var jsonValue: JSONValue?
    private var bytes: Data
    /// Set by the fault injector: the transport closes the connection without answering.
    public var dropConnection = false

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.bytes = body
    }

    public var body: Data {
        get { jsonValue?.encoded() ?? bytes }
        set { bytes = newValue; jsonValue = nil }
    }

    public var hasBody: Bool { jsonValue != nil || !bytes.isEmpty }

    public static func json(_ status: Int, _ value: JSONValue, headers: [String: String] = [:]) -> SimResponse {
        var h = headers
        h["Content-Type"] = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8"
        var r = SimResponse(status: status, headers: h)
        r.jsonValue = value
        return r
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

    public var json: JSONValue? { jsonValue ?? JSONValue.parse(bytes) }
}

/// Lets handlers return an early answer through `Result`'s failure side.
extension SimResponse: Error {}
