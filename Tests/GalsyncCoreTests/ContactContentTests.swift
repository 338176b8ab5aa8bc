import Foundation
import GalsyncConfig
@testable import GalsyncCore
import GalsyncJSON
import GalsyncPlan
@testable import GraphSimulator
import Testing

/// `[contact.fields]` end to end: a mapping added to an install updates each contact once and
/// then nothing; `create_only` is written once; the field catalog is Graph's.
@Suite struct ContactContentTests {
    /// The product's catalog and the simulator's CSDL-generated schema name the same writable properties.
    @Test func theFieldCatalogIsTheContactTypeOfGraphsMetadata() {
        let schema = ContactSchema.entityTypes["contact"] ?? [:]
        let writable = Set(schema.keys).subtracting(ContactSchema.readOnly).subtracting(["parentFolderId"])
        #expect(Set(ContactPropertyCatalog.kinds.keys) == writable)
        for (name, kind) in ContactPropertyCatalog.kinds {
            let type = schema[name]
            let expected: String = switch kind {
            case .text: "Edm.String"
            case .texts: "Collection(Edm.String)"
            case .emails: "Collection(graph.emailAddress)"
            case .address: "graph.physicalAddress"
            case .dateTime: "Edm.DateTimeOffset"
            case .email: "graph.emailAddress"
            }
            #expect(type == expected, "\(name)")
        }
    }

    static func contacts(_ h: SyncHarness) async -> [JSONValue] {
        var all: [JSONValue] = []
        for owner in await h.expectedTargets() {
            all += (await h.sim.mailboxState(owner))["contacts"]?.arrayValue?.filter { $0["extendedProperties"]?[SyncHarness.tag] != nil } ?? []
        }
        return all
    }

    @Test func aMappingAddedToAnInstallUpdatesEachContactOnceThenNothing() async throws {
        try await SyncHarness.with(users: 16) { h in
            let first = try await h.sync()
            #expect(first.exitStatus == .ok && first.created > 0)
            await h.sim.resetCounters()
            let unchanged = try await h.sync()
            #expect(unchanged.created + unchanged.updated + unchanged.deleted == 0, "without [contact.fields] nothing changes")

            h.config.contact.fields = [
                "nickName": ContactFieldRule(from: ["mailNickname"], fromKind: .text),
                "initials": ContactFieldRule(from: ["employeeId"], fromKind: .text),
            ]
            let mapped = try await h.sync()
            #expect(mapped.exitStatus == .ok && mapped.created == 0 && mapped.deleted == 0 && mapped.updated == first.created, "\(mapped.text)")
            for c in await Self.contacts(h) {
                let user = await h.sim.user(c["extendedProperties"]![SyncHarness.tag]!.stringValue!)?.properties ?? [:]
                #expect(c["nickName"] == user["mailNickname"] && c["initials"] == (user["employeeId"] ?? .null), "\(c)")
            }
            await h.sim.resetCounters()
            let idle = try await h.sync()
            #expect(idle.created + idle.updated + idle.deleted == 0)
            #expect(await h.counters()["contactWrites"] == 0)

            // A reconcile lists the new fields and finds every contact as it should be.
            let reconcile = try await h.sync { $0.forceReconcile = true }
            #expect(reconcile.updated == 0, "\(reconcile.text)")
        }
    }

    @Test func aCreateOnlyFieldIsWrittenOnceAndNeverAfter() async throws {
        try await SyncHarness.with(users: 12) { h in
            h.config.contact.fields = ["nickName": ContactFieldRule(from: ["mailNickname"], fromKind: .text, policy: .createOnly)]
            let first = try await h.sync()
            #expect(first.exitStatus == .ok && first.created > 0)
            let someone = try #require(await Self.contacts(h).first?["extendedProperties"]?[SyncHarness.tag]?.stringValue)
            let nick = try #require(await h.sim.user(someone)?.properties["mailNickname"])
            #expect(await Self.contacts(h).filter { $0["extendedProperties"]?[SyncHarness.tag]?.stringValue == someone }.allSatisfy { $0["nickName"] == nick })

            try await h.sim.updateUser(someone, ["mailNickname": "renamed", "jobTitle": "Chief Renamer"])
            let changed = try await h.sync()
            let copies = await Self.contacts(h).filter { $0["extendedProperties"]?[SyncHarness.tag]?.stringValue == someone }
            #expect(changed.updated == copies.count, "the jobTitle change updates each copy")
            #expect(copies.allSatisfy { $0["nickName"] == nick && $0["jobTitle"] == "Chief Renamer" }, "the nickName stays as created")
            let reconcile = try await h.sync { $0.forceReconcile = true }
            #expect(reconcile.updated == 0, "a reconcile does not see a create_only field as a difference")
        }
    }
}
