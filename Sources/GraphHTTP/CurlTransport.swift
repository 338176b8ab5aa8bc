import CCurl
import CShims
import Foundation
import Synchronization

/// Sends HTTP requests with libcurl (proxy variables, TLS verification against the system store
/// or `caFile` alone, compressed responses, HTTP/2 over TLS where offered). Every request is a
/// transfer on the process's one `CurlEventLoop` (libcurl's multi interface on one thread), so
/// hundreds can be in flight at once and connections are kept alive and shared between them.
/// A response's decoded body is capped at `maxResponseBytes`.
public struct CurlTransport: Sendable {
    /// The CA bundle that replaces the system's roots (`tenant.ca_file`); nil for the system store.
    public var caFile: String?
    public var connectTimeout: Double
    /// The most bytes one response body may have *after* decoding (gzip, deflate, br).
    public var maxResponseBytes: Int
    /// For tests: libcurl's informational lines (its verbose output), e.g. `CApath: none`.
    var trace: (@Sendable (String) -> Void)?

    /// 16 MiB. The largest answers galsync asks for are a `/users/delta` page of 999 users with
    /// the selected fields and a 1,000-contact listing, about 1–3 MB each, and a `$batch` of 20
    /// such answers stays well below too; 16 MiB leaves 5× room for long values while keeping a
    /// gzip bomb (kilobytes that decode to gigabytes) from taking more than a few tens of MB per
    /// request, however many requests are in flight.
    public static let defaultMaxResponseBytes = 16 << 20

    public init(caFile: String? = nil, connectTimeout: Double = 10, maxResponseBytes: Int = CurlTransport.defaultMaxResponseBytes) {
        self.caFile = caFile
        self.connectTimeout = connectTimeout
        self.maxResponseBytes = maxResponseBytes
    }

    /// What every transfer of this transport is configured with.
    struct Options: Sendable {
        var caFile: String?
        var connectTimeout: Double
        var maxResponseBytes: Int
        var trace: (@Sendable (String) -> Void)?
    }

    static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// Sends one request. Cancelling the calling task aborts the transfer, at once or after the
    /// request's `cancelGrace`, and throws `CancellationError` (a transfer that ends within the
    /// grace returns its answer).
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let loop = CurlEventLoop.shared
        let transfer = CurlTransfer(request: request, options: Options(caFile: caFile, connectTimeout: connectTimeout, maxResponseBytes: maxResponseBytes, trace: trace))
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.continuation = continuation
                loop.submit(transfer)
            }
        } onCancel: {
            transfer.stop.raise()
            loop.cancel(transfer)
        }
    }

    static let retryableCodes: Set<CURLcode> = [CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_GOT_NOTHING, CURLE_RECV_ERROR,
                                                CURLE_SEND_ERROR, CURLE_PARTIAL_FILE, CURLE_COULDNT_RESOLVE_HOST, CURLE_HTTP2, CURLE_HTTP2_STREAM,
                                                // a sendOnce request that libcurl would have had to send again: outcome unknown
                                                CURLE_SEND_FAIL_REWIND]
    /// Handshake and verification failures. CURLE_SSL_CACERT_BADFILE (an unreadable
    /// `ca_file`) is not among them: that is this machine's configuration.
    static let tlsCodes: Set<CURLcode> = [CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CIPHER, CURLE_SSL_SHUTDOWN_FAILED,
                                          CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS]

    /// The error for a failed transfer: what failed, where, why, and what to do. `detail` is
    /// libcurl's error buffer (empty when it wrote none), `osErrno` the system's reason for a
    /// failed connection (CURLINFO_OS_ERRNO).
    static func error(_ code: CURLcode, overflowed: Bool, limit: Int, request: HTTPRequest, options: Options,
                      detail: String = "", osErrno: Int32 = 0) -> HTTPTransportError {
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        let proxy = proxy(for: request.url)
        let context = HTTPTransportError.Context(
            endpoint: TransportErrorText.endpoint(of: request.url), proxy: proxy?.url, proxyVariable: proxy?.variable,
            setting: request.endpointSetting, caFile: options.caFile, osErrno: osErrno, timeout: request.timeout, connectTimeout: options.connectTimeout)
        if overflowed || code == CURLE_FILESIZE_EXCEEDED {
            return HTTPTransportError(
                code: Int(code.rawValue),
                message: "the answer from \(URLText.redacted(request.url)) is larger than \(limit / (1 << 20)) MiB once decoded; galsync stopped reading it "
                    + "(Graph's pages are a few MB: a proxy or server sent something else, e.g. a compressed bomb)",
                retryable: false, kind: .responseTooLarge, context: context)
        }
        if tlsCodes.contains(code) {
            return HTTPTransportError(code: Int(code.rawValue), message: message, retryable: false, kind: .tls, context: context)
        }
        let retryable = retryableCodes.contains(code)
        return HTTPTransportError(code: Int(code.rawValue), message: message, retryable: retryable, kind: retryable ? .network : .local, context: context)
    }
}
