import Foundation
import GalsyncConfig
@testable import GalsyncCore
import GalsyncJSON
import GraphSimulator
import SyncStore
import Testing

/// `honor_hidden` against a simulator that behaves as Graph is documented and reported to:
/// `/users/delta` never returns `showInAddressList` nor reports its change, and the filter on
/// it works only as an advanced query. The seeded tenant hides every 50th member from the 27th.
@Suite struct HonorHiddenTests {
    static func hidden(_ h: SyncHarness) async -> [String] {
        await h.sim.fullState()["users"]!.arrayValue!.filter { $0["showInAddressList"] == false && $0["deleted"] == false }.map { $0["id"]!.stringValue! }
    }

    @Test func hiddenUsersAreNotContactsAndHidingLaterRemovesThemWithoutADeltaEntry() async throws {
        try await SyncHarness.with(users: 120, { $0.mailboxes.all = true }) { h in
            let seeded = await Self.hidden(h)
            #expect(seeded.count >= 2, "the seeded tenant hides some members")
            let first = try await h.sync()
            #expect(first.mailboxesFailed == 0)
            await h.expectExact()  // the harness leaves out showInAddressList == false, from the contract
            await h.sim.resetCounters()
            let idle = try await h.sync()
            #expect(idle.created + idle.updated + idle.deleted == 0)
            let c = await h.counters()
            #expect(c["totalRequests"] == 1, "the hidden set rides in the delta's batch: \(c["requests"]!)")

            // Hiding someone makes no delta entry; the next cycle's hidden read still removes them.
            let someone = try #require(await h.expectedSources().first?["id"]?.stringValue)
            try await h.sim.updateUser(someone, ["showInAddressList": false])
            let hid = try await h.sync()
            #expect(hid.deleted > 0 && hid.created == 0)
            await h.expectExact()
            // Shown again (null is "treated as true"): back in every folder.
            try await h.sim.updateUser(someone, ["showInAddressList": .null])
            let shown = try await h.sync()
            #expect(shown.created == hid.deleted && shown.deleted == 0)
            await h.expectExact()
        }
    }

    @Test func offTheHiddenAreContactsAsBefore() async throws {
        try await SyncHarness.with(users: 120, { $0.mailboxes.all = true; $0.directory.honorHidden = false }) { h in
            try await h.sync()
            await h.expectExact()
            await h.sim.resetCounters()
            try await h.sync()
            let c = await h.counters()
            #expect(c["totalRequests"] == 1 && c["requests"]?["GET /users/delta"] != nil, "off, the delta goes alone as before: \(c["requests"]!)")
        }
    }

    @Test func aRefusedQueryKeepsTheLastSetAndSaysSoOnce() async throws {
        try await SyncHarness.with(users: 120, { $0.mailboxes.all = true }) { h in
            try await h.sync()
            let refusal = Data(#"{"error":{"code":"Request_UnsupportedQuery","message":"Unsupported or invalid query filter clause specified for property 'showInAddressList' of resource 'User'."}}"#.utf8)
            // Two cycles refused: in the batch, then alone (as a page that failed in a batch is read again).
            for _ in 0..<4 { await h.sim.queueResponse(route: "GET /users", status: 400, body: refusal) }
            let someone = try #require(await h.expectedSources().first?["id"]?.stringValue)
            try await h.sim.updateUser(someone, ["showInAddressList": false])
            let refused = try await h.sync()
            #expect(refused.warnings.contains { $0.contains("honor_hidden keeps the last set") }, "\(refused.warnings)")
            #expect(refused.deleted == 0, "the last set stands: the newly hidden user is not removed yet")
            // Not asked again until the next full reconcile: the idle cycle is one request.
            await h.sim.resetCounters()
            let again = try await h.sync()
            #expect(!again.warnings.contains { $0.contains("honor_hidden") } && again.deleted == 0, "said once: \(again.warnings)")
            #expect(await h.counters()["totalRequests"] == 1, "the refused query is not repeated every cycle")
            h.config.sync.fullReconcile = 0  // the next full reconcile is due: asked again, answered
            await h.sim.clearCannedResponses()
            let answered = try await h.sync()
            #expect(answered.deleted > 0)
            await h.expectExact()
        }
    }

    @Test func whySaysAUserIsHidden() async throws {
        try await SyncHarness.with(users: 120, { $0.mailboxes.all = true }) { h in
            try await h.sync()
            let hidden = try #require(await Self.hidden(h).first)
            let why = try WhyReport(user: hidden, mailbox: nil, config: h.config, store: StateStore(path: h.statePath, readOnly: true))
            #expect(why.text.contains("✗ hidden from the address list"), "\(why.text)")
        }
    }
}
