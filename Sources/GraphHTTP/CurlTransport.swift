import CCurl
import CShims
import Dispatch
import Foundation
import Synchronization

/// Sends HTTP requests with libcurl (proxy variables, TLS verification against the system store
/// or `caFile`, compressed responses, HTTP/2 over TLS where offered). Each request runs its
/// blocking transfer on a Dispatch worker, never on Swift's cooperative pool. Easy handles are
/// pooled and reused, so their connections stay alive between requests.
public struct CurlTransport: Sendable {
    public var caFile: String?
    public var connectTimeout: Double
    let pool: HandlePool

    public init(caFile: String? = nil, connectTimeout: Double = 10) {
        _ = CurlTransport.globalInit
        self.caFile = caFile
        self.connectTimeout = connectTimeout
        self.pool = HandlePool()
    }

    /// Idle curl easy handles, each with its connection cache.
    final class HandlePool: Sendable {
        private let idle = Mutex<[UInt]>([])
        func take() -> UnsafeMutableRawPointer? {
            if let raw = idle.withLock({ $0.popLast() }), let h = UnsafeMutableRawPointer(bitPattern: raw) { return h }
            return curl_easy_init()
        }
        func give(_ h: UnsafeMutableRawPointer) {
            curl_easy_reset(h)
            let kept = idle.withLock { list -> Bool in
                guard list.count < 64 else { return false }
                list.append(UInt(bitPattern: h))
                return true
            }
            if !kept { curl_easy_cleanup(h) }
        }
        deinit { for raw in idle.withLock({ $0 }) { if let h = UnsafeMutableRawPointer(bitPattern: raw) { curl_easy_cleanup(h) } } }
    }

    static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try perform(request) })
            }
        }
    }

    /// Collects a response's bytes and headers from curl's callbacks.
    final class Sink {
        var body = Data()
        var headers: [String: String] = [:]
    }

    func perform(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let h = pool.take() else { throw HTTPTransportError(code: -1, message: "curl_easy_init failed", retryable: false) }
        defer { pool.give(h) }
        let sink = Sink()
        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
        var list: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(list) }
        for (name, value) in request.headers { list = curl_slist_append(list, "\(name): \(value)") }
        if request.body != nil, !request.headers.contains(where: { $0.name.lowercased() == "expect" }) {
            list = curl_slist_append(list, "Expect:")
        }
        _ = gs_curl_setopt_str(h, CURLOPT_URL, request.url)
        _ = gs_curl_setopt_str(h, CURLOPT_CUSTOMREQUEST, request.method)
        _ = gs_curl_setopt_ptr(h, CURLOPT_HTTPHEADER, list)
        _ = gs_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1)
        _ = gs_curl_setopt_str(h, CURLOPT_ACCEPT_ENCODING, "")
        _ = gs_curl_setopt_str(h, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = gs_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, Int(request.timeout * 1000))
        _ = gs_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeout * 1000))
        _ = gs_curl_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 1)
        _ = gs_curl_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 2)
        _ = gs_curl_setopt_long(h, CURLOPT_TCP_KEEPALIVE, 1)
        _ = gs_curl_setopt_long(h, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        if let caFile { _ = gs_curl_setopt_str(h, CURLOPT_CAINFO, caFile) }
        if request.method == "HEAD" { _ = gs_curl_setopt_long(h, CURLOPT_NOBODY, 1) }
        if let body = request.body {
            _ = gs_curl_setopt_off(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            body.withUnsafeBytes { raw in
                _ = gs_curl_setopt_ptr(h, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!))
            }
        }
        _ = gs_curl_setopt_ptr(h, CURLOPT_WRITEDATA, sinkPointer)
        _ = gs_curl_setopt_data_cb(h, CURLOPT_WRITEFUNCTION) { ptr, size, count, user in
            let sink = Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue()
            if let ptr { sink.body.append(UnsafeRawPointer(ptr).assumingMemoryBound(to: UInt8.self), count: size * count) }
            return size * count
        }
        _ = gs_curl_setopt_ptr(h, CURLOPT_HEADERDATA, sinkPointer)
        _ = gs_curl_setopt_data_cb(h, CURLOPT_HEADERFUNCTION) { ptr, size, count, user in
            let sink = Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue()
            if let ptr {
                let line = String(decoding: UnsafeRawBufferPointer(start: ptr, count: size * count), as: UTF8.self)
                if line.hasPrefix("HTTP/") { sink.headers = [:] }  // a new response (after 100 Continue or a redirect)
                if let colon = line.firstIndex(of: ":") {
                    sink.headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
                }
            }
            return size * count
        }
        let code = curl_easy_perform(h)
        guard code == CURLE_OK else {
            let message = String(cString: curl_easy_strerror(code))
            let retryable: Set<CURLcode> = [CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_GOT_NOTHING, CURLE_RECV_ERROR,
                                            CURLE_SEND_ERROR, CURLE_PARTIAL_FILE, CURLE_COULDNT_RESOLVE_HOST, CURLE_HTTP2, CURLE_HTTP2_STREAM]
            throw HTTPTransportError(code: Int(code.rawValue), message: message, retryable: retryable.contains(code))
        }
        var status = 0
        _ = gs_curl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: sink.headers, body: sink.body)
    }
}
