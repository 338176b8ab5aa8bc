import Foundation
@testable import GalsyncCore
import GalsyncJSON
import GraphSimulator
import InMemoryLogging
import Logging
import SyncStore
import Testing

/// Issue 13: mailboxes and users are named for people (UPN, display name) in what sync, plan
/// and the mass-delete refusal say; `--json` carries both id and UPN. Names come from the
/// state, not from extra Graph requests.
@Suite struct PeopleNotGUIDsTests {
    @Test func aFailedMailboxIsNamedByUPNInTextAndJSON() async throws {
        try await SyncHarness.with(users: 12) { h in
            let targets = await h.expectedTargets()
            let everyone = await h.sim.allUserIds
            try await h.sim.setMailboxScope(clientId: SimulatedInstall.clientId, everyone.filter { $0 != targets[0] })
            let s = try await h.sync()
            let upn = try #require(await h.sim.user(targets[0])?.userPrincipalName)
            #expect(s.text.contains("  \(upn): failed: ") && !s.text.contains(targets[0] + ":"), "\(s.text)")
            let entry = s.json["mailbox_problems"]?.arrayValue?.first
            #expect(entry?["id"]?.stringValue == targets[0] && entry?["upn"]?.stringValue == upn, "\(s.json)")
        }
    }

    /// Info level names the mailboxes written to, the first 20, and counts the rest: one
    /// change that reaches every mailbox of a large tenant is not a journal line per mailbox.
    @Test func infoNamesTwentyMailboxesAndCountsTheRest() async throws {
        try await SyncHarness.with(users: 40) { h in
            try await h.sync()
            let source = await h.expectedSources()[0]["id"]!.stringValue!
            try await h.sim.updateUser(source, ["jobTitle": "Night Owl"])
            let handler = InMemoryLogHandler()
            var logger = Logger(label: "test", factory: { _ in handler })
            logger.logLevel = .info
            let rt = try GalsyncRuntime.make(h.config, environment: [:])
            let s = try await SyncEngine(config: h.config, graph: rt.graph, store: try StateStore(path: h.statePath), logger: logger).cycle()
            #expect(s.updated > 20, "the test needs more than 20 mailboxes written: \(s.text)")
            let named = handler.entries.filter { $0.level == .info && "\($0.message)".contains("@") && "\($0.message)".contains(": created ") }
            #expect(named.count == 20, "\(named.map { "\($0.message)" })")
            #expect(handler.entries.contains { "\($0.message)" == "… and \(s.updated - 20) more mailboxes written to (each at debug level)" },
                    "\(handler.entries.map { "\($0.message)" })")
        }
    }

    @Test func aLeaverInAPlanIsNamedAndTheRefusalNamesTheMailboxes() async throws {
        try await SyncHarness.with(users: 12) { h in
            try await h.sync()
            let sources = await h.expectedSources()
            let leaver = sources[0]
            let name = leaver["displayName"]!.stringValue!, upn = leaver["userPrincipalName"]!.stringValue!
            try await h.sim.deleteUser(leaver["id"]!.stringValue!)
            let plan = try await h.sync { $0.planOnly = true }
            let samples = plan.plans.flatMap(\.samples)
            #expect(samples.contains("delete \(name) (\(upn))"), "\(samples)")
            #expect(plan.text.contains("@") && plan.plans.allSatisfy { plan.text.contains(plan.handle($0.owner)) })
            #expect(plan.json["plan"]?.arrayValue?.allSatisfy { $0["upn"]?.stringValue?.contains("@") == true } == true)

            // Most of the directory leaves: the refusal says where the deletes would be.
            for u in sources.dropFirst().prefix(8) { try await h.sim.deleteUser(u["id"]!.stringValue!) }
            await #expect {
                try await h.sync()
            } throws: { error in
                let text = "\(error)"
                return text.contains("refusing to delete") && text.contains(", most in ") && text.contains("@")
            }
        }
    }
}
