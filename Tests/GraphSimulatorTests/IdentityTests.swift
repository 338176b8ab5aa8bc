import Foundation
import GalsyncCrypto
@testable import GraphSimulator
import Testing

@Suite struct IdentityTests {
    @Test(arguments: [(SignatureAlgorithm.ps256, TestTenant.Thumbprint.sha256), (.rs256, .sha1), (.rs256, .sha1StandardBase64), (.ps256, .sha1)])
    func validAssertionGetsAnAppToken(algorithm: SignatureAlgorithm, thumbprint: TestTenant.Thumbprint) async throws {
        let t = try await TestTenant()
        let r = await t.tokenRequest(assertion: t.assertion(algorithm: algorithm, thumbprint: thumbprint))
        #expect(r.status == 200, "\(r.text)")
        #expect(r.json?["token_type"] == "Bearer")
        #expect(r.json?["expires_in"] == 3599)
        let token = try #require(r.json?["access_token"]?.stringValue)
        let claims = try #require(CompactJWS(token).flatMap { JSONValue.parse($0.payload) })
        #expect(claims["roles"] == ["User.Read.All", "GroupMember.Read.All", "Contacts.ReadWrite"])
        #expect(claims["tid"] == .string(t.sim.tenantId))
        let users = try await t.graph("GET", "/users", token: token)
        #expect(users.status == 200)
    }

    @Test func tenantMayBeNamedByDomain() async throws {
        let t = try await TestTenant()
        let aud = "\(TestTenant.baseURL)/contoso.onmicrosoft.com/oauth2/v2.0/token"
        let r = await t.tokenRequest(assertion: t.assertion(aud: aud), tenant: "contoso.onmicrosoft.com")
        #expect(r.status == 200, "\(r.text)")
    }

    @Test func signatureByAnotherKeyIsRejected700027() async throws {
        let t = try await TestTenant()
        let other = try PrivateKey.generateRSA(bits: 2048)
        let r = await t.tokenRequest(assertion: t.assertion(key: other))
        #expect(r.status == 401 && r.aadsts == 700027 && r.json?["error"] == "invalid_client")
        #expect(r.json?["error_description"]?.stringValue?.contains("signature validation") == true)
    }

    @Test func unregisteredCertificateIsRejected700027WithItsThumbprint() async throws {
        let t = try await TestTenant()
        let key = try PrivateKey.generateRSA(bits: 2048)
        let cert = try Certificate.selfSigned(key: key, subject: "CN=stranger", notAfter: Date() + 3600)
        let r = await t.tokenRequest(assertion: t.assertion(key: key, certificate: cert))
        #expect(r.aadsts == 700027)
        #expect(r.json?["error_description"]?.stringValue?.contains(Digest.hex(cert.sha256Thumbprint).uppercased()) == true)
    }

    @Test func replayedJTIIsRejected() async throws {
        let t = try await TestTenant()
        let a = t.assertion()
        #expect(await t.tokenRequest(assertion: a).status == 200)
        let again = await t.tokenRequest(assertion: a)
        #expect(again.status == 401 && again.aadsts == 50027)
        #expect(again.json?["error_description"]?.stringValue?.contains("replay") == true)
    }

    @Test func expiredAndFutureAssertionsAreRejected700024() async throws {
        let t = try await TestTenant()
        let expired = await t.tokenRequest(assertion: t.assertion(nbf: t.clock.now - 3600, lifetime: 600))
        #expect(expired.aadsts == 700024)
        let future = await t.tokenRequest(assertion: t.assertion(nbf: t.clock.now + 3600))
        #expect(future.aadsts == 700024)
        // Within the 5-minute clock skew Entra tolerates, it still passes.
        let skewed = await t.tokenRequest(assertion: t.assertion(nbf: t.clock.now + 120))
        #expect(skewed.status == 200)
    }

    @Test func unknownAppTenantScopeAndMissingAssertion() async throws {
        let t = try await TestTenant()
        #expect(await t.tokenRequest(assertion: t.assertion(), clientId: "99999999-0000-0000-0000-000000000000").aadsts == 700016)
        let tenant = await t.tokenRequest(assertion: t.assertion(), tenant: "fabrikam.onmicrosoft.com")
        #expect(tenant.status == 400 && tenant.aadsts == 90002)
        #expect(await t.tokenRequest(assertion: t.assertion(), scope: "https://graph.microsoft.com/User.Read.All").aadsts == 70011)
        #expect(await t.tokenRequest(assertion: t.assertion(), scope: "https://outlook.office.com/.default").aadsts == 70011)
        #expect(await t.tokenRequest(assertion: t.assertion(), scope: "https://graph.microsoft.com/.default https://outlook.office.com/.default").aadsts == 700022)
        #expect(tenant.json?["error"] == "invalid_request")
        let missing = await t.tokenRequest(assertion: nil)
        #expect(missing.status == 401 && missing.aadsts == 7000218)
    }

    @Test func issuerAndAudienceAreChecked() async throws {
        let t = try await TestTenant()
        #expect(await t.tokenRequest(assertion: t.assertion(iss: "someone-else", sub: "someone-else")).aadsts == 700021)
        #expect(await t.tokenRequest(assertion: t.assertion(sub: "someone-else")).aadsts == 50048)
        #expect(await t.tokenRequest(assertion: t.assertion(aud: "https://login.microsoftonline.com/x/oauth2/v2.0/token")).aadsts == 700023)
    }

    @Test func expiredCertificateIsRejected() async throws {
        let t = try await TestTenant()
        let key = try PrivateKey.generateRSA(bits: 2048)
        let old = try Certificate.selfSigned(key: key, subject: "CN=old", notBefore: Date() - 86_400 * 400, notAfter: Date() - 86_400)
        try await t.sim.addCertificate(clientId: TestTenant.clientId, old)
        let r = await t.tokenRequest(assertion: t.assertion(key: key, certificate: old))
        #expect(r.status == 401 && r.aadsts == 1000502)
        #expect(r.json?["error_description"]?.stringValue?.contains("expired") == true)
    }

    @Test func graphRejectsMissingUnknownAndExpiredTokens() async throws {
        var settings = SimulatorSettings()
        settings.tokenLifetimeSeconds = 60
        let t = try await TestTenant(settings: settings)
        let token = try await t.token()
        #expect(try await t.graph("GET", "/users", token: token).status == 200)
        t.clock.advance(61)
        let expired = try await t.graph("GET", "/users", token: token)
        #expect(expired.status == 401 && expired.errorCode == "InvalidAuthenticationToken")
        #expect(try await t.graph("GET", "/users", token: "not-a-token").status == 401)
        let none = await t.sim.handle(SimRequest(method: "GET", target: "/v1.0/users", baseURL: TestTenant.baseURL))
        #expect(none.status == 401 && none.errorCode == "InvalidAuthenticationToken")
        let counters = await t.sim.counterSnapshot()
        #expect(counters["tokensIssued"] == 1)
    }

    @Test func missingPermissionsGive403() async throws {
        let t = try await TestTenant(roles: ["User.Read.All"])
        let owner = await t.mailboxOwner()
        let contacts = try await t.graph("GET", "/users/\(owner)/contactFolders")
        #expect(contacts.status == 403 && contacts.errorCode == "ErrorAccessDenied")
        let group = try #require(await t.sim.group(named: "All Staff"))
        let members = try await t.graph("GET", "/groups/\(group.id)/transitiveMembers")
        #expect(members.status == 403 && members.errorCode == "Authorization_RequestDenied")
    }

    @Test func discoveryDocumentPointsAtTheTokenEndpoint() async throws {
        let t = try await TestTenant()
        let r = await t.sim.handle(SimRequest(method: "GET", target: "/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration", baseURL: TestTenant.baseURL))
        #expect(r.status == 200)
        #expect(r.json?["token_endpoint"] == .string(t.tokenURL))
        let unknown = await t.sim.handle(SimRequest(method: "GET", target: "/nope.example/v2.0/.well-known/openid-configuration", baseURL: TestTenant.baseURL))
        #expect(unknown.status == 400 && unknown.aadsts == 90002)
    }
}
