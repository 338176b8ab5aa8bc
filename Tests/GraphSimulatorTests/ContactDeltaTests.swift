import Foundation
@testable import GraphSimulator
import Testing

@Suite struct ContactDeltaTests {
    /// Follows nextLinks to the deltaLink; returns the entries, the deltaLink and every link seen.
    func round(_ t: TestTenant, start: String, token: String, pageSize: Int? = nil) async throws -> (entries: [JSONValue], deltaLink: String, pages: Int, links: [String]) {
        var entries: [JSONValue] = []
        var links: [String] = []
        let headers = pageSize.map { ["Prefer": "odata.maxpagesize=\($0)"] } ?? [:]
        var r = start.hasPrefix("http") ? await t.follow(start, token: token, headers: headers) : try await t.graph("GET", start, token: token, headers: headers)
        while true {
            #expect(r.status == 200, "\(r.text)")
            #expect(r.json?["@odata.context"]?.stringValue?.hasSuffix("$metadata#Collection(contact)") == true)
            entries += r.json?["value"]?.arrayValue ?? []
            if let next = r.json?["@odata.nextLink"]?.stringValue {
                #expect(r.json?["@odata.deltaLink"] == nil)
                links.append(next)
                r = await t.follow(next, token: token, headers: headers)
            } else {
                let delta = try #require(r.json?["@odata.deltaLink"]?.stringValue)
                links.append(delta)
                return (entries, delta, links.count, links)
            }
        }
    }

    func ids(_ entries: [JSONValue]) -> [String] { entries.compactMap { $0["id"]?.stringValue } }
    func removed(_ entries: [JSONValue]) -> Set<String> { Set(entries.filter { $0["@removed"] != nil }.compactMap { $0["id"]?.stringValue }) }
    func changed(_ entries: [JSONValue]) -> Set<String> { Set(entries.filter { $0["@removed"] == nil }.compactMap { $0["id"]?.stringValue }) }

    func folder(_ t: TestTenant, _ owner: String, _ name: String, token: String) async throws -> String {
        let r = try await t.graph("POST", "/users/\(owner)/contactFolders", body: ["displayName": .string(name)], token: token)
        return try #require(r.json?["id"]?.stringValue)
    }

    func contact(_ t: TestTenant, _ owner: String, folder: String, _ name: String, token: String) async throws -> String {
        let r = try await t.graph("POST", "/users/\(owner)/contactFolders/\(folder)/contacts", body: ["displayName": .string(name)], token: token)
        #expect(r.status == 201)
        return try #require(r.json?["id"]?.stringValue)
    }

    func control(_ t: TestTenant, _ method: String, _ path: String, _ body: JSONValue = [:]) async -> SimResponse {
        await t.sim.handle(SimRequest(method: method, target: "/_sim\(path)", headers: ["Content-Type": "application/json"], body: body.encoded(), baseURL: TestTenant.baseURL))
    }

    @Test func firstRoundPagesThenEachChangeShowsOnceWhoeverMadeIt() async throws {
        let t = try await TestTenant(users: 10)
        let token = try await t.token()
        let owner = await t.mailboxOwner()
        let fid = try await folder(t, owner, "Company Directory", token: token)
        var made: [String] = []
        for i in 0..<23 { made.append(try await contact(t, owner, folder: fid, "Person \(i)", token: token)) }
        _ = try await t.graph("POST", "/users/\(owner)/contacts", body: ["displayName": "In the default folder"], token: token)

        // First round: every contact of the folder, 10 a page (Outlook's default), then a deltaLink.
        let first = try await round(t, start: "/users/\(owner)/contactFolders/\(fid)/contacts/delta", token: token)
        #expect(first.pages == 3)
        #expect(ids(first.entries).sorted() == made.sorted())
        #expect(first.entries.allSatisfy { $0["@odata.type"] == "#microsoft.graph.contact" && $0["parentFolderId"] == .string(fid) && $0["@odata.etag"] != nil })
        // Links use OData key segments, as Graph's Outlook delta links do.
        #expect(first.links.dropLast().allSatisfy { $0.hasPrefix("\(TestTenant.baseURL)/v1.0/users('\(owner)')/contactFolders('\(fid)')/contacts/delta?$skiptoken=") })
        #expect(first.deltaLink.hasPrefix("\(TestTenant.baseURL)/v1.0/users('\(owner)')/contactFolders('\(fid)')/contacts/delta?$deltatoken="))
        // Prefer: odata.maxpagesize is honoured on each request.
        #expect(try await round(t, start: "/users/\(owner)/contactFolders/\(fid)/contacts/delta", token: token, pageSize: 5).pages == 5)

        // Nothing changed: an empty round with a new deltaLink.
        let idle = try await round(t, start: first.deltaLink, token: token)
        #expect(idle.entries.isEmpty && idle.pages == 1)

        // Owner edits (twice), deletes and creates; the app's own PATCH, DELETE and photo upload.
        try await t.sim.ownerEditsContact(mailbox: owner, contactId: made[0], properties: ["displayName": "Edited once"])
        try await t.sim.ownerEditsContact(mailbox: owner, contactId: made[0], properties: ["displayName": "Edited twice"])
        try await t.sim.ownerDeletesContact(mailbox: owner, contactId: made[1])
        let ownerNew = try await t.sim.ownerCreatesContact(mailbox: owner, folderId: fid, properties: ["displayName": "Owner's own"])
        _ = try await t.sim.ownerCreatesContact(mailbox: owner, properties: ["displayName": "Elsewhere"])
        let patched = try await t.graph("PATCH", "/users/\(owner)/contactFolders/\(fid)/contacts/\(made[2])", body: ["jobTitle": "CFO"], token: token)
        #expect(patched.status == 200)
        #expect(try await t.graph("DELETE", "/users/\(owner)/contacts/\(made[3])", token: token).status == 204)
        let photo = await t.sim.handle(SimRequest(method: "PUT", target: "/v1.0/users/\(owner)/contacts/\(made[4])/photo/$value",
                                                  headers: ["Authorization": "Bearer \(token)", "Content-Type": "image/jpeg"], body: Data([0xFF, 0xD8, 0xFF]), baseURL: TestTenant.baseURL))
        #expect(photo.status == 200)
        // Created and deleted between two rounds: the client never knew it, nothing to report.
        let ephemeral = try await contact(t, owner, folder: fid, "Ephemeral", token: token)
        try await t.sim.ownerDeletesContact(mailbox: owner, contactId: ephemeral)

        let next = try await round(t, start: idle.deltaLink, token: token, pageSize: 2)
        #expect(ids(next.entries).count == Set(ids(next.entries)).count, "each contact once")
        #expect(changed(next.entries) == [made[0], made[2], made[4], ownerNew])
        #expect(removed(next.entries) == [made[1], made[3]])
        let edited = next.entries.first { $0["id"] == .string(made[0]) }
        #expect(edited?["displayName"] == "Edited twice")
        #expect(next.entries.first { $0["id"] == .string(made[2]) }?["jobTitle"] == "CFO")
        #expect(next.entries.first { $0["id"] == .string(made[1]) } == ["@odata.type": "#microsoft.graph.contact", "id": .string(made[1]), "@removed": ["reason": "deleted"]])

        // The round after that is empty again; the counters name the route.
        #expect(try await round(t, start: next.deltaLink, token: token).entries.isEmpty)
        let counters = await t.sim.counterSnapshot()
        #expect(counters["requests"]?["GET /users/{id}/contactFolders/{id}/contacts/delta"]?["200"] != nil)
    }

    @Test func aChangeDuringARoundComesInTheNextRound() async throws {
        let t = try await TestTenant(users: 10)
        let token = try await t.token()
        let owner = await t.mailboxOwner()
        let fid = try await folder(t, owner, "Directory", token: token)
        var made: [String] = []
        for i in 0..<6 { made.append(try await contact(t, owner, folder: fid, "P\(i)", token: token)) }
        let page1 = try await t.graph("GET", "/users/\(owner)/contactFolders/\(fid)/contacts/delta", token: token, headers: ["Prefer": "odata.maxpagesize=3"])
        let seen = ids(page1.json!["value"]!.arrayValue!)
        // The owner edits a contact already handed out and one not yet handed out.
        let later = try #require(made.first { !seen.contains($0) })
        try await t.sim.ownerEditsContact(mailbox: owner, contactId: seen[0], properties: ["displayName": "Changed"])
        try await t.sim.ownerEditsContact(mailbox: owner, contactId: later, properties: ["displayName": "Changed too"])
        let rest = try await round(t, start: page1.json!["@odata.nextLink"]!.stringValue!, token: token, pageSize: 3)
        // This round stays a snapshot: nothing is skipped or repeated because of the edits...
        #expect(Set(seen + ids(rest.entries)).count == seen.count + ids(rest.entries).count)
        #expect(Set(seen + ids(rest.entries)).isSubset(of: Set(made)))
        // ...and both edits come in the next round.
        let next = try await round(t, start: rest.deltaLink, token: token)
        #expect(Set(ids(next.entries)) == [seen[0], later])
    }

    @Test func aContactMovedOutOfTheFolderShowsAsRemovedThere() async throws {
        let t = try await TestTenant(users: 10)
        let token = try await t.token()
        let owner = await t.mailboxOwner()
        let fid = try await folder(t, owner, "Directory", token: token)
        let a = try await contact(t, owner, folder: fid, "A", token: token)
        let b = try await contact(t, owner, folder: fid, "B", token: token)
        let inFolder = try await round(t, start: "/users/\(owner)/contactFolders/\(fid)/contacts/delta", token: token)
        let inDefault = try await round(t, start: "/users/\(owner)/contacts/delta", token: token)
        #expect(Set(ids(inFolder.entries)) == [a, b] && inDefault.entries.isEmpty)
        #expect(inDefault.deltaLink.hasPrefix("\(TestTenant.baseURL)/v1.0/users('\(owner)')/contacts/delta?$deltatoken="))

        // The owner drags A into the default Contacts folder; the app moves B there with PATCH.
        try await t.sim.ownerEditsContact(mailbox: owner, contactId: a, properties: ["parentFolderId": "contacts"])
        _ = try await t.graph("PATCH", "/users/\(owner)/contacts/\(b)", body: ["parentFolderId": "contacts"], token: token)
        let out = try await round(t, start: inFolder.deltaLink, token: token)
        #expect(removed(out.entries) == [a, b] && changed(out.entries).isEmpty)
        let into = try await round(t, start: inDefault.deltaLink, token: token)
        #expect(changed(into.entries) == [a, b] && removed(into.entries).isEmpty)

        // Moved back: it is in the folder again, reported as a contact, not as removed.
        try await t.sim.ownerEditsContact(mailbox: owner, contactId: a, properties: ["parentFolderId": .string(fid)])
        let back = try await round(t, start: out.deltaLink, token: token)
        #expect(changed(back.entries) == [a] && removed(back.entries).isEmpty)
    }

    @Test func deltaLinksWorkAsBatchItems() async throws {
        let t = try await TestTenant(users: 10)
        let token = try await t.token()
        let owner = await t.mailboxOwner()
        let fid = try await folder(t, owner, "Directory", token: token)
        let a = try await contact(t, owner, folder: fid, "A", token: token)
        func batchGET(_ url: String) async throws -> JSONValue {
            let r = try await t.graph("POST", "/$batch", body: ["requests": [["id": "1", "method": "GET", "url": .string(url)]]], token: token)
            #expect(r.status == 200)
            return try #require(r.json?["responses"]?.arrayValue?.first)
        }
        let first = try await batchGET("/users/\(owner)/contactFolders/\(fid)/contacts/delta?$select=displayName")
        #expect(first["status"] == 200)
        #expect(ids(first["body"]!["value"]!.arrayValue!) == [a])
        let deltaLink = try #require(first["body"]?["@odata.deltaLink"]?.stringValue)
        #expect(deltaLink.hasPrefix("\(TestTenant.baseURL)/v1.0/"), "absolute, as Graph sends it")

        try await t.sim.ownerEditsContact(mailbox: owner, contactId: a, properties: ["displayName": "A edited", "jobTitle": "Boss"])
        let relative = String(deltaLink.dropFirst("\(TestTenant.baseURL)/v1.0".count))
        let next = try await batchGET(relative)
        #expect(next["status"] == 200, "\(next)")
        let entry = try #require(next["body"]?["value"]?.arrayValue?.first)
        #expect(entry["id"] == .string(a) && entry["displayName"] == "A edited" && entry["jobTitle"] == nil)
        #expect(next["body"]?["@odata.deltaLink"] != nil)
        let counters = await t.sim.counterSnapshot()
        #expect(counters["batchItems"]?["GET /users/{id}/contactFolders/{id}/contacts/delta"]?["200"] == 2)
    }

    @Test func expiredTokensAnswerSyncStateErrors() async throws {
        let t = try await TestTenant(users: 20)
        let token = try await t.token()
        let owner = await t.mailboxOwner(0)
        let other = await t.mailboxOwner(1)
        let fid = try await folder(t, owner, "Directory", token: token)
        for i in 0..<3 { _ = try await contact(t, owner, folder: fid, "P\(i)", token: token) }
        let start = "/users/\(owner)/contactFolders/\(fid)/contacts/delta"
        let done = try await round(t, start: start, token: token)
        let page1 = try await t.graph("GET", start, token: token, headers: ["Prefer": "odata.maxpagesize=1"])
        let nextLink = try #require(page1.json?["@odata.nextLink"]?.stringValue)
        let otherDone = try await round(t, start: "/users/\(other)/contacts/delta", token: token)

        // The control API expires every token of one mailbox: 410 SyncStateNotFound by default.
        #expect(await control(t, "POST", "/mailboxes/\(owner)/contactDelta/expire").status == 200)
        let gone = await t.follow(done.deltaLink, token: token)
        #expect(gone.status == 410 && gone.errorCode == "SyncStateNotFound")
        #expect(gone.headers["Location"] == nil)
        let goneSkip = await t.follow(nextLink, token: token)
        #expect(goneSkip.status == 410 && goneSkip.errorCode == "SyncStateNotFound")
        // Other mailboxes keep theirs; a new first round works.
        #expect(await t.follow(otherDone.deltaLink, token: token).status == 200)
        let fresh = try await round(t, start: start, token: token)
        #expect(fresh.entries.count == 3)

        // The other answers, chosen with the mode.
        try await t.sim.expireContactDeltaTokens(mailbox: owner, mode: "badRequest")
        let bad = await t.follow(fresh.deltaLink, token: token)
        #expect(bad.status == 400 && bad.errorCode == "SyncStateNotFound")
        #expect(await control(t, "POST", "/mailboxes/\(owner)/contactDelta/expire", ["mode": "syncStateInvalid"]).status == 200)
        let invalid = await t.follow(fresh.deltaLink, token: token)
        #expect(invalid.status == 410 && invalid.errorCode == "SyncStateInvalid")
        #expect(await control(t, "POST", "/mailboxes/\(owner)/contactDelta/expire", ["mode": "nonsense"]).status == 400)

        // Lifetime: contactDeltaTokenLifetimeSeconds after the link was handed out.
        _ = try await t.sim.updateSettings(["contactDeltaTokenLifetimeSeconds": 3600, "expiredContactDeltaMode": "gone"])
        let recent = try await round(t, start: start, token: token)
        t.clock.advance(1800)
        let stillGood = try await round(t, start: recent.deltaLink, token: token)
        t.clock.advance(1801)
        let token2 = try await t.token()
        #expect(await t.follow(recent.deltaLink, token: token2).status == 410)
        #expect(await t.follow(stillGood.deltaLink, token: token2).status == 200, "each deltaLink lives from when it was handed out")
    }

    @Test func foreignTokensBadOptionsAndDeletedFoldersAreRefused() async throws {
        let t = try await TestTenant(users: 20)
        let token = try await t.token()
        let owner = await t.mailboxOwner(0)
        let other = await t.mailboxOwner(1)
        let x = try await folder(t, owner, "X", token: token)
        let y = try await folder(t, owner, "Y", token: token)
        _ = try await contact(t, owner, folder: x, "A", token: token)
        let xLink = try await round(t, start: "/users/\(owner)/contactFolders/\(x)/contacts/delta", token: token).deltaLink
        let deltatoken = try #require(xLink.components(separatedBy: "$deltatoken=").last)

        let otherFolder = try await t.graph("GET", "/users/\(owner)/contactFolders/\(y)/contacts/delta?$deltatoken=\(deltatoken)", token: token)
        #expect(otherFolder.status == 400 && otherFolder.errorCode == "ErrorInvalidSyncStateData")
        let defaultFolder = try await t.graph("GET", "/users/\(owner)/contacts/delta?$deltatoken=\(deltatoken)", token: token)
        #expect(defaultFolder.status == 400)
        let otherMailbox = try await t.graph("GET", "/users/\(other)/contactFolders/\(x)/contacts/delta?$deltatoken=\(deltatoken)", token: token)
        #expect(otherMailbox.status == 404 && otherMailbox.errorCode == "ErrorItemNotFound", "that mailbox has no such folder")
        let otherMailboxDefault = try await t.graph("GET", "/users/\(other)/contacts/delta?$skiptoken=\(deltatoken)", token: token)
        #expect(otherMailboxDefault.status == 400 && otherMailboxDefault.errorCode == "ErrorInvalidSyncStateData")
        let garbage = try await t.graph("GET", "/users/\(owner)/contactFolders/\(x)/contacts/delta?$deltatoken=not-a-token", token: token)
        #expect(garbage.status == 400)
        // The same folder by its plain path works, whatever form the link had.
        #expect(try await t.graph("GET", "/users/\(owner)/contactFolders/\(x)/contacts/delta?$deltatoken=\(deltatoken)", token: token).status == 200)

        // Only $select is documented on the first request.
        for option in ["$filter=displayName%20eq%20'A'", "$orderby=displayName", "$top=5", "$expand=singleValueExtendedProperties", "$search=%22A%22", "filter=displayName%20eq%20'A'"] {
            let r = try await t.graph("GET", "/users/\(owner)/contactFolders/\(x)/contacts/delta?\(option)", token: token)
            #expect(r.status == 400 && r.errorCode == "ErrorInvalidUrlQuery", "\(option)")
        }
        let unknown = try await t.graph("GET", "/users/\(owner)/contactFolders/\(x)/contacts/delta?$select=shoeSize", token: token)
        #expect(unknown.status == 400)
        #expect(try await t.graph("POST", "/users/\(owner)/contactFolders/\(x)/contacts/delta", body: [:], token: token).status == 405)

        // A deleted folder: 404 like any folder route, for the first request and for its links.
        try await t.sim.ownerDeletesFolder(mailbox: owner, folderId: x)
        let deleted = await t.follow(xLink, token: token)
        #expect(deleted.status == 404 && deleted.errorCode == "ErrorItemNotFound")
        let deletedFirst = try await t.graph("GET", "/users/\(owner)/contactFolders/\(x)/contacts/delta", token: token)
        #expect(deletedFirst.status == 404 && deletedFirst.errorCode == "ErrorItemNotFound")
    }

    @Test func selectIsCarriedIntoEveryLink() async throws {
        let t = try await TestTenant(users: 10)
        let token = try await t.token()
        let owner = await t.mailboxOwner()
        let fid = try await folder(t, owner, "Directory", token: token)
        var made: [String] = []
        for i in 0..<5 { made.append(try await contact(t, owner, folder: fid, "P\(i)", token: token)) }
        let allowed: Set<String> = ["id", "displayName", "emailAddresses", "@odata.etag", "@odata.type"]
        let first = try await round(t, start: "/users/\(owner)/contactFolders/\(fid)/contacts/delta?$select=displayName,emailAddresses", token: token, pageSize: 2)
        #expect(first.pages == 3 && first.entries.count == 5)
        #expect(first.links.allSatisfy { !$0.contains("select") }, "query options travel inside the token")
        #expect(first.entries.allSatisfy { Set($0.objectValue!.keys) == allowed })
        try await t.sim.ownerEditsContact(mailbox: owner, contactId: made[0], properties: ["jobTitle": "Boss"])
        let next = try await round(t, start: first.deltaLink, token: token)
        #expect(ids(next.entries) == [made[0]])
        #expect(next.entries.allSatisfy { Set($0.objectValue!.keys) == allowed })
        // Without $select an entry is the full contact.
        let full = try await round(t, start: "/users/\(owner)/contactFolders/\(fid)/contacts/delta", token: token)
        #expect(full.entries.first?["jobTitle"] != nil && full.entries.first?["changeKey"] != nil)
    }
}
