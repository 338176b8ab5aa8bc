import Foundation
@testable import GraphSimulator
import Testing

@Suite struct MailboxTests {
    static let tag = "String {66f5a359-4659-4830-9070-00040ec6ac6e} Name galsyncSource"

    @Test func userWithoutMailboxAnswersMailboxNotEnabled() async throws {
        let t = try await TestTenant(users: 80)
        let state = await t.sim.fullState()
        let noMailbox = try #require(state["users"]!.arrayValue!.first { $0["hasMailbox"] == false && $0["deleted"] == false })
        let r = try await t.graph("GET", "/users/\(noMailbox["id"]!.stringValue!)/contactFolders")
        #expect(r.status == 404 && r.errorCode == "MailboxNotEnabledForRESTAPI")
        let unknown = try await t.graph("GET", "/users/ghost@contoso.com/contacts")
        #expect(unknown.status == 404 && unknown.errorCode == "ErrorInvalidUser")
    }

    @Test func foldersAreCreatedFoundByEscapedNameAndUnique() async throws {
        let t = try await TestTenant()
        let token = try await t.token()
        let owner = await t.mailboxOwner()
        let name = "O'Brien's contacts"
        let created = try await t.graph("POST", "/users/\(owner)/contactFolders", body: ["displayName": .string(name)], token: token)
        #expect(created.status == 201)
        let id = try #require(created.json?["id"]?.stringValue)
        let dup = try await t.graph("POST", "/users/\(owner)/contactFolders", body: ["displayName": .string(name.uppercased())], token: token)
        #expect(dup.status == 409 && dup.errorCode == "ErrorFolderExists")
        _ = try await t.graph("POST", "/users/\(owner)/contactFolders", body: ["displayName": "Other"], token: token)
        let escaped = "displayName eq 'O''Brien''s contacts'".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let found = try await t.graph("GET", "/users/\(owner)/contactFolders?$filter=\(escaped)", token: token)
        #expect(found.json?["value"]?.arrayValue?.map { $0["id"] } == [.string(id)])
        // An unescaped quote cannot widen the query: it is a syntax error.
        let widened = "displayName eq 'O'Brien' or displayName ne ''".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        #expect(try await t.graph("GET", "/users/\(owner)/contactFolders?$filter=\(widened)", token: token).status == 400)
        // Deleting the default folder is refused; deleting ours removes its contacts.
        #expect(try await t.graph("DELETE", "/users/\(owner)/contactFolders/contacts", token: token).status == 400)
        _ = try await t.graph("POST", "/users/\(owner)/contactFolders/\(id)/contacts", body: ["displayName": "A"], token: token)
        #expect(try await t.graph("DELETE", "/users/\(owner)/contactFolders/\(id)", token: token).status == 204)
        let contacts = await t.sim.mailboxState(owner)["contacts"]
        #expect(contacts == [])
    }

    @Test func contactLifecycleWithExtendedPropertyTag() async throws {
        let t = try await TestTenant()
        let token = try await t.token()
        let owner = await t.mailboxOwner()
        let body: JSONValue = [
            "displayName": "Zoë Müller", "givenName": "Zoë", "surname": "Müller",
            "emailAddresses": [["address": "zoe@contoso.com", "name": "Zoë Müller"]],
            "businessPhones": ["+1 425 555 0100"], "businessAddress": ["city": "München", "countryOrRegion": "Germany"],
            "singleValueExtendedProperties": [["id": .string(Self.tag), "value": "user-1"]],
        ]
        let created = try await t.graph("POST", "/users/\(owner)/contacts", body: body, token: token)
        #expect(created.status == 201)
        #expect(created.json?["singleValueExtendedProperties"] == nil, "extended properties are not echoed")
        let id = try #require(created.json?["id"]?.stringValue)
        #expect(id.hasSuffix("="))
        let encoded = id.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let patched = try await t.graph("PATCH", "/users/\(owner)/contacts/\(encoded)", body: ["displayName": "Zoë M.", "mobilePhone": .null], token: token)
        #expect(patched.status == 200 && patched.json?["displayName"] == "Zoë M.")
        #expect(patched.json?["changeKey"] != created.json?["changeKey"])
        // An update that changes name parts without displayName gets a generated one.
        let regenerated = try await t.graph("PATCH", "/users/\(owner)/contacts/\(encoded)", body: ["surname": "Mueller"], token: token)
        #expect(regenerated.json?["displayName"] == "Zoë Mueller")
        // The same tag with the GUID in upper case updates the one property, not a second one.
        let upper = Self.tag.replacingOccurrences(of: "66f5a359-4659-4830-9070-00040ec6ac6e", with: "66F5A359-4659-4830-9070-00040EC6AC6E")
        _ = try await t.graph("PATCH", "/users/\(owner)/contacts/\(encoded)", body: ["displayName": "Zoë M.", "singleValueExtendedProperties": [["id": .string(upper), "value": "user-1"]]], token: token)
        let stored = await t.sim.mailboxState(owner)["contacts"]?.arrayValue?.first { $0["id"] == .string(id) }
        #expect(stored?["extendedProperties"]?.objectValue?.count == 1)

        // Found by its tag, case-insensitively on the value, with the tag expanded.
        _ = try await t.sim.ownerCreatesContact(mailbox: owner, properties: ["displayName": "Mum"])
        let filter = "singleValueExtendedProperties/Any(ep: ep/id eq '\(Self.tag)' and ep/value eq 'USER-1')".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let expand = "singleValueExtendedProperties($filter=id eq '\(Self.tag)')".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let found = try await t.graph("GET", "/users/\(owner)/contacts?$filter=\(filter)&$expand=\(expand)&$select=displayName", token: token)
        let value = try #require(found.json?["value"]?.arrayValue)
        #expect(value.count == 1)
        #expect(value.first?["singleValueExtendedProperties"] == [["id": .string(Self.tag), "value": "user-1"]])
        #expect(value.first?["mobilePhone"] == nil)
        // The Name part of the id is case-sensitive.
        let wrongCase = "singleValueExtendedProperties/Any(ep: ep/id eq '\(Self.tag.lowercased())' and ep/value eq 'user-1')".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        #expect(try await t.graph("GET", "/users/\(owner)/contacts?$filter=\(wrongCase)", token: token).json?["value"] == [])

        #expect(try await t.graph("DELETE", "/users/\(owner)/contacts/\(encoded)", token: token).status == 204)
        let gone = try await t.graph("GET", "/users/\(owner)/contacts/\(encoded)", token: token)
        #expect(gone.status == 404 && gone.errorCode == "ErrorItemNotFound")
    }

    @Test(arguments: [
        (JSONValue.object(["displayName": "x", "shoeSize": "44"]), "RequestBodyRead"),
        (["displayName": 5], "RequestBodyRead"),
        (["businessPhones": "+1 555"], "RequestBodyRead"),
        (["businessPhones": ["1", "2", "3"]], "ErrorInvalidArgument"),
        (["emailAddresses": [["address": "a@x"], ["address": "b@x"], ["address": "c@x"], ["address": "d@x"]]], "ErrorInvalidArgument"),
        (["emailAddresses": [["address": "a@x", "kind": "work"]]], "RequestBodyRead"),
        (["businessAddress": ["city": "Paris", "country": "France"]], "RequestBodyRead"),
        (["id": "AAMk="], "ErrorInvalidProperty"),
        (["createdDateTime": "2020-01-01T00:00:00Z"], "ErrorInvalidProperty"),
        (["birthday": "not a date"], "RequestBodyRead"),
        (["singleValueExtendedProperties": [["id": "galsync", "value": "x"]]], "ErrorInvalidProperty"),
        (["photo": ["id": "x"]], "RequestBodyRead"),
    ] as [(JSONValue, String)])
    func contactSchemaViolationsGet400(body: JSONValue, code: String) async throws {
        let t = try await TestTenant(users: 10)
        let owner = await t.mailboxOwner()
        let r = try await t.graph("POST", "/users/\(owner)/contacts", body: body)
        #expect(r.status == 400 && r.errorCode == code, "\(r.text)")
        let contacts = await t.sim.mailboxState(owner)["contacts"]
        #expect(contacts == [])
    }

    @Test func contactListsPageTenAtATimeByDefault() async throws {
        let t = try await TestTenant(users: 10)
        let token = try await t.token()
        let owner = await t.mailboxOwner()
        for i in 0..<23 { try await t.sim.ownerCreatesContact(mailbox: owner, properties: ["displayName": .string("C\(i)")]) }
        var r = try await t.graph("GET", "/users/\(owner)/contacts", token: token)
        var pages: [Int] = []
        while true {
            pages.append(r.json!["value"]!.arrayValue!.count)
            guard let next = r.json?["@odata.nextLink"]?.stringValue else { break }
            r = await t.follow(next, token: token)
        }
        #expect(pages == [10, 10, 3])
        #expect(try await t.graph("GET", "/users/\(owner)/contacts?$top=1001", token: token).status == 400)
    }

    @Test func accessPolicyBlocksOtherMailboxes() async throws {
        let t = try await TestTenant(users: 30)
        let a = await t.mailboxOwner(0), b = await t.mailboxOwner(1)
        try await t.sim.setMailboxScope(clientId: TestTenant.clientId, [a])
        let token = try await t.token()
        #expect(try await t.graph("GET", "/users/\(a)/contactFolders", token: token).status == 200)
        let denied = try await t.graph("GET", "/users/\(b)/contactFolders", token: token)
        #expect(denied.status == 403 && denied.errorCode == "ErrorAccessDenied")
        #expect(denied.json?["error"]?["message"]?.stringValue?.contains("AccessPolicy") == true)
    }

    @Test func photoUpload() async throws {
        let t = try await TestTenant(users: 10)
        let token = try await t.token()
        let owner = await t.mailboxOwner()
        let id = try await t.sim.ownerCreatesContact(mailbox: owner, properties: ["displayName": "P"])
        let path = "/users/\(owner)/contacts/\(id.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)/photo/$value"
        let jpeg = Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3])
        let put = await t.sim.handle(SimRequest(method: "PUT", target: "/v1.0\(path)", headers: ["Authorization": "Bearer \(token)", "Content-Type": "image/jpeg"], body: jpeg, baseURL: TestTenant.baseURL))
        #expect(put.status == 200)
        let get = try await t.graph("GET", path, token: token)
        #expect(get.body == jpeg)
    }
}
