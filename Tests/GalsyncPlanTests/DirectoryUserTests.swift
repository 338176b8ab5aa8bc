import Foundation
import GalsyncJSON
@testable import GalsyncPlan
import Testing

/// The packed user gives back every selected property as it was given, and writes the same
/// snapshot text as the parsed JSON object did (state files written before stay valid).
@Suite struct DirectoryUserTests {
    static let id = "0f3c2a9e-1b7d-4c55-9e0a-7d2b9c4e8f01"

    /// Every selected property, in every shape the packed form distinguishes.
    static let full: [String: JSONValue] = [
        "id": .string(id), "displayName": "Zoë \u{200F}Ünal-王 \"Z\" \\ 🙂", "givenName": "", "surname": .null,
        "mail": "zoe@contoso.com", "userPrincipalName": "  zoe@contoso.com\t", "businessPhones": ["+1 425 555 0100", "", "+49 30 1234"],
        "mobilePhone": "line\nbreak\u{1}", "jobTitle": .string(String(repeating: "Långt ", count: 40)),
        "department": .string(String(repeating: "x", count: 20_000)), "companyName": 42, "officeLocation": ["floor": 3, "wing": "B"],
        "streetAddress": ["1 Main St", 7, .null], "city": [], "state": .null, "postalCode": "98052", "country": "日本",
        "userType": "Guest", "accountEnabled": false,
    ]

    @Test func everySelectedPropertyComesBackAsGiven() {
        let user = DirectoryUser(id: Self.id, properties: Self.full)
        #expect(user.properties == Self.full)
        for key in DirectoryUser.selectedProperties { #expect(user.value(key) == Self.full[key], "\(key)") }
        #expect(user.string("displayName") == "Zoë \u{200F}Ünal-王 \"Z\" \\ 🙂")
        #expect(user.string("givenName") == nil && user.rawString("givenName") == "")
        #expect(user.string("surname") == nil && user.value("surname") == .null)
        #expect(user.string("userPrincipalName") == "zoe@contoso.com" && user.rawString("userPrincipalName") == "  zoe@contoso.com\t")
        #expect(user.array("businessPhones") == ["+1 425 555 0100", "", "+49 30 1234"])
        #expect(user.array("streetAddress") == ["1 Main St", 7, .null] && user.array("city") == [] && user.array("mail") == nil)
        #expect(user.string("department")?.utf8.count == 20_000)
        #expect(user.string("companyName") == nil && user.string("id") == Self.id)
        #expect(user.isGuest && !user.isEnabled)
        #expect(user.has("officeLocation") && user.has("companyName") && !user.has("city") && !user.has("givenName") && !user.has("state"))
    }

    @Test func absentStaysApartFromNull() {
        let sparse = DirectoryUser(id: "a", properties: ["mail": .null, "accountEnabled": true])
        #expect(sparse.properties == ["mail": .null, "accountEnabled": true])
        #expect(sparse.value("mail") == .null && sparse.value("surname") == nil && sparse.value("id") == nil)
        #expect(sparse.json == #"{"accountEnabled":true,"mail":null}"#)
        #expect(sparse.isEnabled && !sparse.isGuest && !sparse.has("mail"))
        let empty = DirectoryUser(id: "c", properties: [:])
        #expect(empty.properties.isEmpty && empty.json == "{}" && empty.isEnabled)
        #expect(DirectoryUser(id: "b", properties: ["id": "not b"]).value("id") == "not b", "an id property other than the id is kept as given")
    }

    @Test func propertiesNotSelectedAreNotKept() {
        let user = DirectoryUser(id: "a", properties: ["displayName": "A", "employeeId": "E1", "extra": .string(String(repeating: "p", count: 1000))])
        #expect(user.properties == ["displayName": "A"])
        #expect(user == DirectoryUser(id: "a", properties: ["displayName": "A"]))
    }

    /// What the snapshot stored before the packed form: the parsed object, encoded.
    @Test func theSnapshotTextIsTheSortedKeyJSONAsBefore() throws {
        let user = DirectoryUser(id: Self.id, properties: Self.full)
        #expect(user.json == String(decoding: JSONValue.object(Self.full).encoded(), as: UTF8.self))
        let typical = DirectoryUser(id: "u1", properties: [
            "id": "u1", "displayName": "Ada Lovelace", "givenName": "Ada", "surname": "Lovelace", "mail": "ada@contoso.com",
            "userPrincipalName": "ada@contoso.com", "businessPhones": ["+1 425 555 0100"], "mobilePhone": .null, "jobTitle": "Sales Manager",
            "department": "Sales", "companyName": "Contoso Ltd", "officeLocation": "Building 1", "streetAddress": "1 Main St", "city": "Redmond",
            "state": "WA", "postalCode": "98052", "country": "United States", "userType": "Member", "accountEnabled": true,
        ])
        // Pinned: a change here makes every stored row differ from what a cycle would write.
        #expect(typical.json == #"{"accountEnabled":true,"businessPhones":["+1 425 555 0100"],"city":"Redmond","companyName":"Contoso Ltd","#
            + #""country":"United States","department":"Sales","displayName":"Ada Lovelace","givenName":"Ada","id":"u1","jobTitle":"Sales Manager","#
            + #""mail":"ada@contoso.com","mobilePhone":null,"officeLocation":"Building 1","postalCode":"98052","state":"WA","#
            + #""streetAddress":"1 Main St","surname":"Lovelace","userPrincipalName":"ada@contoso.com","userType":"Member"}"#)
        #expect(DirectoryUser(id: "x", properties: ["displayName": "q\"\\\n\u{7}/é"]).json == #"{"displayName":"q\"\\\n\u0007/é"}"#)
        // Read back from its text, a user is the same user.
        let row = try #require(DirectoryUser(id: Self.id, json: user.json))
        #expect(row == user && row.json == user.json)
        #expect(DirectoryUser(id: "x", json: "[1]") == nil && DirectoryUser(id: "x", json: "{") == nil)
    }

    @Test func aDeltaEntryIsLaidOverTheUser() {
        let user = DirectoryUser(id: Self.id, properties: Self.full)
        let merged = user.merging(["id": .string(Self.id), "jobTitle": "Boss", "surname": "Ünal", "businessPhones": [], "mail": .null, "skipped": "x"])
        var expected = Self.full
        expected["jobTitle"] = "Boss"; expected["surname"] = "Ünal"; expected["businessPhones"] = []; expected["mail"] = .null
        #expect(merged.properties == expected)
        #expect(merged == DirectoryUser(id: Self.id, properties: expected), "the same bytes as a user packed from scratch")
        #expect(DirectoryUser(id: "n", properties: [:]).merging(["displayName": "N"]).properties == ["displayName": "N"])
    }

    @Test func settingPropertiesPacksTheUserAgain() {
        var user = DirectoryUser(id: "a", properties: ["jobTitle": "One", "city": "Köln"])
        user.properties["jobTitle"] = "Two"
        #expect(user.properties == ["jobTitle": "Two", "city": "Köln"] && user.string("jobTitle") == "Two")
    }

    /// Properties a where rule reads beyond the selected ones: kept only when named, written
    /// into the snapshot text and read back from it, merged from later delta entries.
    @Test func extraPropertiesAreKeptOnlyWhenNamed() {
        let ext: JSONValue = ["extensionAttribute1": "TEST", "extensionAttribute2": .null]
        let props: [String: JSONValue] = ["mail": "a@contoso.com", "onPremisesExtensionAttributes": ext, "employeeType": "Service"]
        let plain = DirectoryUser(id: "a", properties: props)
        #expect(plain.value("onPremisesExtensionAttributes") == nil && plain.json == #"{"mail":"a@contoso.com"}"#, "no rule: nothing more kept")
        let user = DirectoryUser(id: "a", properties: props, extra: ["onPremisesExtensionAttributes"])
        #expect(user.value("onPremisesExtensionAttributes") == ext && user.value("employeeType") == nil)
        #expect(user.json == #"{"mail":"a@contoso.com","onPremisesExtensionAttributes":{"extensionAttribute1":"TEST","extensionAttribute2":null}}"#)
        let reread = DirectoryUser(id: "a", json: user.json)
        #expect(reread == user)
        let merged = user.merging(["employeeType": "Employee", "jobTitle": "CFO"], extra: ["onPremisesExtensionAttributes", "employeeType"])
        #expect(merged.value("employeeType") == "Employee" && merged.value("onPremisesExtensionAttributes") == ext && merged.string("jobTitle") == "CFO")
        let cleared = merged.merging(["onPremisesExtensionAttributes": .null], extra: ["onPremisesExtensionAttributes"])
        #expect(cleared.value("onPremisesExtensionAttributes") == .null && cleared.value("employeeType") == "Employee")
    }

    /// The scope's one-scan facts agree with the property-at-a-time answers, for every shape.
    @Test func scopeFactsAgreeWithTheSlowAnswers() {
        let shapes: [[String: JSONValue]] = [
            Self.full, [:], ["mail": .null, "accountEnabled": true], ["mail": "  ", "userType": "guest", "accountEnabled": .null],
            ["mail": "a@b.c", "userType": "OrgContact", "accountEnabled": false, "businessPhones": []],
            ["mail": 7, "jobTitle": ["x"], "department": [], "accountEnabled": "yes", "userType": 3],
            ["mail": ["a", 1], "mobilePhone": "", "companyName": .null, "givenName": "\t"],
        ]
        let require = ["mail", "givenName", "jobTitle", "department", "mobilePhone", "businessPhones", "companyName"]
        for (n, p) in shapes.enumerated() {
            let u = DirectoryUser(id: "u\(n)", properties: p)
            let f = u.scopeFacts(require: require)
            #expect(f.isGuest == u.isGuest && f.isEnabled == u.isEnabled && f.isOrgContact == u.isOrgContact && f.hasMail == u.has("mail"), "shape \(n)")
            #expect(f.hasRequired == require.allSatisfy(u.has), "shape \(n)")
            for r in require { #expect(u.scopeFacts(require: [r]).hasRequired == u.has(r), "shape \(n), \(r)") }
        }
    }
}
