import Foundation
import GalsyncConfig
@testable import GalsyncCore
@testable import GalsyncPlan
@testable import GalsyncRun
import GraphSimulator
import SyncStore
import Testing

@Suite struct SyncEngineTests {
    @Test func initialSyncIsExactAndASecondSendsNoWritesAndNoMailboxReads() async throws {
        try await SyncHarness.with { h in
            let first = try await h.sync()
            #expect(first.created > 0 && first.mailboxesFailed == 0)
            await h.expectExact()
            await h.sim.resetCounters()
            let second = try await h.sync()
            #expect(second.created + second.updated + second.deleted == 0)
            let c = await h.counters()
            #expect(c["contactWrites"] == 0 && c["mailboxReads"] == 0)
            #expect(c["totalRequests"] == 1, "only the delta request: \(c["requests"]!)")
        }
    }

    @Test func directoryChangesSendOnlyTheMinimalWrites() async throws {
        try await SyncHarness.with { h in
            try await h.sync()
            let sources = await h.expectedSources()
            let withMobile = try #require(sources.first { $0["mobilePhone"] != .null })["id"]!.stringValue!
            let ids = sources.map { $0["id"]!.stringValue! }.filter { $0 != withMobile }
            try await h.sim.updateUser(ids[0], ["displayName": "Renamed Person", "jobTitle": "Chief Renamer"])
            try await h.sim.updateUser(withMobile, ["mobilePhone": .null])
            try await h.sim.updateUser(ids[2], ["businessPhones": ["+1 555 0100", "+1 555 0101", "+1 555 0102"]])
            _ = try await h.sim.createUser(["displayName": "New Hire", "givenName": "New", "surname": "Hire", "mail": "new.hire@contoso.com",
                                            "userPrincipalName": "new.hire@contoso.com"], hasMailbox: false)
            try await h.sim.deleteUser(ids[3])
            try await h.sim.updateUser(ids[4], ["employeeId": "changed-but-not-selected"])
            await h.sim.resetCounters()
            let s = try await h.sync()
            await h.expectExact()
            let targets = await h.expectedTargets()
            let changed = [ids[0], withMobile, ids[2]]
            #expect(s.updated == targets.reduce(0) { n, owner in n + changed.filter { $0 != owner }.count })
            #expect(s.created == targets.count, "the new hire, everywhere")
            #expect(s.deleted == targets.count, "the leaver, everywhere")
            let c = await h.counters()
            #expect(c["contactWrites"]?.numberValue.map(Int.init) == s.created + s.updated + s.deleted)
            #expect(c["mailboxReads"] == 0)
        }
    }

    @Test func groupScopeFollowsMembershipChangesOnBothSides() async throws {
        let install = try await SimulatedInstall(users: 60)
        let staff = try #require(await install.sim.group(named: "Engineering"))
        let targetGroup = try #require(await install.sim.group(named: "Sales"))
        try await install.run { url in
            var config = install.config(url)
            config.sync.state = install.dir.appendingPathComponent("s.db").path
            config.directory.includeGroups = [staff.id]
            config.mailboxes.all = false
            config.mailboxes.groups = [targetGroup.id]
            let rt = try GalsyncRuntime.make(config, environment: [:])
            let engine = SyncEngine(config: config, graph: rt.graph, store: try StateStore(path: config.sync.state))
            _ = try await engine.cycle()
            func contacts(_ owner: String) async -> Set<String> {
                Set((await install.sim.mailboxState(owner)["contacts"]?.arrayValue ?? []).compactMap { $0["extendedProperties"]?[SyncHarness.tag]?.stringValue })
            }
            let state = await install.sim.fullState()
            let users = state["users"]!.arrayValue!
            let targetOwner = try #require(targetGroup.members.first { id in users.contains { $0["id"]?.stringValue == id && $0["hasMailbox"] == true && $0["accountEnabled"] == true } })
            let engineers = staff.members.filter { id in users.contains { $0["id"]?.stringValue == id && $0["accountEnabled"] == true && $0["mail"] != .null } }
            #expect(await contacts(targetOwner) == Set(engineers))
            // One engineer leaves the group, an outsider joins; a new mailbox joins the targets.
            let outsider = try #require(users.first { u in u["accountEnabled"] == true && u["mail"] != .null && u["userType"] == "Member" && !staff.members.contains(u["id"]!.stringValue!) }?["id"]?.stringValue)
            try await install.sim.changeMembers(group: staff.id, add: [outsider], remove: [engineers[0]])
            let newTarget = try #require(users.first { u in u["hasMailbox"] == true && u["accountEnabled"] == true && !targetGroup.members.contains(u["id"]!.stringValue!) }?["id"]?.stringValue)
            try await install.sim.changeMembers(group: targetGroup.id, add: [newTarget], remove: [targetOwner])
            let changed = try await engine.cycle()
            let expected = Set(engineers.dropFirst()).union([outsider])
            #expect(await contacts(newTarget) == expected.subtracting([newTarget]))
            // The mailbox that left the targets has galsync's contacts and folder removed.
            #expect(await contacts(targetOwner).isEmpty)
            #expect(await install.sim.mailboxState(targetOwner)["folders"] == [])
            // Nothing changed: the delta and both groups' members in one batch, and nothing else.
            await install.sim.resetCounters()
            let idle = try await engine.cycle()
            #expect(idle.created + idle.updated + idle.deleted == 0)
            let c = await install.sim.counterSnapshot()
            #expect(c["totalRequests"] == 1 && c["requests"]?["POST /$batch"]?["200"] == 1, "\(c["requests"]!) after \(changed.text)")
            #expect(c["batchItems"]?["GET /users/delta"]?["200"] == 1 && c["batchItems"]?["GET /groups/{id}/transitiveMembers"]?["200"] == 2)
        }
    }

    @Test func userMadeContactsAreNeverTouchedBySyncOrPurge() async throws {
        try await SyncHarness.with { h in
            try await h.sync()
            let owner = await h.expectedTargets()[0]
            let folder = try #require(await h.sim.mailboxState(owner)["folders"]?.arrayValue?.first?["id"]?.stringValue)
            let inFolder = try await h.sim.ownerCreatesContact(mailbox: owner, folderId: folder, properties: ["displayName": "Mum", "mobilePhone": "+44 7700 900000"])
            let inDefault = try await h.sim.ownerCreatesContact(mailbox: owner, properties: ["displayName": "Plumber"],
                                                                 extendedProperties: ["String {00020329-0000-0000-c000-000000000046} Name other-tool": "x"])
            let before = await h.sim.mailboxState(owner)["contacts"]!.arrayValue!.filter { [inFolder, inDefault].contains($0["id"]?.stringValue ?? "") }
            try await h.sync { $0.forceReconcile = true }
            let rt = try GalsyncRuntime.make(h.config, environment: [:])
            _ = try await Purge(config: h.config, graph: rt.graph, store: try StateStore(path: h.statePath)).run(mailboxes: nil)
            let after = await h.sim.mailboxState(owner)["contacts"]!.arrayValue!
            #expect(after.count == 2)
            #expect(after == before, "the owner's own contacts are exactly as they were")
            // The folder still holds the owner's contact, so it stays.
            #expect(await h.sim.mailboxState(owner)["folders"]?.arrayValue?.count == 1)
        }
    }

    @Test func driftIsRepairedAtFullReconcile() async throws {
        try await SyncHarness.with { h in
            try await h.sync()
            let targets = await h.expectedTargets()
            let a = targets[0], b = targets[1], c = targets[2]
            let folderA = try #require(await h.sim.mailboxState(a)["folders"]?.arrayValue?.first?["id"]?.stringValue)
            try await h.sim.ownerDeletesFolder(mailbox: a, folderId: folderA)
            let contactsB = await h.sim.mailboxState(b)["contacts"]!.arrayValue!
            try await h.sim.ownerDeletesContact(mailbox: b, contactId: contactsB[0]["id"]!.stringValue!)
            try await h.sim.ownerEditsContact(mailbox: b, contactId: contactsB[1]["id"]!.stringValue!, properties: ["jobTitle": "Edited by owner", "displayName": "Nickname"])
            // A duplicate, as a crash between create and record would leave.
            let contactsC = await h.sim.mailboxState(c)["contacts"]!.arrayValue!
            let folderC = contactsC[0]["parentFolderId"]!.stringValue!
            try await h.sim.ownerCreatesContact(mailbox: c, folderId: folderC, properties: ["displayName": contactsC[0]["displayName"]!],
                                                extendedProperties: [SyncHarness.tag: contactsC[0]["extendedProperties"]![SyncHarness.tag]!.stringValue!])
            let s = try await h.sync { $0.forceReconcile = true }
            #expect(s.deleted == 1 && s.updated == 1)
            await h.expectExact()
        }
    }

    /// With a scoping group, the expired delta page arrives inside the batch with the group's.
    @Test(arguments: ["syncStateNotFound", "gone"], [false, true])
    func expiredDeltaGivesAnExactEndStateWithoutRecreating(mode: String, scopedByGroup: Bool) async throws {
        try await SyncHarness.with { h in
            if scopedByGroup { h.config.directory.includeGroups = [try #require(await h.sim.group(named: "All Staff")).id] }
            try await h.sync()
            let ids = await h.expectedSources().map { $0["id"]!.stringValue! }
            try await h.sim.updateUser(ids[0], ["jobTitle": "After expiry"])
            try await h.sim.deleteUser(ids[1], permanent: true)
            await h.sim.expireDeltaTokens(mode: mode)
            let s = try await h.sync()
            #expect(s.created == 0, "no delete-and-recreate")
            await h.expectExact()
        }
    }

    /// A running service reuses projections across cycles; a one-shot `sync` in between moves
    /// the snapshot past what its cache stands for, so the service must not reuse a stale one.
    @Test func theServiceCacheIsNotTrustedAfterAnotherProcessSynced() async throws {
        try await SyncHarness.with { h in
            let service = try h.service()
            _ = try await service.cycle()
            let ids = await h.expectedSources().map { $0["id"]!.stringValue! }
            try await h.sim.updateUser(ids[0], ["jobTitle": "Changed between the service's cycles"])
            try await h.sync()  // the one-shot run: its own cache, the same snapshot
            let s = try await service.cycle()
            #expect(s.updated == 0, "nothing is put back to the service's older projection")
            await h.expectExact()
            // And reused when it does stand for the snapshot: a change is still picked up.
            try await h.sim.updateUser(ids[1], ["jobTitle": "Changed again"])
            let next = try await service.cycle()
            #expect(next.updated > 0)
            await h.expectExact()
        }
    }

    @Test(arguments: ["include_groups", "mailboxes.groups"])
    func aMistypedGroupIdStopsTheCycleBeforeAnyWrite(setting: String) async throws {
        try await SyncHarness.with { h in
            try await h.sync()
            let typo = "00000000-0000-0000-0000-00000000beef"
            if setting == "include_groups" { h.config.directory.includeGroups = [typo] } else { h.config.mailboxes.groups = [typo] }
            let before = await h.counters()["contactWrites"]
            await #expect { try await h.sync() } throws: { error in
                guard case SyncError.groupNotFound(let id) = error else { return false }
                return id == typo && "\(error)".contains("check [directory] and [mailboxes] group ids")
            }
            #expect(await h.counters()["contactWrites"] == before)
        }
    }

    /// The service runs every cycle on one runtime: a cycle counts its own token requests,
    /// not every one since the process started.
    @Test func eachCycleCountsItsOwnRequestsTokenIncluded() async throws {
        try await SyncHarness.with { h in
            let rt = try GalsyncRuntime.make(h.config, environment: [:])
            let first = try #require(await CycleRunner(runtime: rt).run(SyncEngine.Options()).summary)
            await h.sim.resetCounters()
            let second = try #require(await CycleRunner(runtime: rt).run(SyncEngine.Options()).summary)
            let c = await h.counters()
            #expect(c["tokenRequests"] == 0 && c["totalRequests"] == 1, "the token is cached; the delta alone: \(c["requests"]!)")
            #expect(second.requests == 1, "\(second.requests) requests reported for an idle cycle")
            #expect(first.requests > 1)
        }
    }

    /// A running service plans a mailbox that held all of last cycle's contacts from the
    /// changed users alone; the end state stays exact and a full plan agrees with it.
    @Test func aServicePlansFromTheChangesAndStaysExact() async throws {
        try await SyncHarness.with(users: 30) { h in
            let staff = try #require(await h.sim.group(named: "All Staff"))
            h.config.directory.includeGroups = [staff.id]
            let service = try h.service()
            let first = try await service.cycle()
            #expect(first.plannedFromChanges == 0 && first.created > 0, "a first cycle plans in full")
            let idle = try await service.cycle()
            #expect(idle.mailboxesOK > 0 && idle.plannedFromChanges == idle.mailboxesOK)
            #expect(idle.created + idle.updated + idle.deleted == 0)
            let full = try await h.sync { $0.planOnly = true; $0.forceReconcile = true }  // another engine, every mailbox listed
            #expect(idle.unchanged == full.unchanged && full.created + full.updated + full.deleted == 0)

            // A new title, a leaver, a hire who joins the group, a member who leaves it (no record
            // change), and a target owner's own record (left out of their own mailbox only).
            try await h.makeMixedDirectoryChanges(group: staff.id)
            let changed = try await service.cycle()
            #expect(changed.plannedFromChanges > 0 && changed.mailboxesFailed == 0)
            #expect(changed.created > 0 && changed.updated > 0 && changed.deleted > 0)
            await h.expectExact()
            let after = try await service.cycle()
            let check = try await h.sync { $0.planOnly = true; $0.forceReconcile = true }
            #expect(check.created + check.updated + check.deleted == 0, "the full plan finds nothing left to do")
            #expect(after.unchanged == check.unchanged && after.plannedFromChanges == after.mailboxesOK)
        }
    }

    /// A batch answer that leaves items out (cut short by a proxy, say): the updates in it are
    /// sent again in the same cycle, not taken as done, so no mailbox is marked as holding them.
    @Test func itemsABatchAnswerLeavesOutAreSentAgain() async throws {
        try await SyncHarness.with { h in
            let service = try h.service()
            _ = try await service.cycle()
            let ids = await h.expectedSources().map { $0["id"]!.stringValue! }
            try await h.sim.updateUser(ids[0], ["jobTitle": "Answered late"])
            try await h.sim.updateUser(ids[1], ["jobTitle": "Answered later"])
            await h.sim.queueResponse(route: "POST /$batch", status: 200, body: Data(#"{"responses":[]}"#.utf8))
            let s = try await service.cycle()
            #expect(s.plannedFromChanges > 0 && s.mailboxesFailed == 0)
            await h.expectExact()
            let next = try await service.cycle()
            #expect(next.created + next.updated + next.deleted == 0)
            await h.expectExact()
        }
    }

    /// A cycle refused for a mass delete wrote nothing, though the directory moved on: the next
    /// cycle must plan every mailbox in full, not from the changes since the refused one.
    @Test func afterARefusedCycleTheServicePlansInFull() async throws {
        try await SyncHarness.with(users: 30) { h in
            let staff = try #require(await h.sim.group(named: "All Staff"))
            h.config.directory.includeGroups = [staff.id]
            let service = try h.service()
            _ = try await service.cycle()
            let members = staff.members
            try await h.sim.changeMembers(group: staff.id, add: [], remove: Array(members.dropFirst(2)))
            await #expect(throws: SyncError.self) { try await service.cycle() }
            try await h.sim.changeMembers(group: staff.id, add: Array(members.dropFirst(2).prefix(5)), remove: [])
            var allow = SyncEngine.Options()
            allow.allowMassDelete = true
            let s = try await service.cycle(allow)
            #expect(s.plannedFromChanges == 0, "planned in full after the refused cycle")
            await h.expectExact()
            let next = try await service.cycle()
            #expect(next.plannedFromChanges == next.mailboxesOK && next.created + next.updated + next.deleted == 0)
        }
    }

    @Test func aSuspiciousMassDeleteIsRefusedBeforeAnyWrite() async throws {
        try await SyncHarness.with(users: 30) { h in
            try await h.sync()
            let tiny = await h.sim.createGroup(displayName: "Typo", members: [await h.expectedSources()[0]["id"]!.stringValue!])
            h.config.directory.includeGroups = [tiny]
            await h.sim.resetCounters()
            await #expect(throws: SyncError.self) { try await h.sync() }
            #expect(await h.counters()["contactWrites"] == 0)
            let s = try await h.sync { $0.allowMassDelete = true }
            #expect(s.deleted > 0)
            await h.expectExact()
        }
    }

    @Test func planShowsTheRefusalAndAFolderRenameIsRefused() async throws {
        try await SyncHarness.with(users: 30) { h in
            try await h.sync()
            let tiny = await h.sim.createGroup(displayName: "Typo", members: [await h.expectedSources()[0]["id"]!.stringValue!])
            h.config.directory.includeGroups = [tiny]
            let plan = try await h.sync { $0.planOnly = true }
            #expect(plan.warnings.first?.contains("refuse") == true)
            h.config.directory.includeGroups = []
            h.config.sync.folder = "Colleagues"
            let error = await #expect(throws: SyncError.self) { try await h.sync() }
            #expect("\(error!)".contains("purge"))
        }
    }

    @Test func planOnAFreshHostLeavesNoStateBehind() async throws {
        try await SyncHarness.with { h in
            let rt = try GalsyncRuntime.make(h.config, environment: [:])
            var o = SyncEngine.Options()
            o.planOnly = true
            let result = await CycleRunner(runtime: rt).run(o)
            #expect(result.summary?.created ?? 0 > 0)
            #expect(!FileManager.default.fileExists(atPath: h.statePath))
            #expect(!FileManager.default.fileExists(atPath: h.statePath + ".lock"))
        }
    }

    @Test func planWritesNothingAnywhere() async throws {
        try await SyncHarness.with { h in
            try await h.sync()
            let ids = await h.expectedSources().map { $0["id"]!.stringValue! }
            try await h.sim.updateUser(ids[0], ["jobTitle": "Planned"])
            let store = try StateStore(path: h.statePath)
            let linkBefore = try store.meta("delta_link")
            await h.sim.resetCounters()
            let plan = try await h.sync { $0.planOnly = true }
            #expect(plan.updated > 0)
            #expect(plan.plans.contains { $0.samples.contains { $0.hasSuffix("(jobTitle)") } }, "names only the changed field: \(plan.plans.first?.samples ?? [])")
            #expect(await h.counters()["contactWrites"] == 0)
            #expect(try store.meta("delta_link") == linkBefore)
            // The change is still there to be synced.
            #expect(try await h.sync().updated == plan.updated)
        }
    }

    @Test func defaultContactsFolderAndExcludedFields() async throws {
        try await SyncHarness.with({ c in
            c.sync.folder = ""
            c.contact.excludeFields = ["mobilePhone"]
        }) { h in
            let owner = await h.expectedTargets()[0]
            try await h.sim.ownerCreatesContact(mailbox: owner, properties: ["displayName": "Own contact in the default folder"])
            try await h.sync()
            await h.expectExact()
            #expect(await h.sim.mailboxState(owner)["folders"] == [])
            let own = await h.sim.mailboxState(owner)["contacts"]!.arrayValue!.filter { $0["displayName"] == "Own contact in the default folder" }
            #expect(own.count == 1)
        }
    }

    /// Issue 13: `plan` speaks in the future ("would create 30,378"); `sync` in the past.
    @Test func aPlanSaysWhatWouldHappen() async throws {
        try await SyncHarness.with(users: 12) { h in
            let plan = try await h.sync { $0.planOnly = true }
            #expect(plan.created > 0)
            #expect(plan.text.hasPrefix("would create \(plan.created), update 0, delete 0; 0 unchanged"), "\(plan.text)")
            let sync = try await h.sync()
            #expect(sync.text.hasPrefix("created \(sync.created), updated 0"), "\(sync.text)")
        }
    }
}
