import Foundation
import GalsyncConfig
@testable import GalsyncCore
@testable import GalsyncWriter
import GraphSimulator
import SyncStore
import Testing

@Suite struct ThroughputTests {
    @Test func perMailboxConcurrencyNeverExceedsTheLimit() async throws {
        try await SyncHarness.with(users: 30) { h in
            h.config.sync.concurrency = 64
            _ = try await h.sim.updateSettings(["latencyMs": 3])
            let s = try await h.sync()
            #expect(s.throttled == 0)
            let highest = await h.counters()["highestConcurrency"]?.objectValue ?? [:]
            #expect(!highest.isEmpty)
            #expect(highest.values.allSatisfy { ($0.numberValue ?? 99) <= 4 }, "\(highest)")
            #expect(highest.values.contains { $0 == 4 }, "batches do run 4 items at once")
            await h.expectExact()
        }
    }

    @Test func throttledItemsAreRetriedAloneAfterRetryAfter() async throws {
        try await SyncHarness.with(users: 12) { h in
            // 25 requests per 2 s per mailbox: a first cycle of ~13 creates per mailbox plus reads must wait.
            _ = try await h.sim.updateSettings(["mailboxRequests": 8, "mailboxWindowSeconds": 2])
            let clock = ContinuousClock()
            let start = clock.now
            let s = try await h.sync()
            let elapsed = clock.now - start
            #expect(s.throttled > 0)
            #expect(elapsed >= .seconds(1), "the Retry-After was waited for")
            let c = await h.counters()
            let items = c["batchItems"]?["POST /users/{id}/contactFolders/{id}/contacts"]?.objectValue ?? [:]
            let created = Int(items["201"]?.numberValue ?? 0), throttled = Int(items["429"]?.numberValue ?? 0)
            #expect(throttled > 0)
            // Under heavy load a batch answer can be lost after Graph carried it out: those creates
            // stay intents and are adopted, so the simulator may count more than the summary.
            #expect(created >= s.created)
            #expect(s.mailboxesFailed == 0)
            await h.expectExact()
        }
    }

    @Test func mailboxesArePacedAtTheRateLearnedFromTheFirstRefusal() async throws {
        try await SyncHarness.with(users: 40) { h in
            // ~35 creates per mailbox against 12 requests per 2 s: four windows' worth each.
            _ = try await h.sim.updateSettings(["mailboxRequests": 12, "mailboxWindowSeconds": 2])
            let s = try await h.sync()
            let c = await h.counters()
            let items = c["batchItems"]?["POST /users/{id}/contactFolders/{id}/contacts"]?.objectValue ?? [:]
            let created = Int(items["201"]?.numberValue ?? 0), refused = Int(items["429"]?.numberValue ?? 0)
            let mailboxes = await h.expectedTargets().count
            print("pacing: \(created) created, \(refused) refused in \(mailboxes) mailboxes")
            // Sending until refused costs a refused batch per mailbox per window (~3 × 20 each);
            // paced, most mailboxes are refused at most once, by at most one batch.
            #expect(refused > 0, "the limit was reached, so something was learned")
            #expect(refused <= mailboxes * 12, "\(refused) refused items for \(mailboxes) mailboxes")
            #expect(s.mailboxesFailed == 0)
            await h.expectExact()
        }
    }

    @Test func theThrottleBudgetEndsACycleThatGraphKeepsRefusing() async throws {
        try await SyncHarness.with(users: 12) { h in
            // Every create is answered 429 (Retry-After 0) until the canned answers run out.
            let refusal = Data(#"{"error":{"code":"ApplicationThrottled","message":"Application is over its MailboxRequestRate limit."}}"#.utf8)
            for _ in 0..<2000 {
                await h.sim.queueResponse(route: "POST /users/{id}/contactFolders/{id}/contacts", status: 429, body: refusal,
                                          headers: ["Content-Type": "application/json", "Retry-After": "0"])
            }
            let s = try await h.sync()
            #expect(s.created == 0)
            #expect(s.mailboxesOK == 0 && s.mailboxesFailed > 0, "every mailbox gave up for this cycle")
            let failures = s.problems.values.filter { !$0.hasPrefix("skipped") }
            #expect(failures.count == s.mailboxesFailed)
            #expect(failures.allSatisfy { $0.contains("still throttled after \(BatchWriter.maxThrottled)") }, "\(failures.first ?? "")")
            let refused = Int(await h.counters()["batchItems"]?["POST /users/{id}/contactFolders/{id}/contacts"]?["429"]?.numberValue ?? 0)
            #expect(refused < 2000, "the cycle stopped before the refusals ran out")
            await h.sim.clearCannedResponses()
            _ = try await h.sync()
            await h.expectExact()
        }
    }

    @Test func oneMailboxFailingDoesNotStopTheOthers() async throws {
        try await SyncHarness.with(users: 20) { h in
            let targets = await h.expectedTargets()
            let everyone = await h.sim.allUserIds
            try await h.sim.setMailboxScope(clientId: SimulatedInstall.clientId, everyone.filter { $0 != targets[0] })
            let s = try await h.sync()
            #expect(s.mailboxesFailed == 1)
            #expect(s.problems[targets[0]]?.contains("ErrorAccessDenied") == true)
            #expect(s.mailboxesOK == targets.count - 1)
            try await h.sim.setMailboxScope(clientId: SimulatedInstall.clientId, nil)
            try await h.sync()
            await h.expectExact()
        }
    }

    @Test func cancellationStopsCleanlyAndTheNextCycleIsExact() async throws {
        try await SyncHarness.with(users: 24) { h in
            _ = try await h.sim.updateSettings(["latencyMs": 5])
            let (engine, store) = try h.engine()
            let cycle = Task { try await engine.cycle() }
            while (await h.counters()["contactWrites"]?.numberValue ?? 0) < 40 { try await Task.sleep(for: .milliseconds(2)) }
            cycle.cancel()
            let result = await cycle.result
            #expect(throws: CancellationError.self) { try result.get() }
            #expect(try store.integrityCheck() == "ok")
            _ = try await h.sim.updateSettings(["latencyMs": 0])
            try await h.sync()
            await h.expectExact()
        }
    }

    /// At Graph-like latency every mailbox with work has its batch in flight at once (the
    /// default configuration), instead of a small fixed number of batches.
    @Test func everyMailboxWithWorkHasABatchInFlight() async throws {
        try await SyncHarness.with(users: 30) { h in
            _ = try await h.sim.updateSettings(["itemLatencyMs": 60])
            let s = try await h.sync()
            let mailboxes = await h.expectedTargets().count
            let highest = Int(await h.counters()["highestBatchesInFlight"]?.numberValue ?? 0)
            #expect(s.throttled == 0)
            #expect(mailboxes >= 20)
            #expect(highest >= mailboxes * 3 / 4, "at most \(highest) batches were in flight for \(mailboxes) mailboxes with work")
            let perMailbox = await h.counters()["highestConcurrency"]?.objectValue ?? [:]
            #expect(perMailbox.values.allSatisfy { ($0.numberValue ?? 99) <= 4 }, "\(perMailbox)")
            await h.expectExact()
        }
    }
}
