import Foundation
import GalsyncCrypto
import GraphClient
import GraphSimulator
import Testing

@Suite struct TokenProviderTests {
    @Test(arguments: SignatureAlgorithm.allCases)
    func theSimulatorAcceptsOurAssertion(algorithm: SignatureAlgorithm) async throws {
        let t = try await LiveTenant()
        try await t.run { url in
            let token = try await t.provider(url, algorithm: algorithm).token()
            #expect(token.roles == ["User.Read.All", "GroupMember.Read.All", "Contacts.ReadWrite"])
            #expect(token.expiresOn > Date() + 3000)
        }
    }

    @Test func manyWorkersShareOneTokenRequest() async throws {
        let t = try await LiveTenant()
        let sim = t.sim
        try await t.run { url in
            let provider = try t.provider(url)
            let tokens = try await withThrowingTaskGroup(of: AccessToken.self) { group in
                for _ in 0..<25 { group.addTask { try await provider.token() } }
                return try await group.reduce(into: [AccessToken]()) { $0.append($1) }
            }
            #expect(Set(tokens.map(\.bearer)).count == 1)
            for _ in 0..<10 { _ = try await provider.token() }
            #expect(await provider.requestsSent == 1)
            #expect(await sim.counterSnapshot()["tokenRequests"] == 1)
        }
    }

    @Test func refreshesAheadOfExpiryAndAfterInvalidation() async throws {
        let t = try await LiveTenant()
        let clock = t.clock
        try await t.run { url in
            let provider = try t.provider(url)
            let first = try await provider.token()
            clock.advance(3000)  // 599 s left: still good
            #expect(try await provider.token() == first)
            clock.advance(300)  // 299 s left: inside the 5-minute refresh margin
            let second = try await provider.token()
            #expect(second != first)
            await provider.invalidate(second)
            let third = try await provider.token()
            #expect(third != second)
            #expect(await provider.requestsSent == 3)
        }
    }

    @Test func unregisteredCertificateExplainsTheUpload() async throws {
        let t = try await LiveTenant(register: false)
        await t.sim.registerApp(clientId: LiveTenant.clientId, roles: [], certificates: [])
        let sha1 = Digest.hex(t.files.certificate.sha1Thumbprint).uppercased()
        try await t.run { url in
            let error = await #expect(throws: IdentityError.self) { try await t.provider(url).token() }
            #expect(error?.code == 700027 && error?.isRetryable == false)
            #expect(error?.message.contains("Upload certificate") == true)
            #expect(error?.message.contains(sha1) == true)
        }
    }

    @Test func wrongClientIdTenantAndClockAreExplained() async throws {
        let t = try await LiveTenant()
        try await t.run { url in
            let app = await #expect(throws: IdentityError.self) { try await t.provider(url, clientId: "99999999-9999-9999-9999-999999999999").token() }
            #expect(app?.code == 700016 && app?.message.contains("tenant.client_id") == true)
            let tenant = await #expect(throws: IdentityError.self) { try await t.provider(url, tenant: "fabrikam.onmicrosoft.com").token() }
            #expect(tenant?.code == 90002 && tenant?.message.contains("tenant.id") == true)
            let skewed = await #expect(throws: IdentityError.self) { try await t.provider(url, now: { Date() + 3600 }).token() }
            #expect(skewed?.code == 700024 && skewed?.message.contains("clock") == true)
        }
    }

    @Test func anUnreachableEndpointIsRetryable() async throws {
        let t = try await LiveTenant()
        defer { t.files.remove() }
        let error = await #expect(throws: IdentityError.self) { try await t.provider("http://127.0.0.1:9").token() }
        #expect(error?.isRetryable == true && error?.code == nil)
    }

    @Test func secretsNeverShowInDescriptions() async throws {
        let t = try await LiveTenant()
        let keyPEM = String(decoding: try t.files.key.pkcs8PEM(), as: UTF8.self).split(separator: "\n")[1]
        try await t.run { url in
            let provider = try t.provider(url)
            let token = try await provider.token()
            let credential = try t.files.credential()
            let assertion = try ClientAssertion(credential: credential, clientId: LiveTenant.clientId, tokenEndpoint: url, algorithm: .ps256)
            let shown = ["\(token)", String(reflecting: token), "\(assertion)", "\(credential)", "\(credential.privateKey)", String(reflecting: assertion)].joined(separator: "\n")
            #expect(!shown.contains(token.bearer))
            #expect(!shown.contains(assertion.jwt))
            #expect(!shown.contains(String(token.bearer.prefix(40))))
            #expect(!shown.contains(keyPEM))
        }
    }
}
