import Foundation
import GalsyncConfig
@testable import GalsyncCore
@testable import GalsyncSources
import GalsyncJSON
import GraphSimulator
import SyncStore
import Testing

/// `exclude_mailbox_types` against the simulator: `mailboxSettings/userPurpose` read one user
/// at a time in `$batch`, cached in the state, asked again only for users the delta reports and
/// at full reconcile. The seeded tenant has enabled shared, room and equipment mailboxes.
@Suite struct MailboxTypeTests {
    static let roles = ["User.Read.All", "GroupMember.Read.All", "Contacts.ReadWrite", "MailboxSettings.Read"]

    static func purposeReads(_ c: JSONValue) -> Int {
        Int(c["batchItems"]?["GET /users/{id}/mailboxSettings/userPurpose"]?["200"]?.numberValue ?? 0)
    }

    @Test func sharedRoomAndEquipmentAreNeitherSourcesNorTargetsAndAnIdleCycleAsksNothing() async throws {
        try await SyncHarness.with(users: 200, { $0.mailboxes.all = true }) { h in
            try await h.sim.setRoles(clientId: SimulatedInstall.clientId, Self.roles)
            h.excludedPurposes = ["shared", "room", "equipment"]
            let resources = await h.sim.fullState()["users"]!.arrayValue!.filter { $0["purpose"] != "user" && $0["accountEnabled"] == true && $0["mail"] != .null }
            #expect(resources.count >= 3, "the seeded tenant has enabled resource mailboxes")
            let first = try await h.sync()
            #expect(first.mailboxesFailed == 0 && first.warnings.isEmpty, "\(first.warnings)")
            await h.expectExact()
            #expect(Self.purposeReads(await h.counters()) > 0)
            for r in resources { #expect((await h.sim.mailboxState(r["id"]!.stringValue!)["contacts"]?.arrayValue ?? []).isEmpty, "a resource mailbox got contacts") }

            await h.sim.resetCounters()
            let idle = try await h.sync()
            #expect(idle.created + idle.updated + idle.deleted == 0)
            let c = await h.counters()
            #expect(c["totalRequests"] == 1 && Self.purposeReads(c) == 0, "types come from the state: \(c["requests"]!)")

            // A mailbox converted to shared makes no delta entry; once the delta reports its owner
            // (any change), the type is read again and the owner leaves both sides.
            let sources = Set(await h.expectedSources().compactMap { $0["id"]?.stringValue })
            let someone = try #require(await h.expectedTargets().first { sources.contains($0) })
            try await h.sim.setMailboxPurpose(someone, "shared")
            try await h.sim.updateUser(someone, ["jobTitle": "Front desk"])
            await h.sim.resetCounters()
            let converted = try await h.sync()
            #expect(Self.purposeReads(await h.counters()) == 1, "only the user the delta reported is asked")
            #expect(converted.deleted > 0)
            await h.expectExact()
            #expect((await h.sim.mailboxState(someone)["contacts"]?.arrayValue ?? []).filter { $0["extendedProperties"]?[SyncHarness.tag] != nil }.isEmpty)
        }
    }

    @Test func withoutThePermissionItSaysSoOnceAndKeepsTodaysRules() async throws {
        try await SyncHarness.with(users: 200, { $0.mailboxes.all = true }) { h in
            let first = try await h.sync()
            #expect(first.warnings.contains { $0.contains("MailboxSettings.Read") }, "\(first.warnings)")
            await h.expectExact()  // no exclusion by type: today's rules
            #expect(Self.purposeReads(await h.counters()) == 0, "no request that would be refused")
            let second = try await h.sync()
            #expect(!second.warnings.contains { $0.contains("MailboxSettings.Read") }, "said once")
        }
    }

    @Test func anEmptyListTurnsItOff() async throws {
        try await SyncHarness.with(users: 200, { $0.mailboxes.all = true; $0.directory.excludeMailboxTypes = [] }) { h in
            try await h.sim.setRoles(clientId: SimulatedInstall.clientId, Self.roles)
            let first = try await h.sync()
            let reads = Self.purposeReads(await h.counters())
            #expect(first.warnings.isEmpty && reads == 0)
            await h.expectExact()
        }
    }

    @Test func whySaysWhatKindOfMailboxItIs() async throws {
        try await SyncHarness.with(users: 200, { $0.mailboxes.all = true }) { h in
            try await h.sim.setRoles(clientId: SimulatedInstall.clientId, Self.roles)
            try await h.sync()
            let shared = try #require(await h.sim.fullState()["users"]!.arrayValue!.first { $0["purpose"] == "shared" && $0["accountEnabled"] == true })
            let why = try WhyReport(user: shared["id"]!.stringValue!, mailbox: nil, config: h.config, store: StateStore(path: h.statePath, readOnly: true))
            #expect(why.text.contains("✗ a shared mailbox (exclude_mailbox_types = [\"shared\", \"room\", \"equipment\"])"), "\(why.text)")
        }
    }

    @Test(arguments: [
        (#"{"value":"Shared"}"#, "shared"), (#"{"value":{"value":"room"}}"#, "room"), (#"{"userPurpose":"equipment"}"#, "equipment"),
        (#"{"userPurpose":{"value":"linked"}}"#, "linked"), (#"{"value":"others"}"#, "others"), (#"{"value":"somethingNew"}"#, "user"), (#"{"value":"unknownFutureValue"}"#, "user"),
    ])
    func everyShapeOfTheAnswerReads(_ body: String, _ purpose: String) {
        #expect(MailboxPurposeReader.purpose(JSONValue.parse(Data(body.utf8))) == purpose)
    }
}
