import Foundation
import GalsyncJSON
@testable import GalsyncPlan
import Testing

/// The packed projection gives the same fields, JSON and bodies as the values it packs.
@Suite struct ContactProjectionTests {
    static let user = DirectoryUser(id: "u1", properties: [
        "displayName": "Zoë \"Z\" Ünal", "givenName": "Zoë", "surname": .null, "mail": "zoe@contoso.com", "businessPhones": ["+1 1", "", "+1 3"],
        "mobilePhone": "", "jobTitle": .string(String(repeating: "Long title ", count: 30)), "department": "R&D", "city": "Köln", "country": "DE",
    ])

    @Test func fieldsAndJSONAreWhatThePackedValuesSay() throws {
        let p = ContactProjection(user: Self.user)
        #expect(p.fields == [
            "displayName": "Zoë \"Z\" Ünal", "givenName": "Zoë", "surname": .null, "emailAddresses": [["address": "zoe@contoso.com", "name": "Zoë \"Z\" Ünal"]],
            "businessPhones": ["+1 1"], "mobilePhone": .null, "jobTitle": .string(String(repeating: "Long title ", count: 23) + "Lo"),
            "department": "R&D", "companyName": .null, "officeLocation": .null, "businessAddress": ["city": "Köln", "countryOrRegion": "DE"],
        ])
        #expect(p.json == JSONValue.object(p.fields).encoded())
        #expect(p.field("department") == "R&D" && p.field("surname") == .null && p.field("mail") == nil)
        let body = try #require(p.createBody().objectValue)
        #expect(body["mobilePhone"] == .null && body["businessPhones"] == ["+1 1"] && body["singleValueExtendedProperties"]?.arrayValue?.count == 1)
    }

    @Test func aListedContactWithTheSameFieldsIsEqualAndLargeValuesSurvive() {
        let p = ContactProjection(user: Self.user, excludeFields: ["department"])
        let listed = ContactProjection.fromListed(userId: "u1", contact: .object(p.fields.merging(["id": "c1", "department": "ignored?"]) { $1 }))
        #expect(listed.field("department") == "ignored?" && listed != p)
        #expect(ContactProjection(userId: "u1", fields: p.fields) == p)
        let huge = String(repeating: "é", count: 40_000)  // a listed contact is not cut to 255 characters
        let big = ContactProjection(userId: "u2", fields: ["displayName": .string(huge), "jobTitle": "J"])
        #expect(big.field("displayName") == .string(huge) && big.field("jobTitle") == "J" && big.json == JSONValue.object(big.fields).encoded())
    }

    @Test func aPatchCarriesTheChangedFieldsAndTheDisplayName() throws {
        let old = ContactProjection(user: Self.user)
        var properties = Self.user.properties
        properties["department"] = "Sales"
        properties["businessPhones"] = []
        let new = ContactProjection(user: DirectoryUser(id: "u1", properties: properties))
        let patch = try #require(new.patchBody(from: old).objectValue)
        #expect(patch == ["department": "Sales", "businessPhones": [], "displayName": "Zoë \"Z\" Ünal"])
        #expect(Set(try #require(new.patchBody(from: nil).objectValue).keys) == Set(ContactProjection.managedFields))
    }
}
