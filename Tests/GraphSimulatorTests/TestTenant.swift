import Foundation
import GalsyncCrypto
@testable import GraphSimulator
import Synchronization

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let current: Mutex<Date>
    init(_ start: Date = Date()) { current = Mutex(start) }
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: Double) { current.withLock { $0 += seconds } }
}

/// A simulator with one registered app, and the client side of a certificate client assertion
/// written independently of the simulator's verifier.
struct TestTenant {
    static let baseURL = "http://sim.test"
    static let clientId = "11111111-2222-3333-4444-555555555555"
    static let key = try! PrivateKey.generateRSA(bits: 2048)
    static let certificate = try! Certificate.selfSigned(key: key, subject: "CN=galsync test", notBefore: Date() - 86_400, notAfter: Date() + 86_400 * 30)
    static let roles = ["User.Read.All", "GroupMember.Read.All", "Contacts.ReadWrite"]

    let sim: GraphSimulator
    let clock: ManualClock

    init(users: Int = 40, seed: UInt64 = 7, settings: SimulatorSettings = SimulatorSettings(), roles: [String] = TestTenant.roles) async throws {
        let clock = ManualClock()
        self.clock = clock
        sim = try GraphSimulator(seed: TenantSeed(users: users, seed: seed), settings: settings, now: { clock.now })
        await sim.registerApp(clientId: Self.clientId, roles: roles, certificates: [Self.certificate])
    }

    var tokenURL: String { "\(Self.baseURL)/\(sim.tenantId)/oauth2/v2.0/token" }

    enum Thumbprint { case sha256, sha1, sha1StandardBase64, none }

    /// A client assertion; every claim can be bent to test a rejection.
    func assertion(
        key: PrivateKey = TestTenant.key, certificate: Certificate = TestTenant.certificate, algorithm: SignatureAlgorithm = .ps256,
        thumbprint: Thumbprint = .sha256, iss: String = TestTenant.clientId, sub: String = TestTenant.clientId, aud: String? = nil,
        nbf: Date? = nil, lifetime: Double = 600, jti: String = UUID().uuidString
    ) -> String {
        var header: [String: JSONValue] = ["alg": .string(algorithm.rawValue), "typ": "JWT"]
        switch thumbprint {
        case .sha256: header["x5t#S256"] = .string(Base64URL.encode(certificate.sha256Thumbprint))
        case .sha1: header["x5t"] = .string(Base64URL.encode(certificate.sha1Thumbprint))
        case .sha1StandardBase64: header["x5t"] = .string(certificate.sha1Thumbprint.base64EncodedString())
        case .none: break
        }
        let start = (nbf ?? clock.now).timeIntervalSince1970.rounded(.down)
        let claims: JSONValue = ["aud": .string(aud ?? tokenURL), "iss": .string(iss), "sub": .string(sub), "jti": .string(jti),
                                 "nbf": .number(start), "exp": .number(start + lifetime)]
        return try! CompactJWS.sign(header: JSONValue.object(header).encoded(), payload: claims.encoded(), key: key, algorithm: algorithm)
    }

    func tokenRequest(assertion: String?, clientId: String = TestTenant.clientId, scope: String = "https://graph.microsoft.com/.default", tenant: String? = nil) async -> SimResponse {
        var form = ["grant_type": "client_credentials", "client_id": clientId, "scope": scope,
                    "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"]
        if let assertion { form["client_assertion"] = assertion }
        let body = form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.value)" }.joined(separator: "&")
        return await sim.handle(SimRequest(method: "POST", target: "/\(tenant ?? sim.tenantId)/oauth2/v2.0/token",
                                           headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Data(body.utf8), baseURL: Self.baseURL))
    }

    func token() async throws -> String {
        let r = await tokenRequest(assertion: assertion())
        guard let t = r.json?["access_token"]?.stringValue else { throw TestFailure("no token: \(String(decoding: r.body, as: UTF8.self))") }
        return t
    }

    /// A Graph call with a fresh or given token; `path` starts after `/v1.0`.
    func graph(_ method: String = "GET", _ path: String, body: JSONValue? = nil, token: String? = nil, headers: [String: String] = [:]) async throws -> SimResponse {
        let bearer: String
        if let token { bearer = token } else { bearer = try await self.token() }
        var h = headers
        h["Authorization"] = "Bearer \(bearer)"
        if body != nil { h["Content-Type"] = "application/json" }
        return await sim.handle(SimRequest(method: method, target: "/v1.0\(path)", headers: h, body: body?.encoded() ?? Data(), baseURL: Self.baseURL))
    }

    /// Follows an absolute link the simulator handed out.
    func follow(_ link: String, token: String, headers: [String: String] = [:]) async -> SimResponse {
        var h = headers
        h["Authorization"] = "Bearer \(token)"
        return await sim.handle(SimRequest(method: "GET", target: String(link.dropFirst(Self.baseURL.count)), headers: h, baseURL: Self.baseURL))
    }

    /// Any user with a mailbox.
    func mailboxOwner(_ index: Int = 0) async -> String {
        let state = await sim.fullState()
        return state["users"]!.arrayValue!.filter { $0["hasMailbox"] == true && $0["deleted"] == false }[index]["id"]!.stringValue!
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

extension SimResponse {
    var errorCode: String? { json?["error"]?["code"]?.stringValue }
    var aadsts: Int? { json?["error_codes"]?.arrayValue?.first?.numberValue.map(Int.init) }
    var text: String { String(decoding: body, as: UTF8.self) }
}
