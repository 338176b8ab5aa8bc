import CCurl
import CShims
import Dispatch
import Foundation
import Synchronization

/// Sends HTTP requests with libcurl (proxy variables, TLS verification against the system store
/// or `caFile` alone, compressed responses, HTTP/2 over TLS where offered). Each request runs its
/// blocking transfer on a Dispatch worker, never on Swift's cooperative pool. Easy handles are
/// pooled and reused, so their connections stay alive between requests. A response's decoded
/// body is capped at `maxResponseBytes`.
public struct CurlTransport: Sendable {
    /// The CA bundle that replaces the system's roots (`tenant.ca_file`); nil for the system store.
    public var caFile: String?
    public var connectTimeout: Double
    /// The most bytes one response body may have *after* decoding (gzip, deflate, br).
    public var maxResponseBytes: Int
    /// For tests: libcurl's informational lines (its verbose output), e.g. `CApath: none`.
    var trace: (@Sendable (String) -> Void)?
    let pool: HandlePool

    /// 16 MiB. The largest answers galsync asks for are a `/users/delta` page of 999 users with
    /// the selected fields and a 1,000-contact listing, about 1–3 MB each, and a `$batch` of 20
    /// such answers stays well below too; 16 MiB leaves 5× room for long values while keeping a
    /// gzip bomb (kilobytes that decode to gigabytes) from taking more than a few tens of MB per
    /// request, however many requests are in flight (`sync.concurrency`).
    public static let defaultMaxResponseBytes = 16 << 20

    public init(caFile: String? = nil, connectTimeout: Double = 10, maxResponseBytes: Int = CurlTransport.defaultMaxResponseBytes) {
        _ = CurlTransport.globalInit
        self.caFile = caFile
        self.connectTimeout = connectTimeout
        self.maxResponseBytes = maxResponseBytes
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

    /// Sends one request. Cancelling the calling task aborts the transfer (libcurl checks at
    /// least once a second) and throws `CancellationError`.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let stop = StopFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global().async {
                    continuation.resume(with: Result { try perform(request, stop: stop) })
                }
            }
        } onCancel: {
            stop.raise()
        }
    }

    /// Set when the task that sent a request is cancelled; read by libcurl's progress callback.
    final class StopFlag: Sendable {
        private let raised = Atomic<Bool>(false)
        func raise() { raised.store(true, ordering: .relaxed) }
        var isRaised: Bool { raised.load(ordering: .relaxed) }
    }

    /// Collects a response's bytes and headers from curl's callbacks.
    final class Sink {
        var body = Data()
        var headers: [String: String] = [:]
        /// The most decoded body bytes accepted; `overflowed` once a chunk would pass it.
        let limit: Int
        var overflowed = false
        let trace: (@Sendable (String) -> Void)?
        let stop: StopFlag
        /// A POST's body, handed to libcurl by the read callback (see `perform`).
        var upload = Data()
        var uploaded = 0

        init(limit: Int, trace: (@Sendable (String) -> Void)?, stop: StopFlag) {
            self.limit = limit
            self.trace = trace
            self.stop = stop
        }
    }

    func perform(_ request: HTTPRequest, stop: StopFlag = StopFlag()) throws -> HTTPResponse {
        if stop.isRaised { throw CancellationError() }
        guard let h = pool.take() else { throw HTTPTransportError(code: -1, message: "curl_easy_init failed", retryable: false) }
        defer { pool.give(h) }
        let sink = Sink(limit: maxResponseBytes, trace: trace, stop: stop)
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
        if let caFile {
            // CAINFO alone keeps libcurl's built-in CApath (/etc/ssl/certs on Debian), so every
            // system root would still be trusted: clear it, so that caFile *replaces* the store.
            _ = gs_curl_setopt_str(h, CURLOPT_CAINFO, caFile)
            _ = gs_curl_setopt_str(h, CURLOPT_CAPATH, nil)
        }
        // A Content-Length above the cap is refused before any byte is read (CURLE_FILESIZE_EXCEEDED);
        // the write callback enforces the cap on the decoded bytes either way.
        _ = gs_curl_setopt_off(h, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(maxResponseBytes))
        if trace != nil {
            _ = gs_curl_setopt_long(h, CURLOPT_VERBOSE, 1)
            _ = gs_curl_setopt_ptr(h, CURLOPT_DEBUGDATA, sinkPointer)
            let debug: curl_debug_callback = { _, type, data, size, user in
                let sink = Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue()
                if type == CURLINFO_TEXT, let data {
                    sink.trace?(String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self))
                }
                return 0
            }
            _ = gs_curl_setopt_ptr(h, CURLOPT_DEBUGFUNCTION, unsafeBitCast(debug, to: UnsafeMutableRawPointer.self))
        }
        if request.method == "HEAD" { _ = gs_curl_setopt_long(h, CURLOPT_NOBODY, 1) }
        if let body = request.body, request.sendOnce {
            // A POST is not idempotent (a create): it must go out once. libcurl silently sends a
            // request again when a kept-alive connection turns out to be closed before any answer
            // byte, and a server that carried the request out and then dropped the connection
            // would make it twice. Fed by a read callback that cannot rewind, such a resend fails
            // instead (CURLE_SEND_FAIL_REWIND): the caller learns the outcome is unknown.
            sink.upload = body
            _ = gs_curl_setopt_long(h, CURLOPT_POST, 1)
            _ = gs_curl_setopt_off(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            _ = gs_curl_setopt_ptr(h, CURLOPT_READDATA, sinkPointer)
            _ = gs_curl_setopt_data_cb(h, CURLOPT_READFUNCTION) { buffer, size, count, user in
                let sink = Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue()
                let n = min(size * count, sink.upload.count - sink.uploaded)
                guard n > 0, let buffer else { return 0 }
                sink.upload.withUnsafeBytes { raw in
                    UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress! + sink.uploaded, byteCount: n)
                }
                sink.uploaded += n
                return n
            }
        } else if let body = request.body {
            _ = gs_curl_setopt_off(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            body.withUnsafeBytes { raw in
                _ = gs_curl_setopt_ptr(h, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!))
            }
        }
        // Cancellation: libcurl asks at least once a second whether to go on.
        _ = gs_curl_setopt_long(h, CURLOPT_NOPROGRESS, 0)
        _ = gs_curl_setopt_ptr(h, CURLOPT_XFERINFODATA, sinkPointer)
        _ = gs_curl_setopt_xferinfo_cb(h) { user, _, _, _, _ in
            Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue().stop.isRaised ? 1 : 0
        }
        _ = gs_curl_setopt_ptr(h, CURLOPT_WRITEDATA, sinkPointer)
        _ = gs_curl_setopt_data_cb(h, CURLOPT_WRITEFUNCTION) { ptr, size, count, user in
            let sink = Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue()
            // libcurl hands over decoded bytes, a chunk at a time: stop before the body passes
            // the cap (returning less than given ends the transfer with CURLE_WRITE_ERROR).
            guard sink.body.count + size * count <= sink.limit else {
                sink.overflowed = true
                return 0
            }
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
        let code = withExtendedLifetime(sink) { curl_easy_perform(h) }
        if code == CURLE_ABORTED_BY_CALLBACK, stop.isRaised { throw CancellationError() }
        guard code == CURLE_OK else { throw Self.error(code, overflowed: sink.overflowed, limit: maxResponseBytes, url: request.url) }
        var status = 0
        _ = gs_curl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: sink.headers, body: sink.body)
    }

    static let retryableCodes: Set<CURLcode> = [CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_GOT_NOTHING, CURLE_RECV_ERROR,
                                                CURLE_SEND_ERROR, CURLE_PARTIAL_FILE, CURLE_COULDNT_RESOLVE_HOST, CURLE_HTTP2, CURLE_HTTP2_STREAM,
                                                // a sendOnce request that libcurl would have had to send again: outcome unknown
                                                CURLE_SEND_FAIL_REWIND]
    /// Handshake and verification failures. CURLE_SSL_CACERT_BADFILE (an unreadable
    /// `ca_file`) is not among them: that is this machine's configuration.
    static let tlsCodes: Set<CURLcode> = [CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CIPHER, CURLE_SSL_SHUTDOWN_FAILED,
                                          CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS]

    /// The error for a failed transfer: what failed, why, and what to do.
    static func error(_ code: CURLcode, overflowed: Bool, limit: Int, url: String) -> HTTPTransportError {
        let message = String(cString: curl_easy_strerror(code))
        if overflowed || code == CURLE_FILESIZE_EXCEEDED {
            return HTTPTransportError(
                code: Int(code.rawValue),
                message: "the answer from \(url.prefix(200)) is larger than \(limit / (1 << 20)) MiB once decoded; galsync stopped reading it "
                    + "(Graph's pages are a few MB: a proxy or server sent something else, e.g. a compressed bomb)",
                retryable: false, kind: .responseTooLarge)
        }
        if tlsCodes.contains(code) {
            return HTTPTransportError(code: Int(code.rawValue), message: message, retryable: false, kind: .tls)
        }
        let retryable = retryableCodes.contains(code)
        return HTTPTransportError(code: Int(code.rawValue), message: message, retryable: retryable, kind: retryable ? .network : .local)
    }
}
