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

    /// Every field in its shape and in others (kept as JSON), empty lists and objects, a name
    /// left null: each comes back as given, and the object is written as `encoded()` writes it.
    @Test func packedFieldsGiveBackEveryValueAndItsJSON() {
        let table = ContactFieldTable.standard
        let keys = table.fields.map(\.key)
        let odd: [JSONValue] = [.null, "", "é \"q\" \\ \n", 7, true, [], [:], ["a", 1], [["address": "x"]], ["city": .null]]
        let shaped: [String: [JSONValue]] = [
            "businessAddress": [["city": "Köln", "street": "1 Main St"], [:], ["countryOrRegion": "DE", "postalCode": "1", "state": "S", "street": "s", "city": "c"]],
            "businessPhones": [["+1 1"], ["", "+1 2", "+1 3"]],
            "emailAddresses": [[["address": "a@x", "name": "A"]], [["address": "a@x", "name": .null], ["address": "", "name": "B"]]],
            "displayName": [.string(String(repeating: "Ω", count: 300))],
        ]
        for round in 0..<odd.count {
            var values: [JSONValue] = []
            for (i, key) in keys.enumerated() {
                let own = shaped[key] ?? ["text"]
                values.append((round + i) % 3 == 0 ? odd[(round + i) % odd.count] : own[(round + i) % own.count])
            }
            var scratch: [UInt8] = []
            let packed = PackedFields(values, table: table, scratch: &scratch)
            let entries = packed.entries()
            #expect(entries.count == keys.count)
            for i in keys.indices { #expect(packed.value(entries[i], table.fields[i].shape) == values[i], "\(keys[i]): \(values[i])") }
            var json: [UInt8] = []
            packed.writeObject(into: &json, table: table)
            #expect(Data(json) == JSONValue.object(Dictionary(uniqueKeysWithValues: zip(keys, values))).encoded())
            #expect(packed == PackedFields(values, table: table, scratch: &scratch), "the same values, the same bytes")
        }
    }
}
