import Foundation
import GalsyncConfig
@testable import GalsyncCore
import GraphSimulator
import SyncStore
import Testing

/// Several cycles under 503s, 504s, dropped connections, jittered latency and 429 bursts while
/// the directory keeps changing; once the faults stop, one clean cycle must leave every mailbox
/// exact, with no duplicates and the owners' own contacts untouched.
@Suite struct FaultSoakTests {
    @Test func convergesExactlyAfterFaults() async throws {
        try await SyncHarness.with(users: 24, seed: 9) { h in
            let owner = await h.expectedTargets()[0]
            let own = try await h.sim.ownerCreatesContact(mailbox: owner, properties: ["displayName": "The owner's own"])
            _ = try await h.sim.updateSettings(["rate503": 0.05, "rate504": 0.02, "rateDrop": 0.02, "latencyMs": 1, "jitterMs": 3,
                                                "retryAfter503": 0.2, "faultSeed": 4242])
            var sources = await h.expectedSources().map { $0["id"]!.stringValue! }
            var throttled = 0
            for round in 0..<4 {
                // The directory keeps changing between cycles.
                try await h.sim.updateUser(sources[round], ["jobTitle": .string("Round \(round)")])
                _ = try await h.sim.createUser(["displayName": .string("Hire \(round)"), "mail": .string("hire\(round)@contoso.com"),
                                                "userPrincipalName": .string("hire\(round)@contoso.com")], hasMailbox: false)
                if round == 2 { try await h.sim.deleteUser(sources[10]) }
                // A burst of tight mailbox limits: 429s with Retry-After.
                _ = try await h.sim.updateSettings(["mailboxRequests": round == 1 ? 15 : 10_000, "mailboxWindowSeconds": 1])
                if round == 3 {
                    // A burst of 429s with a long Retry-After on the creates.
                    for _ in 0..<8 {
                        await h.sim.queueResponse(route: "POST /users/{id}/contactFolders/{id}/contacts", status: 429,
                                                  body: Data(#"{"error":{"code":"ApplicationThrottled","message":"Application is over its MailboxRequestRate limit."}}"#.utf8),
                                                  headers: ["Content-Type": "application/json", "Retry-After": "3"])
                    }
                }
                do { throttled += try await h.sync().throttled } catch { /* a cycle may fail outright under faults; the next one catches up */ }
                sources = await h.expectedSources().map { $0["id"]!.stringValue! }
            }
            let faults = await h.counters()["faults"]?.objectValue ?? [:]
            #expect(faults.count >= 2, "faults were injected: \(faults)")
            #expect(throttled > 0, "429s were met under faults")
            _ = try await h.sim.updateSettings(["rate503": 0, "rate504": 0, "rateDrop": 0, "latencyMs": 0, "jitterMs": 0, "mailboxRequests": 10_000])
            let last = try await h.sync()
            #expect(last.mailboxesFailed == 0, "\(last.problems)")
            await h.expectExact()
            let contacts = await h.sim.mailboxState(owner)["contacts"]?.arrayValue ?? []
            #expect(contacts.contains { $0["id"]?.stringValue == own && $0["displayName"] == "The owner's own" })
            #expect(try StateStore(path: h.statePath).integrityCheck() == "ok")
        }
    }
}
