import Foundation
import GalsyncJSON
import GraphClient
@testable import GraphHTTP
import GraphSimulator
import Testing

/// Transport failures say where (host:port, proxy), why (refused, timed out, DNS, certificate)
/// and what to look at (the setting naming the endpoint, HTTPS_PROXY, tenant.ca_file); the
/// exit status and retry decision (kind, retryable) stay what they were.
@Suite struct TransportMessageTests {
    /// A loopback port nothing listens on (bound, then closed): connecting is refused.
    static func closedPort() throws -> Int {
        let (fd, port) = try LoopbackSocket.bound(listening: false)
        close(fd)
        return Int(port)
    }

    @Test func aRefusedConnectionToGraphNamesTheHostTheReasonAndTheSetting() async throws {
        let tenant = try await LiveTenant()
        let port = try Self.closedPort()
        try await tenant.run { url in
            let graph = GraphAPI(graphEndpoint: URL(string: "http://127.0.0.1:\(port)")!, tokens: try tenant.provider(url), transport: CurlTransport())
            let error = await #expect(throws: HTTPTransportError.self) { try await graph.request("GET", "/users?$top=1") }
            #expect(error?.description == "cannot connect to 127.0.0.1:\(port) (connection refused): check the network, the proxy (HTTPS_PROXY) and tenant.graph_endpoint")
            // Unchanged: worth another try, exit 75.
            #expect(error?.retryable == true && error?.kind == .network && error?.isTransient == true)
            #expect(error?.code == 7)
        }
    }

    @Test func aRefusedConnectionToTheLoginEndpointNamesTheLoginHostAndItsSetting() async throws {
        let tenant = try await LiveTenant()
        let port = try Self.closedPort()
        defer { tenant.files.remove() }
        let provider = try tenant.provider("http://127.0.0.1:\(port)")
        let error = await #expect(throws: IdentityError.self) { try await provider.token() }
        #expect(error?.description == "token request: cannot connect to 127.0.0.1:\(port) (connection refused): check the network, the proxy (HTTPS_PROXY) and tenant.login_endpoint",
                "\(String(describing: error))")
        #expect(error?.isRetryable == true && error?.transportError?.kind == .network)
    }

    /// `.invalid` never resolves (RFC 6761): the message says DNS, names the host and where to look.
    @Test(.timeLimit(.minutes(1))) func anUnknownHostIsADNSFailure() async throws {
        var request = HTTPRequest(url: "https://graph.example.invalid/v1.0/users", timeout: 20)
        request.endpointSetting = "tenant.graph_endpoint"
        let error = await #expect(throws: HTTPTransportError.self) { try await CurlTransport().send(request) }
        #expect(error?.description == "cannot resolve graph.example.invalid (DNS: no such name, or no answer): check the host name in tenant.graph_endpoint and the DNS servers in /etc/resolv.conf (resolvectl status)",
                "\(String(describing: error))")
        #expect(error?.retryable == true && error?.kind == .network)
    }

    /// Each curl error class, as the operator reads it (contexts as the transport fills them).
    @Test func eachFailureClassSaysWhatToDo() {
        func text(_ code: Int, _ message: String, kind: HTTPTransportError.Kind = .network, _ context: HTTPTransportError.Context) -> String {
            HTTPTransportError(code: code, message: message, retryable: kind == .network, kind: kind, context: context).description
        }
        let graph = HTTPTransportError.Context(endpoint: "graph.microsoft.com:443", setting: "tenant.graph_endpoint", osErrno: ETIMEDOUT, timeout: 60, connectTimeout: 10)
        var proxied = graph
        proxied.proxy = "http://proxy.corp:3128"
        proxied.proxyVariable = "https_proxy"
        #expect(text(7, "Failed to connect to graph.microsoft.com port 443 after 10 ms: Couldn't connect to server", graph)
                == "cannot connect to graph.microsoft.com:443 (timed out): check the network, the proxy (HTTPS_PROXY) and tenant.graph_endpoint")
        #expect(text(7, "Failed to connect to proxy.corp port 3128 after 0 ms: Couldn't connect to server", proxied)
                == "cannot connect to the proxy http://proxy.corp:3128 (timed out) on the way to graph.microsoft.com:443: check https_proxy and that the proxy is up and reachable")
        #expect(text(5, "Could not resolve proxy: proxy.corp", proxied)
                == "cannot resolve the proxy proxy.corp (DNS: no such name, or no answer): check the proxy's name in https_proxy and the DNS servers in /etc/resolv.conf")
        #expect(text(56, "CONNECT tunnel failed, response 403", proxied)
                == "the proxy http://proxy.corp:3128 refused the tunnel to graph.microsoft.com:443 (CONNECT tunnel failed, response 403): check https_proxy and the proxy's rules: it must allow CONNECT to graph.microsoft.com:443")
        #expect(text(28, "Connection timed out after 10001 milliseconds", graph)
                == "cannot connect to graph.microsoft.com:443 (timed out after 10 s): check the network, the proxy (HTTPS_PROXY) and tenant.graph_endpoint")
        #expect(text(28, "Operation timed out after 60000 milliseconds with 0 bytes received", graph)
                == "no answer from graph.microsoft.com:443 within 60 s (timed out): check the network, the proxy (HTTPS_PROXY) and tenant.graph_endpoint")
        let tls = text(60, "SSL certificate problem: unable to get local issuer certificate", kind: .tls, graph)
        #expect(tls.hasPrefix("TLS with graph.microsoft.com:443 failed (certificate not trusted: SSL certificate problem: unable to get local issuer certificate): "
                              + "if a TLS-inspecting proxy is in between, put its root CA in a PEM file and set tenant.ca_file to it"), "\(tls)")
        var pinned = graph
        pinned.caFile = "/etc/galsync/corp-ca.pem"
        #expect(text(60, "SSL certificate problem: certificate has expired", kind: .tls, pinned).hasPrefix(
            "TLS with graph.microsoft.com:443 failed (certificate expired: SSL certificate problem: certificate has expired): tenant.ca_file (/etc/galsync/corp-ca.pem) replaces the system's roots"))
        #expect(text(77, "error setting certificate file: /etc/galsync/corp-ca.pem", kind: .local, pinned)
                == "cannot use the CA file /etc/galsync/corp-ca.pem (error setting certificate file: /etc/galsync/corp-ca.pem): tenant.ca_file must be a readable PEM file of CA certificates")
        #expect(text(56, "Recv failure: Connection reset by peer", graph)
                == "the connection to graph.microsoft.com:443 broke (Recv failure: Connection reset by peer): galsync tries again; if it keeps happening, check the network, the proxy (HTTPS_PROXY) and tenant.graph_endpoint")
    }

    /// The proxy is found as libcurl finds it, and shown without its password.
    @Test func theProxyIsTheOneLibcurlUsesWithoutCredentials() {
        let env = ["HTTPS_PROXY": "http://svc:s3cret@proxy.corp:3128/", "http_proxy": "proxy.corp:8080", "no_proxy": "localhost,.internal.corp"]
        #expect(CurlTransport.proxy(for: "https://graph.microsoft.com/v1.0", environment: env)! == ("http://proxy.corp:3128", "HTTPS_PROXY"))
        #expect(CurlTransport.proxy(for: "http://graph.microsoft.com/", environment: env)! == ("http://proxy.corp:8080", "http_proxy"))
        #expect(CurlTransport.proxy(for: "https://sim.internal.corp/", environment: env) == nil)
        #expect(CurlTransport.proxy(for: "https://graph.microsoft.com/", environment: ["all_proxy": "socks5://p:1080"])! == ("socks5://p:1080", "all_proxy"))
        #expect(CurlTransport.proxy(for: "https://graph.microsoft.com/", environment: ["HTTP_PROXY": "http://p:1"]) == nil, "libcurl ignores upper-case HTTP_PROXY")
        #expect(CurlTransport.proxy(for: "https://graph.microsoft.com/", environment: ["HTTPS_PROXY": "http://p:1", "NO_PROXY": "*"]) == nil)
    }

    /// A 403 on a followed deltaLink prints the path with `…` for the token, never half of it.
    @Test func aFailedDeltaLinkIsPrintedWithoutItsToken() async throws {
        let tenant = try await LiveTenant()
        try await tenant.run { url in
            let graph = GraphAPI(graphEndpoint: URL(string: url)!, tokens: try tenant.provider(url), transport: CurlTransport())
            var link = "/users/delta?$select=id"
            var deltaLink: String?
            while deltaLink == nil {
                let body = try #require(try await graph.request("GET", link).json)
                if let next = body["@odata.nextLink"]?.stringValue { link = next } else { deltaLink = body["@odata.deltaLink"]?.stringValue }
            }
            let delta = try #require(deltaLink)
            #expect(delta.contains("$deltatoken=") && delta.count > 120, "\(delta)")
            await tenant.sim.queueResponse(route: "GET /users/delta", status: 403,
                                           body: Data(#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges."}}"#.utf8))
            let error = await #expect(throws: GraphError.self) { try await graph.request("GET", delta) }
            let text = error?.description ?? ""
            #expect(text.hasPrefix("GET /v1.0/users/delta?$deltatoken=… failed: HTTP 403 Authorization_RequestDenied: Insufficient privileges."), "\(text)")
            #expect(!text.contains(url), "the Graph host is the configured one; the path says enough: \(text)")
        }
    }

    @Test func queryTokensAreShownAsAnEllipsis() {
        let token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdGF0ZSI6IjEyMzQ1Njc4OTAifQ-abc_def"
        #expect(URLText.redacted("http://127.0.0.1:44287/v1.0/users/delta?$deltatoken=\(token)") == "http://127.0.0.1:44287/v1.0/users/delta?$deltatoken=…")
        #expect(URLText.redacted("/users/delta?$select=id,displayName&$skiptoken=\(token)") == "/users/delta?$select=id,displayName&$skiptoken=…")
        #expect(URLText.redacted("/groups/g/transitiveMembers?$top=999&$skip=200") == "/groups/g/transitiveMembers?$top=999&$skip=…")
        #expect(URLText.redacted("/users/x/contacts/delta?%24deltatoken=abc") == "/users/x/contacts/delta?%24deltatoken=…")
        // An unknown option holding a token-like value is hidden too; OData options stay readable.
        #expect(URLText.redacted("/users?cursor=\(token)&$top=5") == "/users?cursor=…&$top=5")
        let filter = "/users?$filter=userPrincipalName%20eq%20'averyveryverylongname@contoso.onmicrosoft.com'"
        #expect(URLText.redacted(filter) == filter)
        #expect(URLText.redacted("/users/0f8fad5b-d9cb-469f-a165-70867728950e/contactFolders") == "/users/0f8fad5b-d9cb-469f-a165-70867728950e/contactFolders")
    }
}
