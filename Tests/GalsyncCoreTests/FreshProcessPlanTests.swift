import Foundation
import GalsyncConfig
@testable import GalsyncCore
import GraphSimulator
import SyncStore
import Testing

/// A new process (a new runtime and engine on the same state file: a one-shot `sync`, a
/// restarted service) plans from the changes as a running service does, from the desired set
/// and `mailbox.applied` the state records; its plan is the full plan's, and whatever the
/// state cannot vouch for (other settings, an expired deltaLink, a failed or unfinished
/// mailbox) is planned in full.
@Suite struct FreshProcessPlanTests {
    /// `plan`'s per-mailbox lines, comparable.
    static func lines(_ s: CycleSummary) -> [String] {
        s.plans.map { "\($0.owner): +\($0.creates) ~\($0.updates) -\($0.deletes) =\($0.unchanged) \($0.samples)" }.sorted()
    }

    @Test func aNewProcessAfterAnIdlePeriodPlansEveryMailboxFromTheChangesAndWritesNothing() async throws {
        try await SyncHarness.with { h in
            let first = try await h.sync()
            #expect(first.plannedFromChanges == 0 && first.created > 0)
            await h.sim.resetCounters()
            for cycle in 0..<2 {
                let engine = cycle == 0 ? try h.engine().0 : try h.service()  // a one-shot, then a restarted service
                let idle = try await engine.cycle()
                #expect(idle.mailboxesOK > 0 && idle.plannedFromChanges == idle.mailboxesOK, "cycle \(cycle): \(idle.plannedFromChanges) of \(idle.mailboxesOK)")
                #expect(idle.created + idle.updated + idle.deleted == 0 && idle.unchanged == first.created)
            }
            #expect(await h.counters()["contactWrites"] == 0)
            await h.expectExact()
        }
    }

    /// A new title, a leaver, a hire who joins the scoping group, a member who leaves it, and
    /// a target owner's own record: a new process's plan from the changes is the full plan
    /// (every mailbox listed), and carrying it out leaves every mailbox exact.
    @Test func afterDirectoryChangesANewProcessPlansAsAFullPlanAndEndsExact() async throws {
        try await SyncHarness.with(users: 30) { h in
            let staff = try #require(await h.sim.group(named: "All Staff"))
            h.config.directory.includeGroups = [staff.id]
            try await h.sync()
            try await h.makeMixedDirectoryChanges(group: staff.id)

            // `plan` saves no deltaLink: both plans read the same round.
            let fromChanges = try await h.sync { $0.planOnly = true }
            let full = try await h.sync { $0.planOnly = true; $0.forceReconcile = true }
            #expect(fromChanges.plannedFromChanges == fromChanges.plans.count && full.plannedFromChanges == 0)
            #expect(Self.lines(fromChanges) == Self.lines(full))
            #expect(fromChanges.created > 0 && fromChanges.updated > 0 && fromChanges.deleted > 0)

            let s = try await h.sync()
            #expect(s.plannedFromChanges == s.mailboxesOK && s.mailboxesFailed == 0)
            #expect(s.created == fromChanges.created && s.updated == fromChanges.updated && s.deleted == fromChanges.deleted)
            await h.expectExact()
            let check = try await h.sync { $0.planOnly = true; $0.forceReconcile = true }
            #expect(check.created + check.updated + check.deleted == 0, "the full plan finds nothing left to do")
        }
    }

    /// Settings that shape what a mailbox holds: the recorded set does not vouch for any mailbox.
    @Test(arguments: ["exclude_fields", "include_self"])
    func aChangedSettingFallsBackToAFullPlan(setting: String) async throws {
        try await SyncHarness.with { h in
            try await h.sync()
            if setting == "exclude_fields" { h.config.contact.excludeFields = ["mobilePhone"] } else { h.config.mailboxes.includeSelf = true }
            let s = try await h.sync()
            #expect(s.plannedFromChanges == 0 && s.mailboxesOK > 0)
            #expect(s.updated + s.created > 0, "the setting changed what the mailboxes hold")
            await h.expectExact()
            let next = try await h.sync()
            #expect(next.plannedFromChanges == next.mailboxesOK && next.created + next.updated + next.deleted == 0)
        }
    }

    @Test func anExpiredDeltaLinkFallsBackToAFullPlan() async throws {
        try await SyncHarness.with { h in
            try await h.sync()
            let ids = await h.expectedSources().map { $0["id"]!.stringValue! }
            try await h.sim.updateUser(ids[0], ["jobTitle": "After expiry"])
            await h.sim.expireDeltaTokens()
            let s = try await h.sync()
            #expect(s.plannedFromChanges == 0 && s.updated > 0)
            await h.expectExact()
            let next = try await h.sync()
            #expect(next.plannedFromChanges == next.mailboxesOK && next.created + next.updated + next.deleted == 0)
        }
    }

    /// A mailbox whose write failed is listed by the next process; the others are planned
    /// from the changes.
    @Test func aFailedMailboxFallsBackToAFullPlan() async throws {
        try await SyncHarness.with(users: 30, { $0.sync.concurrency = 4 }) { h in
            try await h.sync()
            _ = try await h.sim.createUser(["displayName": "Hana Hire", "givenName": "Hana", "surname": "Hire", "mail": "hana.hire@contoso.com",
                                            "userPrincipalName": "hana.hire@contoso.com"], hasMailbox: false)
            await h.sim.queueResponse(route: "POST /users/{id}/contactFolders/{id}/contacts", status: 400,
                                      body: Data(#"{"error":{"code":"ErrorInvalidProperty","message":"A property is invalid."}}"#.utf8))
            let failed = try await h.sync()
            #expect(failed.mailboxesFailed == 1 && failed.plannedFromChanges == failed.mailboxesOK + 1)
            let owner = try #require(failed.problems.keys.first)
            #expect(try StateStore(path: h.statePath).mailboxes()[owner]?.applied == nil)
            let s = try await h.sync()
            #expect(s.exitStatus == .ok && s.created == 1)
            #expect(s.plannedFromChanges == s.mailboxesOK - 1, "all but the failed mailbox: \(s.plannedFromChanges) of \(s.mailboxesOK)")
            await h.expectExact()
        }
    }

    /// A cycle stopped in the middle of its writes: the mailboxes it had not finished are not
    /// recorded as holding its set, so the next process plans them in full and ends exact.
    @Test(.timeLimit(.minutes(2))) func aCycleStoppedDuringItsWritesLeavesItsMailboxesToAFullPlan() async throws {
        try await SyncHarness.with(users: 30, { $0.sync.concurrency = 4 }) { h in
            try await h.sync()
            let ids = await h.expectedSources().map { $0["id"]!.stringValue! }
            for id in ids.prefix(4) { try await h.sim.updateUser(id, ["jobTitle": .string("Retitled \(id.prefix(4))")]) }
            _ = try await h.sim.updateSettings(["latencyMs": 300])
            await h.sim.resetCounters()
            let engine = try h.engine().0
            let cycle = Task { try await engine.cycle() }
            // The first `$batch` is the directory read (delta and hidden users in one); wait for
            // the simulator to have carried out a contact write, so the stop lands in the writes.
            while await (h.counters()["contactWrites"]?.numberValue ?? 0) < 1 { try await Task.sleep(for: .milliseconds(5)) }
            cycle.cancel()
            _ = await cycle.result
            _ = try await h.sim.updateSettings(["latencyMs": 0])
            #expect(await h.differences().count > 0, "stopped before every update was written")
            let s = try await h.sync()
            #expect(s.exitStatus == .ok && s.plannedFromChanges < s.mailboxesOK)
            await h.expectExact()
        }
    }
}
