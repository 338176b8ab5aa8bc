import Foundation
@testable import GalsyncConfig
import Testing

/// `http://` is accepted for loopback hosts only, and the host is parsed, not matched by its
/// first characters: names that merely start like a loopback address are anyone's names.
@Suite struct LoopbackEndpointTests {
    static func config(graph: String) -> String {
        """
        [tenant]
        id = "contoso.onmicrosoft.com"
        client_id = "11111111-2222-3333-4444-555555555555"
        certificate = "/etc/galsync/galsync.crt"
        private_key = "/etc/galsync/galsync.key"
        graph_endpoint = "\(graph)"
        login_endpoint = "\(graph)"

        [mailboxes]
        all = true
        """
    }

    @Test(arguments: ["http://127.attacker.example", "http://127.0.0.1.nip.io", "http://localhost.evil", "http://127.example",
                      "http://127.1", "http://127.0.0.01", "http://127.0.0.256", "http://[::ffff:127.0.0.1]", "http://[::2]", "http://0x7f.0.0.1"])
    func aNameThatOnlyLooksLikeLoopbackIsRefused(_ endpoint: String) {
        do {
            let c = try ConfigurationLoader.parse(Self.config(graph: endpoint), environment: [:])
            Issue.record("\(endpoint) accepted as loopback: \(c.tenant.graphEndpoint)")
        } catch {
            let problem = error.problems.first { $0.key == "tenant.graph_endpoint" }
            #expect(problem != nil, "\(endpoint): \(error.description)")
            #expect(error.description.contains("https://"), "the message says what to use instead: \(error.description)")
        }
    }

    @Test(arguments: ["http://127.0.0.1:8080", "http://127.10.20.30", "http://[::1]:1", "http://[0:0:0:0:0:0:0:1]:8080", "http://localhost",
                      "http://LOCALHOST:9", "https://127.attacker.example"])
    func loopbackAndHTTPSAreAccepted(_ endpoint: String) throws {
        let c = try ConfigurationLoader.parse(Self.config(graph: endpoint), environment: [:])
        #expect(c.tenant.graphEndpoint.scheme?.lowercased() == (endpoint.hasPrefix("https") ? "https" : "http"))
    }

    @Test func theHostParserItself() {
        for host in ["127.0.0.1", "127.255.255.255", "::1", "[::1]", "localhost"] { #expect(LoopbackHost.contains(host), "\(host)") }
        for host in ["127.", "127.0.0.1.", "127..0.1", "1.127.0.0", "128.0.0.1", "localhost.", "::", "", "１２７.0.0.1"] {
            #expect(!LoopbackHost.contains(host), "\(host)")
        }
    }
}
