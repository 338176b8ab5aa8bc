import CCurl
import Foundation

/// The operator's sentence for a failed transfer: what failed, at which host and port, through
/// which proxy, why (the system's reason for a refused connection, the TLS library's for a
/// certificate), then the fix, naming the setting or variable to look at:
/// `cannot connect to graph.microsoft.com:443 (connection refused): check the network, the
/// proxy (HTTPS_PROXY) and tenant.graph_endpoint`.
enum TransportErrorText {
    static func code(_ c: CURLcode) -> Int { Int(c.rawValue) }

    static func explain(_ e: HTTPTransportError) -> (problem: String, fix: String) {
        let c = e.context
        let at = c.endpoint ?? "the server"
        let host = c.endpoint.map(hostPart) ?? "the server's name"
        let setting = c.setting ?? "the endpoint's URL"
        let proxyVariable = c.proxyVariable ?? "HTTPS_PROXY"
        let theProxy = "the proxy (\(proxyVariable))"
        let via = c.proxy.map { " through the proxy \($0)" } ?? ""
        let detail = e.message
        let lower = detail.lowercased()
        let network = "check the network, \(theProxy) and \(setting)"

        if e.kind == .responseTooLarge { return (detail, "") }
        switch e.code {
        case code(CURLE_COULDNT_RESOLVE_HOST):
            return ("cannot resolve \(host) (DNS: no such name, or no answer)",
                    "check the host name in \(setting) and the DNS servers in /etc/resolv.conf (resolvectl status)")
        case code(CURLE_COULDNT_RESOLVE_PROXY):
            return ("cannot resolve the proxy \(c.proxy.map(hostOfURL) ?? "host") (DNS: no such name, or no answer)",
                    "check the proxy's name in \(proxyVariable) and the DNS servers in /etc/resolv.conf")
        case code(CURLE_COULDNT_CONNECT):
            let reason = errnoReason(c.osErrno) ?? "refused or unreachable"
            if let proxy = c.proxy {
                return ("cannot connect to the proxy \(proxy) (\(reason)) on the way to \(at)",
                        "check \(proxyVariable) and that the proxy is up and reachable")
            }
            return ("cannot connect to \(at) (\(reason))", network)
        case code(CURLE_OPERATION_TIMEDOUT):
            if lower.contains("resolving timed out") {
                return ("cannot resolve \(host) (DNS: timed out)", "check the DNS servers in /etc/resolv.conf (resolvectl status) and \(setting)")
            }
            if lower.contains("connection timed out") || lower.contains("failed to connect") || lower.contains("connection time-out") {
                let after = c.connectTimeout.map { " after \(seconds($0))" } ?? ""
                return ("cannot connect to \(at)\(via) (timed out\(after))", network)
            }
            let within = c.timeout.map { " within \(seconds($0))" } ?? ""
            return ("no answer from \(at)\(via)\(within) (timed out)", network)
        case code(CURLE_PEER_FAILED_VERIFICATION), code(CURLE_SSL_ISSUER_ERROR), code(CURLE_SSL_INVALIDCERTSTATUS), code(CURLE_SSL_PINNEDPUBKEYNOTMATCH):
            let why = lower.contains("expired") ? "certificate expired" : lower.contains("subject name") || lower.contains("does not match")
                ? "certificate issued for another name" : "certificate not trusted"
            return ("TLS with \(at)\(via) failed (\(why): \(detail))", trustFix(c, setting: setting))
        case code(CURLE_SSL_CACERT_BADFILE):
            return ("cannot use the CA file\(c.caFile.map { " \($0)" } ?? "") (\(detail))",
                    "tenant.ca_file must be a readable PEM file of CA certificates")
        case code(CURLE_SSL_CONNECT_ERROR), code(CURLE_SSL_CIPHER), code(CURLE_SSL_SHUTDOWN_FAILED):
            if lower.contains("certificate") {
                return ("TLS with \(at)\(via) failed (certificate not trusted: \(detail))", trustFix(c, setting: setting))
            }
            return ("the TLS handshake with \(at)\(via) failed (\(detail))",
                    "a firewall or TLS-inspecting proxy may be in the way: check \(theProxy), tenant.ca_file and \(setting)")
        case code(CURLE_PROXY):
            return ("the proxy \(c.proxy ?? "") failed the tunnel to \(at) (\(detail))", proxyFix(proxyVariable, host: at))
        case code(CURLE_RECV_ERROR) where lower.contains("connect tunnel") || lower.contains("proxy"):
            let why = lower.contains("407") ? ": it wants credentials (user:password@ in \(proxyVariable))" : ""
            return ("the proxy \(c.proxy ?? "") refused the tunnel to \(at) (\(detail))\(why)", proxyFix(proxyVariable, host: at))
        case code(CURLE_SEND_FAIL_REWIND):
            return ("the connection to \(at)\(via) closed under a request that is never sent twice (\(detail)): its outcome is unknown",
                    "galsync tries again; the next listing shows what was written")
        case code(CURLE_GOT_NOTHING), code(CURLE_RECV_ERROR), code(CURLE_SEND_ERROR), code(CURLE_PARTIAL_FILE), code(CURLE_HTTP2), code(CURLE_HTTP2_STREAM):
            return ("the connection to \(at)\(via) broke (\(detail))",
                    "galsync tries again; if it keeps happening, \(network)")
        case code(CURLE_UNSUPPORTED_PROTOCOL), code(CURLE_URL_MALFORMAT):
            return ("cannot send a request to \(at) (\(detail))", "check \(setting): an https:// URL")
        case -1:
            return ("cannot send a request to \(at) (\(detail))", "")
        default:
            return ("the request to \(at)\(via) failed (libcurl error \(e.code): \(detail))", network)
        }
    }

    static func trustFix(_ c: HTTPTransportError.Context, setting: String) -> String {
        if let caFile = c.caFile {
            return "tenant.ca_file (\(caFile)) replaces the system's roots: it must hold the root CA that signed this certificate "
                + "(a TLS-inspecting proxy's, or the public CA of \(setting)); check the clock too. galsync never skips verification"
        }
        return "if a TLS-inspecting proxy is in between, put its root CA in a PEM file and set tenant.ca_file to it; "
            + "check \(setting) and the clock too. galsync never skips verification"
    }

    static func proxyFix(_ variable: String, host: String) -> String {
        "check \(variable) and the proxy's rules: it must allow CONNECT to \(host)"
    }

    static func seconds(_ s: Double) -> String {
        s == s.rounded() ? "\(Int(s)) s" : String(format: "%.1f s", s)
    }

    /// The system's reason a connection failed, in words, for the errno values that mean
    /// something to an operator.
    static func errnoReason(_ e: Int32) -> String? {
        switch e {
        case ECONNREFUSED: "connection refused"
        case ETIMEDOUT: "timed out"
        case ENETUNREACH: "network unreachable"
        case EHOSTUNREACH: "no route to host"
        case ECONNRESET: "connection reset"
        case EACCES, EPERM: "blocked by a local firewall rule"
        case EADDRNOTAVAIL: "no local address to connect from"
        default: nil
        }
    }

    /// `graph.microsoft.com:443` → `graph.microsoft.com`; `[::1]:443` → `::1`.
    static func hostPart(_ endpoint: String) -> String {
        if endpoint.hasPrefix("["), let close = endpoint.firstIndex(of: "]") { return String(endpoint[endpoint.index(after: endpoint.startIndex)..<close]) }
        return endpoint.split(separator: ":", maxSplits: 1).first.map(String.init) ?? endpoint
    }

    static func hostOfURL(_ url: String) -> String { URLComponents(string: url)?.host ?? url }

    /// `host:port` of `url`, the port defaulted from the scheme (443 for https, 80 for http).
    static func endpoint(of url: String) -> String? {
        guard let c = URLComponents(string: url), let host = c.host, !host.isEmpty else { return nil }
        let port = c.port ?? (c.scheme?.lowercased() == "http" ? 80 : 443)
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

extension CurlTransport {
    /// The proxy libcurl takes for `url` from `environment`, as libcurl reads it: `http_proxy`
    /// (lower case only) for http, `https_proxy` then `HTTPS_PROXY` for https, then `all_proxy`
    /// and `ALL_PROXY`; none when `no_proxy` / `NO_PROXY` covers the host. The proxy's URL is
    /// returned without user or password (it reaches logs); nil for a direct connection.
    public static func proxy(for url: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> (url: String, variable: String)? {
        guard let target = URLComponents(string: url), let scheme = target.scheme?.lowercased(), let host = target.host?.lowercased() else { return nil }
        let noProxy = environment["no_proxy"] ?? environment["NO_PROXY"] ?? ""
        for entry in noProxy.split(whereSeparator: { $0 == "," || $0 == " " }) {
            var e = entry.lowercased()
            if e == "*" { return nil }
            if e.hasPrefix(".") { e.removeFirst() }
            if host == e || host.hasSuffix("." + e) { return nil }
        }
        let names = scheme == "http" ? ["http_proxy"] : ["\(scheme)_proxy", "\(scheme.uppercased())_PROXY"]
        for name in names + ["all_proxy", "ALL_PROXY"] {
            guard let value = environment[name], !value.isEmpty else { continue }
            return (withoutCredentials(value), name)
        }
        return nil
    }

    /// `http://user:secret@proxy.corp:3128/` → `http://proxy.corp:3128` (libcurl takes a proxy
    /// without a scheme as http://).
    static func withoutCredentials(_ proxy: String) -> String {
        let full = proxy.contains("://") ? proxy : "http://" + proxy
        guard let c = URLComponents(string: full), let host = c.host else { return "(unparsable proxy URL)" }
        return "\(c.scheme ?? "http")://\(host)" + (c.port.map { ":\($0)" } ?? "")
    }
}

/// URLs as messages show them: a query value that is an opaque token (`$deltatoken`,
/// `$skiptoken`, `$skip`, anything long and token-like) is shown as `…`, whole, never half
/// of one. The tokens are no secret but they are long, useless to a reader, and a cut one
/// looks like a corrupted link.
public enum URLText {
    /// Query options whose values are the token itself.
    static let tokenNames: Set<String> = ["deltatoken", "skiptoken", "skip", "token", "access_token", "code", "sig", "signature", "client_assertion", "state"]
    /// OData options, readable whatever their length (`$select=…`, `$filter=…`).
    static let readableNames: Set<String> = ["select", "filter", "expand", "top", "orderby", "count", "search", "format", "levels", "api-version"]

    /// `url` (absolute or a path) with each token-like query value replaced by `…`.
    public static func redacted(_ url: String) -> String {
        guard let q = url.firstIndex(of: "?") else { return url }
        var query = url[url.index(after: q)...]
        var fragment = ""
        if let hash = query.firstIndex(of: "#") {
            fragment = "#…"
            query = query[..<hash]
        }
        let parts = query.split(separator: "&", omittingEmptySubsequences: false).map { item -> String in
            guard let eq = item.firstIndex(of: "=") else { return String(item) }
            let name = item[..<eq]
            let value = item[item.index(after: eq)...]
            var bare = name.lowercased()
            if bare.hasPrefix("$") { bare.removeFirst() }
            if bare.hasPrefix("%24") { bare.removeFirst(3) }
            if value.isEmpty || readableNames.contains(bare) { return String(item) }
            if tokenNames.contains(bare) || looksOpaque(value) { return "\(name)=…" }
            return String(item)
        }
        return String(url[...q]) + parts.joined(separator: "&") + fragment
    }

    /// Long and made only of base64url, base64 and percent-escape characters, with no OData
    /// punctuation (quotes, parentheses, commas, spaces): a token, not something to read.
    static func looksOpaque(_ value: Substring) -> Bool {
        guard value.utf8.count >= 24 else { return false }
        return value.utf8.allSatisfy { b in
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"),
                 UInt8(ascii: "="), UInt8(ascii: "%"): true
            default: false
            }
        } && !value.contains("%20") && !value.contains("%27")
    }
}
