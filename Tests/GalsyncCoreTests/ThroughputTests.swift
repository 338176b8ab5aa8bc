import Foundation
import GalsyncConfig
@testable import GalsyncCore
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
}
