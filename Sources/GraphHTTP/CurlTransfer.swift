import CCurl
import CShims
import Foundation
import Synchronization

/// One request on its way through `CurlEventLoop`: the easy handle's options, the bytes libcurl
/// hands over (body, headers), and the continuation that gets the outcome.
///
/// Everything here but `stop` is touched by the event loop's thread only (libcurl's callbacks
/// run there too), so the class is `@unchecked Sendable`: the caller creates it, hands it over
/// once (`CurlEventLoop.submit`) and never reads it again.
final class CurlTransfer: @unchecked Sendable {
    let request: HTTPRequest
    let options: CurlTransport.Options
    /// Raised when the task that sent the request is cancelled.
    let stop = StopFlag()
    var continuation: CheckedContinuation<HTTPResponse, any Error>?
    /// The easy handle while libcurl works on the transfer.
    var handle: UnsafeMutableRawPointer?
    /// When a cancelled transfer with `cancelGrace` is aborted if it has not ended by then.
    var abortAt: ContinuousClock.Instant?
    private var headerList: UnsafeMutablePointer<curl_slist>?

    var body = Data()
    var headers: [String: String] = [:]
    /// Set once a chunk would take the decoded body past `options.maxResponseBytes`.
    var overflowed = false
    /// A POST's body, handed to libcurl by the read callback (see `configure`).
    private var upload = Data()
    private var uploaded = 0

    /// libcurl's own words for a failure (CURLOPT_ERRORBUFFER), e.g. `SSL certificate problem:
    /// unable to get local issuer certificate`, more precise than `curl_easy_strerror`.
    static let errorBufferSize = Int(CURL_ERROR_SIZE)
    private let errorBuffer: UnsafeMutablePointer<CChar>

    init(request: HTTPRequest, options: CurlTransport.Options) {
        self.request = request
        self.options = options
        errorBuffer = .allocate(capacity: Self.errorBufferSize)
        errorBuffer.initialize(repeating: 0, count: Self.errorBufferSize)
    }

    deinit {
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// Hands the outcome to the waiting task, once.
    func finish(_ result: Result<HTTPResponse, any Error>) {
        continuation?.resume(with: result)
        continuation = nil
    }

    /// The outcome of a transfer libcurl finished with `code`.
    func outcome(_ code: CURLcode) -> Result<HTTPResponse, any Error> {
        guard code == CURLE_OK else {
            var osErrno = 0
            if let handle { _ = gs_curl_getinfo_long(handle, CURLINFO_OS_ERRNO, &osErrno) }
            let detail = String(decoding: UnsafeRawBufferPointer(start: errorBuffer, count: strnlen(errorBuffer, Self.errorBufferSize)), as: UTF8.self)
            return .failure(CurlTransport.error(code, overflowed: overflowed, limit: options.maxResponseBytes, request: request, options: options,
                                                detail: detail.trimmingCharacters(in: .whitespacesAndNewlines), osErrno: Int32(truncatingIfNeeded: osErrno)))
        }
        var status = 0
        if let handle { _ = gs_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status) }
        return .success(HTTPResponse(status: status, headers: headers, body: body))
    }

    /// Where the request was going, for an error that libcurl did not describe.
    var context: HTTPTransportError.Context {
        HTTPTransportError.Context(endpoint: TransportErrorText.endpoint(of: request.url), setting: request.endpointSetting, caFile: options.caFile)
    }

    /// Sets every option of `h` (a fresh or reset easy handle) for this request.
    func configure(_ h: UnsafeMutableRawPointer) {
        handle = h
        let me = Unmanaged.passUnretained(self).toOpaque()
        for (name, value) in request.headers { headerList = curl_slist_append(headerList, "\(name): \(value)") }
        if request.body != nil, !request.headers.contains(where: { $0.name.lowercased() == "expect" }) {
            headerList = curl_slist_append(headerList, "Expect:")
        }
        _ = gs_curl_setopt_str(h, CURLOPT_URL, request.url)
        errorBuffer[0] = 0
        _ = gs_curl_setopt_ptr(h, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = gs_curl_setopt_str(h, CURLOPT_CUSTOMREQUEST, request.method)
        _ = gs_curl_setopt_ptr(h, CURLOPT_HTTPHEADER, headerList)
        _ = gs_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1)
        _ = gs_curl_setopt_str(h, CURLOPT_ACCEPT_ENCODING, "")
        _ = gs_curl_setopt_str(h, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = gs_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, Int(request.timeout * 1000))
        _ = gs_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, Int(options.connectTimeout * 1000))
        _ = gs_curl_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 1)
        _ = gs_curl_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 2)
        _ = gs_curl_setopt_long(h, CURLOPT_TCP_KEEPALIVE, 1)
        _ = gs_curl_setopt_long(h, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        // Wait for a multiplexed HTTP/2 connection being set up rather than open another.
        _ = gs_curl_setopt_long(h, CURLOPT_PIPEWAIT, 1)
        if let caFile = options.caFile {
            // CAINFO alone keeps libcurl's built-in CApath (/etc/ssl/certs on Debian), so every
            // system root would still be trusted: clear it, so that caFile *replaces* the store.
            _ = gs_curl_setopt_str(h, CURLOPT_CAINFO, caFile)
            _ = gs_curl_setopt_str(h, CURLOPT_CAPATH, nil)
        }
        // A Content-Length above the cap is refused before any byte is read (CURLE_FILESIZE_EXCEEDED);
        // the write callback enforces the cap on the decoded bytes either way.
        _ = gs_curl_setopt_off(h, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(options.maxResponseBytes))
        if options.trace != nil {
            _ = gs_curl_setopt_long(h, CURLOPT_VERBOSE, 1)
            _ = gs_curl_setopt_ptr(h, CURLOPT_DEBUGDATA, me)
            let debug: curl_debug_callback = { _, type, data, size, user in
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(user!).takeUnretainedValue()
                if type == CURLINFO_TEXT, let data {
                    transfer.options.trace?(String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self))
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
            upload = body
            _ = gs_curl_setopt_long(h, CURLOPT_POST, 1)
            _ = gs_curl_setopt_off(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            _ = gs_curl_setopt_ptr(h, CURLOPT_READDATA, me)
            _ = gs_curl_setopt_data_cb(h, CURLOPT_READFUNCTION) { buffer, size, count, user in
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(user!).takeUnretainedValue()
                let n = min(size * count, transfer.upload.count - transfer.uploaded)
                guard n > 0, let buffer else { return 0 }
                transfer.upload.withUnsafeBytes { raw in
                    UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress! + transfer.uploaded, byteCount: n)
                }
                transfer.uploaded += n
                return n
            }
        } else if let body = request.body {
            _ = gs_curl_setopt_off(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            body.withUnsafeBytes { raw in
                _ = gs_curl_setopt_ptr(h, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!))
            }
        }
        _ = gs_curl_setopt_ptr(h, CURLOPT_WRITEDATA, me)
        _ = gs_curl_setopt_data_cb(h, CURLOPT_WRITEFUNCTION) { ptr, size, count, user in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(user!).takeUnretainedValue()
            // libcurl hands over decoded bytes, a chunk at a time: stop before the body passes
            // the cap (returning less than given ends the transfer with CURLE_WRITE_ERROR).
            guard transfer.body.count + size * count <= transfer.options.maxResponseBytes else {
                transfer.overflowed = true
                return 0
            }
            if let ptr { transfer.body.append(UnsafeRawPointer(ptr).assumingMemoryBound(to: UInt8.self), count: size * count) }
            return size * count
        }
        _ = gs_curl_setopt_ptr(h, CURLOPT_HEADERDATA, me)
        _ = gs_curl_setopt_data_cb(h, CURLOPT_HEADERFUNCTION) { ptr, size, count, user in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(user!).takeUnretainedValue()
            if let ptr {
                let line = String(decoding: UnsafeRawBufferPointer(start: ptr, count: size * count), as: UTF8.self)
                if line.hasPrefix("HTTP/") { transfer.headers = [:] }  // a new response (after 100 Continue or a redirect)
                if let colon = line.firstIndex(of: ":") {
                    transfer.headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
                }
            }
            return size * count
        }
    }
}

/// Set when the task that sent a request is cancelled.
final class StopFlag: Sendable {
    private let raised = Atomic<Bool>(false)
    func raise() { raised.store(true, ordering: .relaxed) }
    var isRaised: Bool { raised.load(ordering: .relaxed) }
}
