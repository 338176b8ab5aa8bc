import GalsyncConfig
import GalsyncJSON
@testable import GalsyncPlan
import Testing

/// `phone_format` in the projection: every phone field formatted before it is hashed, in the
/// user's region; what does not parse kept as it is.
@Suite struct PhoneProjectionTests {
    static func table(_ format: Configuration.ContactSettings.PhoneFormat, region: String = "") -> ContactFieldTable {
        var c = Configuration.ContactSettings()
        c.phoneFormat = format
        c.defaultRegion = region
        c.fields["homePhones"] = ContactFieldRule(from: ["onPremisesExtensionAttributes", "extensionAttribute3"], fromKind: .text)
        return .directory(c)
    }

    static func user(_ properties: [String: JSONValue]) -> DirectoryUser {
        var p: [String: JSONValue] = ["id": "u1", "displayName": "Ana Costa", "businessPhones": ["(425) 555-0100 x7", "+44 20 7946 0958"],
                                      "mobilePhone": "0171 1234567", "onPremisesExtensionAttributes": ["extensionAttribute3": "call the desk"]]
        p.merge(properties) { _, new in new }
        return DirectoryUser(id: "u1", properties: p, extra: ["usageLocation", "onPremisesExtensionAttributes"])
    }

    @Test func theUsersRegionDecidesNumbersWithoutACountryCode() {
        let inGermany = ContactProjection(user: Self.user(["usageLocation": "DE", "country": "United States"]), table: Self.table(.e164))
        #expect(inGermany.field("mobilePhone") == "+491711234567", "usageLocation before country")
        #expect(inGermany.field("homePhones") == ["call the desk"], "a number that does not parse is written as it is")
        let byCountry = ContactProjection(user: Self.user(["country": "United States"]), table: Self.table(.international))
        #expect(byCountry.field("businessPhones") == ["+1 425-555-0100 ext. 7", "+44 20 7946 0958"])
        let configured = ContactProjection(user: Self.user(["usageLocation": "US"]), table: Self.table(.e164, region: "DE"))
        #expect(configured.field("mobilePhone") == "+491711234567", "default_region wins")
        let nowhere = ContactProjection(user: Self.user([:]), table: Self.table(.e164))
        #expect(nowhere.field("mobilePhone") == "0171 1234567" && nowhere.field("businessPhones") == ["(425) 555-0100 x7", "+442079460958"])
    }

    @Test func formattingIsStableAndOnlyWhenAsked() {
        let table = Self.table(.e164)
        let once = ContactProjection(user: Self.user(["usageLocation": "US"]), table: table)
        var formatted = Self.user(["usageLocation": "US"])
        formatted.properties["businessPhones"] = once.field("businessPhones")
        formatted.properties["mobilePhone"] = once.field("mobilePhone")
        #expect(ContactProjection(user: formatted, table: table).hash == once.hash, "a formatted number formats to itself")
        #expect(ContactFieldTable.directory(.init()) === ContactFieldTable.standard && ContactFieldTable.standard.phoneFormat == .asIs)
        #expect(table.userProperties.contains("usageLocation") && !Self.table(.e164, region: "US").userProperties.contains("usageLocation"))
    }
}
