import Foundation
@testable import GraphSimulator
import Testing

@Suite struct DeltaTests {
    /// Follows nextLinks to the deltaLink; returns the entries and the deltaLink.
    func round(_ t: TestTenant, start: String, token: String, pageSize: Int? = nil) async throws -> (entries: [JSONValue], deltaLink: String, pages: Int) {
        var entries: [JSONValue] = []
        var pages = 0
        let headers = pageSize.map { ["Prefer": "odata.maxpagesize=\($0)"] } ?? [:]
        var r = start.hasPrefix("http") ? await t.follow(start, token: token, headers: headers) : try await t.graph("GET", start, token: token, headers: headers)
        while true {
            pages += 1
            #expect(r.status == 200, "\(r.text)")
            entries += r.json?["value"]?.arrayValue ?? []
            if let next = r.json?["@odata.nextLink"]?.stringValue {
                #expect(r.json?["@odata.deltaLink"] == nil)
                r = await t.follow(next, token: token, headers: headers)
            } else {
                return (entries, try #require(r.json?["@odata.deltaLink"]?.stringValue), pages)
            }
        }
    }

    @Test func firstRoundPagesThroughEveryUserThenOnlyChangesFollow() async throws {
        let t = try await TestTenant(users: 45)
        let token = try await t.token()
        let first = try await round(t, start: "/users/delta?$select=displayName,mobilePhone,jobTitle", token: token, pageSize: 10)
        let all = await t.sim.allUserIds
        #expect(first.entries.count == all.count)
        #expect(first.pages == (all.count + 9) / 10)
        #expect(Set(first.entries.compactMap { $0["id"]?.stringValue }) == Set(all))
        #expect(first.entries.allSatisfy { Set($0.objectValue!.keys).isSubset(of: ["id", "displayName", "mobilePhone", "jobTitle"]) })

        // Nothing changed: an empty round.
        let idle = try await round(t, start: first.deltaLink, token: token)
        #expect(idle.entries.isEmpty)

        // A selected property, an unselected property, a new user, a soft and a permanent delete.
        let renamed = all[0], unselected = all[1], soft = all[2], hard = all[3]
        try await t.sim.updateUser(renamed, ["displayName": "Renamed Person", "mobilePhone": .null])
        try await t.sim.updateUser(unselected, ["city": "Oslo"])
        let hired = try await t.sim.createUser(["displayName": "New Hire", "mail": "new.hire@contoso.com"])
        try await t.sim.deleteUser(soft)
        try await t.sim.deleteUser(hard, permanent: true)
        let next = try await round(t, start: idle.deltaLink, token: token)
        let byId = Dictionary(uniqueKeysWithValues: next.entries.map { ($0["id"]!.stringValue!, $0) })
        #expect(Set(byId.keys) == [renamed, hired, soft, hard])
        #expect(byId[renamed]?["displayName"] == "Renamed Person")
        // A property emptied since the last round comes as null, so clients can clear it.
        #expect(byId[renamed]?["mobilePhone"] == JSONValue.null)
        #expect(byId[soft]?["@removed"]?["reason"] == "changed")
        #expect(byId[hard]?["@removed"]?["reason"] == "deleted")
        #expect(byId[hired]?["displayName"] == "New Hire")
    }

    @Test func laterRoundsOmitNeverSetProperties() async throws {
        let t = try await TestTenant(users: 5)
        let token = try await t.token()
        let first = try await round(t, start: "/users/delta?$select=displayName,jobTitle", token: token)
        let id = try await t.sim.createUser(["displayName": "No Title"])
        let next = try await round(t, start: first.deltaLink, token: token)
        let entry = try #require(next.entries.first { $0["id"] == .string(id) })
        #expect(entry["jobTitle"] == nil)
    }

    @Test func withoutSelectTheDefaultPropertiesComeBack() async throws {
        let t = try await TestTenant(users: 5)
        let token = try await t.token()
        let first = try await round(t, start: "/users/delta", token: token)
        let keys = Set(first.entries.flatMap { $0.objectValue!.keys })
        #expect(keys.isSubset(of: Set(SimUser.defaultSelect)))
        #expect(!keys.contains("department"))
    }

    @Test func returnMinimalSendsOnlyWhatChanged() async throws {
        let t = try await TestTenant(users: 5)
        let token = try await t.token()
        let first = try await round(t, start: "/users/delta?$select=displayName,jobTitle,mobilePhone", token: token)
        let id = await t.sim.allUserIds[0]
        try await t.sim.updateUser(id, ["jobTitle": "CEO"])
        let r = await t.follow(first.deltaLink, token: token, headers: ["Prefer": "return=minimal"])
        #expect(r.json?["value"] == [["id": .string(id), "jobTitle": "CEO"]])
    }

    @Test func latestTokenGivesNoDataAndStartsFromNow() async throws {
        let t = try await TestTenant(users: 10)
        let token = try await t.token()
        let latest = try await t.graph("GET", "/users/delta?$select=displayName&$deltatoken=latest", token: token)
        #expect(latest.json?["value"] == [])
        let link = try #require(latest.json?["@odata.deltaLink"]?.stringValue)
        let ids = await t.sim.allUserIds
        try await t.sim.updateUser(ids[0], ["displayName": "Changed"])
        let next = try await round(t, start: link, token: token)
        #expect(next.entries.map { $0["id"] } == [.string(ids[0])])
    }

    @Test(arguments: ["syncStateNotFound", "gone"])
    func expiredTokensDemandAFullResync(mode: String) async throws {
        let t = try await TestTenant(users: 10)
        let token = try await t.token()
        let first = try await round(t, start: "/users/delta?$select=displayName", token: token)
        await t.sim.expireDeltaTokens(mode: mode)
        let r = await t.follow(first.deltaLink, token: token)
        if mode == "gone" {
            #expect(r.status == 410)
            let location = try #require(r.headers["Location"])
            #expect(location.hasSuffix("/v1.0/users/delta?$deltatoken=&$select=displayName"))
            let again = try await round(t, start: location, token: token)
            #expect(again.entries.count == 12)
        } else {
            #expect(r.status == 400 && r.errorCode == "syncStateNotFound")
        }
    }

    @Test func tokensExpireAfterSevenDays() async throws {
        let t = try await TestTenant(users: 3)
        var token = try await t.token()
        let first = try await round(t, start: "/users/delta", token: token)
        t.clock.advance(7 * 86_400 + 1)
        token = try await t.token()
        #expect(await t.follow(first.deltaLink, token: token).errorCode == "syncStateNotFound")
    }

    @Test func unsupportedOptionsAndUnknownPropertiesAreRejected() async throws {
        let t = try await TestTenant(users: 3)
        let token = try await t.token()
        #expect(try await t.graph("GET", "/users/delta?$top=5", token: token).status == 400)
        #expect(try await t.graph("GET", "/users/delta?$select=displayName,shoeSize", token: token).status == 400)
        #expect(try await t.graph("GET", "/users/delta?$filter=displayName%20eq%20'x'", token: token).status == 400)
        #expect(try await t.graph("GET", "/users/delta?$filter=id%20ne%20'x'", token: token).status == 400)
        let many = (0..<51).map { "id eq '\($0)'" }.joined(separator: " or ").addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        #expect(try await t.graph("GET", "/users/delta?$filter=\(many)", token: token).status == 400)
        let ids = await t.sim.allUserIds
        let filtered = try await round(t, start: "/users/delta?$filter=id%20eq%20'\(ids[1])'", token: token)
        #expect(filtered.entries.map { $0["id"] } == [.string(ids[1])])
    }
}

@Suite struct DirectoryTests {
    @Test func usersListSelectsFiltersAndPages() async throws {
        let t = try await TestTenant(users: 60)
        let token = try await t.token()
        var r = try await t.graph("GET", "/users?$select=displayName,userType&$filter=userType%20eq%20'Member'&$top=25", token: token)
        var seen: [JSONValue] = []
        while true {
            #expect(r.status == 200)
            seen += r.json!["value"]!.arrayValue!
            guard let next = r.json?["@odata.nextLink"]?.stringValue else { break }
            r = await t.follow(next, token: token)
        }
        let state = await t.sim.fullState()
        let members = state["users"]!.arrayValue!.filter { $0["userType"] == "Member" && $0["deleted"] == false }
        #expect(seen.count == members.count)
        #expect(seen.allSatisfy { $0["userType"] == "Member" && $0["mail"] == nil })
    }

    @Test func userByUPNAndMissingUser() async throws {
        let t = try await TestTenant(users: 5)
        let token = try await t.token()
        let u = try #require(await t.sim.user(await t.sim.allUserIds[0]))
        let r = try await t.graph("GET", "/users/\(u.userPrincipalName.uppercased())", token: token)
        #expect(r.json?["id"] == .string(u.id))
        let missing = try await t.graph("GET", "/users/nobody@contoso.com", token: token)
        #expect(missing.status == 404 && missing.errorCode == "Request_ResourceNotFound")
        #expect(try await t.graph("GET", "/me/contacts", token: token).status == 400)
    }

    @Test func transitiveMembersIncludeNestedGroupsMembers() async throws {
        let t = try await TestTenant(users: 120)
        let token = try await t.token()
        let sales = try #require(await t.sim.group(named: "Sales"))
        let emea = try #require(await t.sim.group(named: "Sales EMEA"))
        #expect(sales.members.contains(emea.id))
        var ids: Set<String> = []
        var r = try await t.graph("GET", "/groups/\(sales.id)/transitiveMembers?$select=id,displayName&$top=5", token: token)
        while true {
            ids.formUnion(r.json!["value"]!.arrayValue!.map { $0["id"]!.stringValue! })
            guard let next = r.json?["@odata.nextLink"]?.stringValue else { break }
            r = await t.follow(next, token: token)
        }
        #expect(ids == Set(sales.members).union(emea.members))
        let direct = try await t.graph("GET", "/groups/\(sales.id)/members?$top=999", token: token)
        #expect(Set(direct.json!["value"]!.arrayValue!.map { $0["id"]!.stringValue! }) == Set(sales.members))
    }

    @Test func seedIsDeterministicAndRealistic() async throws {
        let a = TenantSeed(users: 300, seed: 9).make(), b = TenantSeed(users: 300, seed: 9).make()
        #expect(a.users == b.users && a.groups == b.groups)
        let users = a.users
        #expect(users.contains { $0.properties["userType"] == "Guest" })
        #expect(users.contains { $0.properties["accountEnabled"] == false })
        #expect(users.contains { $0.properties["mail"] == JSONValue.null })
        #expect(users.contains { !$0.hasMailbox && $0.properties["userType"] == "Member" })
        #expect(users.contains { ($0.properties["displayName"]?.stringValue ?? "").unicodeScalars.contains { !$0.isASCII } })
        #expect(users.contains { $0.properties["givenName"] == JSONValue.null })
    }
}
