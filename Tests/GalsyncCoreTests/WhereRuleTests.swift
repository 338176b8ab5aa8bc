import Foundation
import GalsyncConfig
@testable import GalsyncCore
import GalsyncJSON
import GraphSimulator
import SyncStore
import Testing

/// `[directory] where` and `[mailboxes] where` against the simulator: who ends up where, what
/// it costs, and that a rule's property is read with the directory. The seeded tenant marks
/// every 50th member as a test account (extensionAttribute1 = "TEST", employeeType "Service").
@Suite struct WhereRuleTests {
    static let testAccounts = "onPremisesExtensionAttributes/extensionAttribute1 ne 'test'"

    /// The test's own reading of that rule: string comparison without case, an absent value kept.
    static let notATestAccount: @Sendable (JSONValue) -> Bool = { u in
        u["onPremisesExtensionAttributes"]?["extensionAttribute1"]?.stringValue?.lowercased() != "test"
    }

    @Test func directoryWhereLeavesOutTestAccountsAndAnIdleCycleStaysAtOneRequest() async throws {
        try await SyncHarness.with(users: 120, { $0.mailboxes.all = true; $0.directory.where = try! WhereRule(Self.testAccounts) }) { h in
            h.keepSource = Self.notATestAccount
            let state = await h.sim.fullState()
            let marked = state["users"]!.arrayValue!.filter { !Self.notATestAccount($0) && $0["mail"]?.stringValue != nil }
            #expect(marked.count >= 2, "the seeded tenant has test accounts with mail")
            let first = try await h.sync()
            #expect(first.mailboxesFailed == 0)
            await h.expectExact()
            let store = try StateStore(path: h.statePath, readOnly: true)
            #expect(try store.meta("delta_select")?.hasSuffix(",accountEnabled,onPremisesExtensionAttributes") == true)
            await h.sim.resetCounters()
            let second = try await h.sync()
            #expect(second.created + second.updated + second.deleted == 0)
            #expect(await h.counters()["totalRequests"] == 1, "the rule costs no request of its own")
        }
    }

    @Test func aNewRuleReadsTheDirectoryOnceMoreAndAChangedAttributeMovesAUserOut() async throws {
        try await SyncHarness.with(users: 120, { $0.mailboxes.all = true }) { h in
            try await h.sync()
            await h.expectExact()
            // The operator adds the rule: the saved select lacks its property, so the next cycle
            // enumerates the directory again (one full read) and deletes the test accounts' contacts.
            h.config.directory.where = try WhereRule(Self.testAccounts)
            h.keepSource = Self.notATestAccount
            let added = try await h.sync { $0.allowMassDelete = true }
            #expect(added.deleted > 0 && added.created == 0 && added.updated == 0)
            // Exact now means every marked user's attribute was read, though none of them changed.
            await h.expectExact()

            // A user marked later leaves everyone's folder; one unmarked comes back.
            let sources = await h.expectedSources().map { $0["id"]!.stringValue! }
            try await h.sim.updateUser(sources[0], ["onPremisesExtensionAttributes": SimUser.extensionAttributes([1: "Test"])])
            let moved = try await h.sync()
            #expect(moved.deleted > 0 && moved.created == 0)
            await h.expectExact()
            try await h.sim.updateUser(sources[0], ["onPremisesExtensionAttributes": SimUser.extensionAttributes([:])])
            let back = try await h.sync()
            #expect(back.created == moved.deleted && back.deleted == 0)
            await h.expectExact()
        }
    }

    @Test func mailboxesWhereNarrowsTheTargetsOnly() async throws {
        let rule = "department in ('Sales', 'Finance')"
        try await SyncHarness.with(users: 120, { $0.mailboxes.all = true; $0.mailboxes.where = try! WhereRule(rule) }) { h in
            h.keepTarget = { ["sales", "finance"].contains($0["department"]?.stringValue?.lowercased() ?? "") }
            let targets = await h.expectedTargets()
            let all = await h.sim.fullState()["users"]!.arrayValue!.filter { $0["hasMailbox"] == true && $0["deleted"] == false }
            #expect(!targets.isEmpty && targets.count < all.count / 2, "the rule keeps some owners, not all")
            let first = try await h.sync()
            #expect(first.mailboxesFailed == 0)
            await h.expectExact()
            // Owners outside the rule got nothing.
            for u in all where !targets.contains(u["id"]!.stringValue!) {
                #expect((await h.sim.mailboxState(u["id"]!.stringValue!)["contacts"]?.arrayValue ?? []).isEmpty)
            }
        }
    }

    @Test func checkCountsWhatEachRuleKeepsAndWhyShowsTheVerdict() async throws {
        try await SyncHarness.with(users: 120, { $0.mailboxes.all = true; $0.directory.where = try! WhereRule(Self.testAccounts) }) { h in
            let before = WhereCounts.fromState(h.config)
            #expect(before.lines.first?.kept == nil && before.texts.first?.contains("after the first sync") == true)
            try await h.sync()
            let users = await h.sim.fullState()["users"]!.arrayValue!.filter { $0["deleted"] == false }
            let counts = WhereCounts.fromState(h.config)
            #expect(counts.lines.count == 1)
            #expect(counts.lines.first?.kept == users.filter(Self.notATestAccount).count && counts.lines.first?.of == users.count)

            let marked = try #require(users.first { !Self.notATestAccount($0) })
            let why = try WhyReport(user: marked["id"]!.stringValue!, mailbox: nil, config: h.config, store: StateStore(path: h.statePath, readOnly: true))
            #expect(why.text.contains("✗ left out by directory.where: \(Self.testAccounts)"), "\(why.text)")
            #expect(why.text.contains("(onPremisesExtensionAttributes/extensionAttribute1 = \"TEST\")"), "the verdict shows the value it saw: \(why.text)")

            // A rule naming a property the snapshot lacks cannot be counted yet.
            var changed = h.config
            changed.directory.where = try WhereRule("employeeType eq 'Employee'")
            let pending = WhereCounts.fromState(changed)
            #expect(pending.lines.first?.kept == nil && pending.texts.first?.contains("does not hold employeeType yet") == true)
        }
    }
}
