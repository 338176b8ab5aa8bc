import Foundation
@testable import GalsyncCore
@testable import GalsyncSources
@testable import GalsyncPlan
import GraphClient
import GraphSimulator
import Testing

/// Paged reads side by side: one `$batch` per round while two or more reads are unfinished,
/// the same pages as plain reads, and a page that fails in the batch fetched again alone.
@Suite struct PagedReadsTests {
    /// Reads `starts` with `PagedReads` and returns every read's ids, in page order.
    static func read(_ graph: GraphAPI, _ starts: [String]) async throws -> [[String]] {
        var ids = starts.map { _ in [String]() }
        try await PagedReads(graph: graph, retry: RetryPolicy()).run(starts) { i, result in
            let page = try result.get()
            ids[i] += (page["value"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
            return page["@odata.nextLink"]?.stringValue
        }
        return ids
    }

    /// Two reads: every user in pages of 5, and a group's members in pages of 2 (more pages).
    static func starts(_ sim: GraphSimulator) async throws -> (starts: [String], group: SimGroup) {
        let group = try #require(await sim.group(named: "All Staff"))
        return (["/users?$select=id&$top=5", "/groups/\(group.id)/transitiveMembers?$select=id&$top=2"], group)
    }

    @Test func readsSideBySideInOneBatchPerRoundAndGetTheSamePagesAsPlainReads() async throws {
        try await SyncHarness.with { h in
            let graph = try GalsyncRuntime.make(h.config, environment: [:]).graph
            let (starts, group) = try await Self.starts(h.sim)
            var plain: [[String]] = []
            for start in starts { plain += try await Self.read(graph, [start]) }
            let userPages = (plain[0].count + 4) / 5, memberPages = (plain[1].count + 1) / 2
            let users = await h.sim.fullState()["users"]?.arrayValue?.count ?? 0
            #expect(plain[0].count == users && plain[1].count == group.members.count && memberPages > userPages, "\(plain[0].count) users, \(plain[1].count) of \(group.members.count) members")

            await h.sim.resetCounters()
            let before = graph.metrics.requests
            let together = try await Self.read(graph, starts)
            #expect(together == plain)
            let c = await h.counters()
            // While both run: one batch per round; then the group's last pages go alone.
            #expect(graph.metrics.requests - before == memberPages, "\(c["requests"]!) \(c["batchItems"]!)")
            #expect(c["requests"]?["POST /$batch"]?["200"]?.numberValue == Double(userPages))
            #expect(c["requests"]?["GET /groups/{id}/transitiveMembers"]?["200"]?.numberValue == Double(memberPages - userPages))
        }
    }

    @Test func aPageThatFailsInTheBatchIsFetchedAgainAlone() async throws {
        try await SyncHarness.with { h in
            let graph = try GalsyncRuntime.make(h.config, environment: [:]).graph
            let (starts, _) = try await Self.starts(h.sim)
            let plain = try await Self.read(graph, starts)
            await h.sim.resetCounters()
            await h.sim.queueResponse(route: "GET /groups/{id}/transitiveMembers", status: 503,
                                      body: Data(#"{"error":{"code":"serviceNotAvailable","message":"try later"}}"#.utf8), headers: ["Retry-After": "0"])
            await h.sim.queueResponse(route: "GET /users", status: 429,
                                      body: Data(#"{"error":{"code":"TooManyRequests","message":"slow down"}}"#.utf8), headers: ["Retry-After": "1"])
            let clock = ContinuousClock(), start = clock.now
            #expect(try await Self.read(graph, starts) == plain)
            #expect(clock.now - start >= .seconds(1), "the throttled page waited for its Retry-After before going alone")
            let c = await h.counters()
            #expect(c["batchItems"]?["GET /groups/{id}/transitiveMembers"]?["503"] == 1)
            #expect(c["batchItems"]?["GET /users"]?["429"] == 1)
            // Each failed page once more on its own, answered 200 (only the first page failed).
            #expect(c["requests"]?["GET /users"]?["200"] == 1)
            #expect((c["requests"]?["GET /groups/{id}/transitiveMembers"]?["200"]?.numberValue ?? 0) >= 1)
        }
    }

    @Test func aBatchRefusedAsAWholeFallsBackToPlainReads() async throws {
        try await SyncHarness.with { h in
            let graph = try GalsyncRuntime.make(h.config, environment: [:]).graph
            let (starts, _) = try await Self.starts(h.sim)
            let plain = try await Self.read(graph, starts)
            // A Graph (or proxy) that does not take GETs in a batch: the round is read plainly.
            await h.sim.queueResponse(route: "POST /$batch", status: 400,
                                      body: Data(#"{"error":{"code":"BadRequest","message":"GET is not supported in a batch here"}}"#.utf8))
            await h.sim.resetCounters()
            #expect(try await Self.read(graph, starts) == plain)
            let c = await h.counters()
            #expect(c["requests"]?["POST /$batch"]?["400"] == 1)
            #expect(c["requests"]?["GET /users"]?["200"] == 1, "the refused round's first page, read alone")
        }
    }

    @Test func aBatchThatStaysThrottledFailsTheReadInsteadOfFanningOut() async throws {
        try await SyncHarness.with { h in
            let graph = try GalsyncRuntime.make(h.config, environment: [:]).graph
            let (starts, _) = try await Self.starts(h.sim)
            let retry = RetryPolicy()
            for _ in 0..<retry.attempts {
                await h.sim.queueResponse(route: "POST /$batch", status: 429, body: Data(#"{"error":{"code":"TooManyRequests","message":"slow down"}}"#.utf8),
                                          headers: ["Content-Type": "application/json", "Retry-After": "0"])
            }
            await h.sim.resetCounters()
            await #expect { _ = try await Self.read(graph, starts) } throws: { ($0 as? GraphError)?.status == 429 }
            let c = await h.counters()
            #expect(c["requests"]?["POST /$batch"]?["429"]?.numberValue == Double(retry.attempts))
            #expect(c["totalRequests"]?.numberValue == Double(retry.attempts), "no page was then read on its own: \(c["requests"]!)")
        }
    }

    @Test func aLinkToAnotherHostIsNeitherBatchedNorFollowed() async throws {
        try await SyncHarness.with { h in
            let graph = try GalsyncRuntime.make(h.config, environment: [:]).graph
            #expect(graph.batchPath("https://attacker.example/v1.0/users?$top=1") == nil)
            #expect(graph.batchPath(h.url + "/v1.0/users/delta?$deltatoken=a%2Fb") == "/users/delta?$deltatoken=a%2Fb")
            #expect(graph.batchPath(h.url + "/beta/users") == nil, "another version is not sent as a v1.0 item")
            await #expect(throws: GraphLinkError.self) {
                _ = try await Self.read(graph, ["/users?$select=id&$top=30", "https://attacker.example/v1.0/users"])
            }
        }
    }
}
