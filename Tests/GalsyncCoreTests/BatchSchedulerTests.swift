import Foundation
@testable import GalsyncCore
import Testing

/// The batch scheduler's effect on a whole cycle, against the simulator (its unit tests are in
/// GalsyncWriterTests).
@Suite struct BatchSchedulerTests {
    @Test func oneChangeInManyMailboxesCostsAFewRequests() async throws {
        try await SyncHarness.with(users: 60) { h in
            try await h.sync()
            let targets = await h.expectedTargets()
            let someone = try #require(await h.expectedSources().first { $0["mobilePhone"] != .null })["id"]!.stringValue!
            try await h.sim.updateUser(someone, ["mobilePhone": "+44 7700 900999"])
            await h.sim.resetCounters()
            let s = try await h.sync()
            #expect(s.updated == targets.filter { $0 != someone }.count)
            let requests = Int(await h.counters()["totalRequests"]?.numberValue ?? 0)
            #expect(requests <= 1 + (s.updated + 19) / 20, "\(requests) requests for \(s.updated) updates")
            await h.expectExact()
        }
    }
}
