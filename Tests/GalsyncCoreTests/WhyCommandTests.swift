import Foundation
@testable import GalsyncCore
import GraphSimulator
import Testing

/// `galsync why` through the binary: the help desk's "why doesn't Alice see Bob?".
@Suite(.serialized) struct WhyCommandTests {
    @Test func eachRuleHasItsVerdictAndTheHeldContactIsShown() async throws {
        try await SyncHarness.with(users: 12) { h in
            var h = h
            let config = try StateStartupTests.configure(&h, state: h.statePath)
            let noMail = try await h.sim.createUser(["displayName": .string("Nomail Person"), "userPrincipalName": .string("nomail@contoso.com"),
                                                      "accountEnabled": .bool(true)])
            #expect(try await CapturedRun.run(CrashRecoveryTests.binary, ["sync", "--config", config]).status == 0)
            let binary = CrashRecoveryTests.binary

            let out = try await CapturedRun.run(binary, ["why", "nomail@contoso.com", "--config", config])
            #expect(out.status == 0, "\(out)")
            #expect(out.stdout.hasPrefix("Nomail Person (nomail@contoso.com), object id \(noMail)\n"), "\(out.stdout)")
            #expect(out.stdout.contains("  ✗ mail is empty (require = [\"mail\"])") && out.stdout.contains("  → NOT a contact: mail is empty"), "\(out.stdout)")

            let source = await h.expectedSources()[0]
            let sourceUPN = source["userPrincipalName"]!.stringValue!
            let target = try #require(await h.expectedTargets().first { $0 != source["id"]!.stringValue! })
            let targetUPN = try #require(await h.sim.user(target)?.userPrincipalName)
            let held = try await CapturedRun.run(binary, ["why", sourceUPN, "--mailbox", targetUPN, "--config", config])
            #expect(held.stdout.contains("  → a contact in every target mailbox"), "\(held.stdout)")
            #expect(held.stdout.contains("in \(try #require(await h.sim.user(target)?.properties["displayName"]?.stringValue)) (\(targetUPN))'s mailbox"), "\(held.stdout)")
            #expect(held.stdout.contains("  → belongs in this mailbox") && held.stdout.contains("  galsync holds contact "), "\(held.stdout)")

            let json = try await CapturedRun.run(binary, ["why", sourceUPN, "--mailbox", targetUPN, "--json", "--config", config])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            #expect((object["mailbox"] as? [String: Any])?["belongs"] as? Bool == true && object["is_contact"] as? Bool == true, "\(object)")

            let unknown = try await CapturedRun.run(binary, ["why", "nobody@contoso.com", "--config", config])
            #expect(unknown.status == 64 && unknown.stderr.contains("'nobody@contoso.com' is not in galsync's state"), "\(unknown)")
        }
    }
}
