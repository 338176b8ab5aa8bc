import Foundation
import GalsyncConfig
@testable import GalsyncCore
@testable import GalsyncSources
import GalsyncPlan
import GalsyncJSON
import GraphSimulator
import SyncStore
import Testing

/// `include_org_contacts` against the simulator: the tenant's mail contacts (`/contacts/delta`)
/// become contacts in every target mailbox, follow edits and deletions, pass through `where`,
/// and are never targets. The harness's end state maps them from Graph's orgContact shape.
@Suite struct OrgContactTests {
    static let roles = ["User.Read.All", "GroupMember.Read.All", "Contacts.ReadWrite", "OrgContact.Read.All"]

    static func partner(_ n: Int, company: String, mail: Bool = true) -> [String: JSONValue] {
        [
            "displayName": .string("Partner \(n) (\(company))"), "givenName": "Partner", "surname": .string("No\(n)"),
            "mail": mail ? .string("partner\(n)@\(company.lowercased()).example") : .null, "companyName": .string(company), "jobTitle": "Buyer",
            "phones": [["type": "businessFax", "number": .null], ["type": "business", "number": .string("+1 206 555 010\(n)")], ["type": "mobile", "number": .null]],
            "addresses": [["street": .null, "city": .null, "state": .null, "postalCode": .null, "countryOrRegion": .null, "officeLocation": .null],
                          ["street": "1 Pier Road", "city": "Seattle", "state": "WA", "postalCode": "98101", "countryOrRegion": "United States", "officeLocation": .null]],
        ]
    }

    static func seed(_ h: SyncHarness) async -> [String] {
        var ids: [String] = []
        for (n, company) in ["Fabrikam", "Litware", "Northwind", "Fabrikam"].enumerated() { ids.append(await h.sim.createOrgContact(partner(n, company: company))) }
        ids.append(await h.sim.createOrgContact(partner(9, company: "Nomail", mail: false)))
        return ids
    }

    @Test func mailContactsBecomeContactsFollowEditsAndDeletionsAndAnIdleCycleIsOneRequest() async throws {
        try await SyncHarness.with(users: 24, { $0.mailboxes.all = true; $0.directory.includeOrgContacts = true }) { h in
            try await h.sim.setRoles(clientId: SimulatedInstall.clientId, Self.roles)
            let ids = await Self.seed(h)
            let first = try await h.sync()
            #expect(first.mailboxesFailed == 0)
            await h.expectExact()
            let targets = await h.expectedTargets()
            #expect(!targets.contains { ids.contains($0) }, "a mail contact is never a target")
            await h.sim.resetCounters()
            let idle = try await h.sync()
            #expect(idle.created + idle.updated + idle.deleted == 0)
            #expect(await h.counters()["totalRequests"] == 1, "the contacts delta rides in the same batch")

            try await h.sim.updateOrgContact(ids[0], ["jobTitle": "Head of Purchasing", "phones": [["type": "mobile", "number": "+44 7700 900123"]]])
            try await h.sim.deleteOrgContact(ids[1])
            let changed = try await h.sync()
            #expect(changed.updated == targets.count && changed.deleted == targets.count && changed.created == 0, "\(changed)")
            await h.expectExact()

            // An expired contacts deltaLink reads them all again: no duplicates, no writes.
            await h.sim.expireDeltaTokens()
            let again = try await h.sync()
            #expect(again.created + again.updated + again.deleted == 0, "\(again)")
            await h.expectExact()
        }
    }

    /// A full contacts round (expired link) that comes back empty is refused before anything
    /// is saved, as the users' is; the contacts stay in every mailbox.
    @Test func anEmptyFullRoundOfMailContactsIsRefused() async throws {
        try await SyncHarness.with(users: 24, { $0.mailboxes.all = true; $0.directory.includeOrgContacts = true }) { h in
            try await h.sim.setRoles(clientId: SimulatedInstall.clientId, Self.roles)
            _ = await Self.seed(h)
            try await h.sync()
            // The saved link is refused as expired (in the batch, then alone), and the fresh round comes back empty.
            let gone = Data(#"{"error":{"code":"resyncRequired","message":"The delta token has expired."}}"#.utf8)
            let empty = JSONValue.object(["value": [], "@odata.deltaLink": .string("\(h.url)/v1.0/contacts/delta?$deltatoken=empty")]).encoded()
            for _ in 0..<2 { await h.sim.queueResponse(route: "GET /contacts/delta", status: 410, body: gone) }
            for _ in 0..<2 { await h.sim.queueResponse(route: "GET /contacts/delta", body: empty) }
            let error = await #expect(throws: SyncError.self) { try await h.sync() }
            #expect("\(error!)".contains("known mail contacts"), "\(error!)")
            await h.sim.clearCannedResponses()
            await h.expectExact()
        }
    }

    @Test func whereAppliesToMailContactsAndTurningItOffRemovesThem() async throws {
        try await SyncHarness.with(users: 24, { $0.mailboxes.all = true; $0.directory.includeOrgContacts = true; $0.directory.where = try! WhereRule("companyName ne 'Litware'") }) { h in
            try await h.sim.setRoles(clientId: SimulatedInstall.clientId, Self.roles)
            h.keepSource = { $0["companyName"]?.stringValue?.lowercased() != "litware" }
            _ = await Self.seed(h)
            try await h.sync()
            await h.expectExact()
            h.config.directory.includeOrgContacts = false
            let off = try await h.sync()
            #expect(off.deleted > 0 && off.created == 0)
            await h.expectExact()
        }
    }

    /// A mail contact in an excluded group (a distribution list) is left out; one in a target
    /// group never becomes a target.
    @Test func groupsApplyToMailContactsWithoutMakingThemTargets() async throws {
        let install = try await SimulatedInstall(users: 24, roles: Self.roles)
        let ids = await Self.seed(SyncHarness(install: install, url: "", config: install.config("https://unused"), statePath: ""))
        let excluded = await install.sim.createGroup(displayName: "Former suppliers", members: [ids[2]])
        let targetGroup = try #require(await install.sim.group(named: "Mailbox Users"))
        try await install.sim.changeMembers(group: targetGroup.id, add: [ids[3]])
        try await install.run { url in
            var config = install.config(url)
            config.sync.state = install.dir.appendingPathComponent("s.db").path
            config.directory.includeOrgContacts = true
            config.directory.excludeGroups = [excluded]
            config.mailboxes.all = false
            config.mailboxes.groups = [targetGroup.id]
            var h = SyncHarness(install: install, url: url, config: config, statePath: config.sync.state)
            h.keepSource = { $0["id"]?.stringValue != ids[2] }
            let first = try await h.sync()
            #expect(first.mailboxesFailed == 0)
            await h.expectExact()  // the harness's targets are users with a mailbox: never ids[3]
            let holders = await h.expectedTargets()
            for owner in holders {
                let tags = (await install.sim.mailboxState(owner)["contacts"]?.arrayValue ?? []).compactMap { $0["extendedProperties"]?[SyncHarness.tag]?.stringValue }
                #expect(!tags.contains(ids[2]) && tags.contains(ids[0]))
            }
        }
    }

    @Test func withoutThePermissionTheCycleSaysWhatToGrantBeforeAnyWrite() async throws {
        try await SyncHarness.with(users: 24, { $0.mailboxes.all = true; $0.directory.includeOrgContacts = true }) { h in
            _ = await Self.seed(h)
            let error = await #expect(throws: SyncError.self) { try await h.sync() }
            #expect("\(error!)".contains("OrgContact.Read.All"), "\(error!)")
            #expect(await h.counters()["contactWrites"] == 0)
        }
    }

    @Test func phonesAndAddressesComeFromTheFirstEntriesThatHoldThem() {
        let entry = JSONValue.object(Self.partner(1, company: "Fabrikam")).objectValue!
        let u = OrgContactShape.userProperties(entry, id: "c1")
        #expect(u["businessPhones"] == ["+1 206 555 0101"] && u["mobilePhone"] == .null)
        #expect(u["streetAddress"] == "1 Pier Road" && u["country"] == "United States" && u["userType"] == "OrgContact")
        #expect(OrgContactShape.userProperties(["displayName": "Only a name"], id: "c2").keys.sorted() == ["displayName", "id", "userType"],
                "a later round's entry carries only what changed")
    }
}
