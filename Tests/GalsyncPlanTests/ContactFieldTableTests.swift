import Foundation
import GalsyncConfig
import GalsyncJSON
@testable import GalsyncPlan
import Testing

/// The projection from a configured field table: the built-in table is today's (same keys,
/// same hashes), a mapping fills fields from user properties, `create_only` fields are created
/// and never compared or patched, and a mailbox list's copy carries every property.
@Suite struct ContactFieldTableTests {
    static let user = DirectoryUser(id: "u1", properties: [
        "id": "u1", "displayName": "Ana Costa", "givenName": "Ana", "surname": "Costa", "mail": "ana@contoso.com",
        "mobilePhone": "+44 7700 900123", "jobTitle": "Engineer", "businessPhones": ["+1 425 555 0100"],
        "mailNickname": " ana ", "employeeId": "E00042", "otherMails": ["ana@home.example", "", "ana@old.example"],
        "onPremisesExtensionAttributes": ["extensionAttribute3": "+1 206 555 0142"],
    ], extra: ["mailNickname", "employeeId", "otherMails", "onPremisesExtensionAttributes"])

    static func table(_ fields: [String: ContactFieldRule], exclude: [String] = []) -> ContactFieldTable {
        var c = Configuration.ContactSettings()
        c.fields = fields
        c.excludeFields = exclude
        return .directory(c)
    }

    @Test func withoutFieldsTheTableIsTodaysAndSoAreTheHashes() {
        #expect(ContactFieldTable.directory(.init()) === ContactFieldTable.standard)
        #expect(ContactFieldTable.standard.fields.map(\.key) == ContactProjection.managedFields.sorted())
        #expect(ContactFieldTable.standard.signature.isEmpty && ContactFieldTable.excluding(["mobilePhone"]).signature.isEmpty)
        // A rule that restates a built-in field changes nothing in the hash.
        let restated = Self.table(["mobilePhone": ContactFieldRule()])
        #expect(ContactProjection(user: Self.user, table: restated).hash == ContactProjection(user: Self.user).hash)
    }

    @Test func aMappingFillsFieldsFromUserPropertiesInTheirShape() throws {
        let table = Self.table([
            "nickName": ContactFieldRule(from: ["mailNickname"], fromKind: .text),
            "homePhones": ContactFieldRule(from: ["onPremisesExtensionAttributes", "extensionAttribute3"], fromKind: .text),
            "emailAddresses": ContactFieldRule(from: ["otherMails"], fromKind: .texts),
            "initials": ContactFieldRule(from: ["employeeId"], fromKind: .text),
        ])
        let p = ContactProjection(user: Self.user, table: table)
        #expect(p.field("nickName") == "ana", "cleaned as the built-in fields are")
        #expect(p.field("homePhones") == ["+1 206 555 0142"], "one text into a list")
        #expect(p.field("emailAddresses") == [["address": "ana@home.example", "name": "Ana Costa"], ["address": "ana@old.example", "name": "Ana Costa"]])
        #expect(p.field("initials") == "E00042" && p.field("mobilePhone") == "+44 7700 900123")
        #expect(p.hash != ContactProjection(user: Self.user).hash)
        // What a mailbox gives back reads as the same contact.
        let body = try #require(p.createBody().objectValue)
        #expect(body["nickName"] == "ana" && body["homePhones"] == ["+1 206 555 0142"])
        #expect(ContactProjection.fromListed(userId: "u1", contact: .object(body), table: table).hash == p.hash)
        // An emptied mapped list is cleared the way Graph clears lists.
        var gone = Self.user
        gone.properties["onPremisesExtensionAttributes"] = ["extensionAttribute3": .null]
        let patch = try #require(ContactProjection(user: gone, table: table).patchBody(from: p).objectValue)
        #expect(patch == ["homePhones": [], "displayName": "Ana Costa"])
    }

    @Test func aCreateOnlyFieldIsCreatedButNeitherComparedNorPatched() throws {
        let table = Self.table(["nickName": ContactFieldRule(from: ["mailNickname"], fromKind: .text, policy: .createOnly)])
        let p = ContactProjection(user: Self.user, table: table)
        #expect(p.createBody()["nickName"] == "ana")
        var renamed = Self.user
        renamed.properties["mailNickname"] = "ana.costa"
        let q = ContactProjection(user: renamed, table: table)
        #expect(q.hash == p.hash, "a create_only value is not in the hash: a change in it plans nothing")
        #expect(q.hash == ContactProjection(user: Self.user).hash, "nor does the field itself: the hash is today's")
        #expect(q.patchBody(from: p).objectValue?["nickName"] == nil && q.patchBody(from: nil).objectValue?["nickName"] == nil)
        // An owner's value in the mailbox is not a difference either.
        var listed = try #require(p.createBody().objectValue)
        listed["nickName"] = "Annie"
        #expect(ContactProjection.fromListed(userId: "u1", contact: .object(listed), table: table).hash == p.hash)
    }

    @Test func aMailboxListsCopyCarriesEveryPropertyOfTheSourceContact() throws {
        let contact: [String: JSONValue] = [
            "id": "AAMk1", "displayName": "Ana Alvarez (Northwind)", "givenName": "Ana", "surname": "Alvarez", "fileAs": "Alvarez, Ana",
            "emailAddresses": [["address": "ana@northwind.example", "name": "Ana A."], ["address": "sales@northwind.example", "name": ""]],
            "businessPhones": ["+1 425 555 0100", "+1 425 555 0101"], "homePhones": [], "categories": ["Preferred supplier"],
            "personalNotes": "Account no. 7000\nInvoices to ap@northwind.example", "businessHomePage": "https://northwind.example",
            "birthday": "1980-05-01T11:59:00Z", "homeAddress": ["city": "Tacoma", "street": ""], "userType": "MailboxContact", "mail": "ana@northwind.example",
        ]
        let user = DirectoryUser(id: "AAMk1", properties: contact, extra: Set(ContactFieldTable.copiedKeys))
        let table = ContactFieldTable.copying(.init())
        #expect(!table.selectedKeys.contains("primaryEmailAddress") && table.selectedKeys.contains("personalNotes"))
        let p = ContactProjection(user: user, table: table)
        #expect(p.field("emailAddresses") == [["address": "ana@northwind.example", "name": "Ana A."], ["address": "sales@northwind.example", "name": .null]],
                "every address, each with its own name")
        #expect(p.field("businessPhones") == ["+1 425 555 0100", "+1 425 555 0101"] && p.field("homePhones") == .null)
        #expect(p.field("personalNotes") == contact["personalNotes"] && p.field("categories") == ["Preferred supplier"])
        #expect(p.field("fileAs") == "Alvarez, Ana" && p.field("birthday") == "1980-05-01T11:59:00Z" && p.field("homeAddress") == ["city": "Tacoma"])
        #expect(p.field("jobTitle") == .null && p.field("userType") == nil, "what the contact lacks is null; what is not a contact property is not a field")
        let body = try #require(p.createBody().objectValue)
        #expect(body["homePhones"] == [] && body["jobTitle"] == .null)
        #expect(ContactProjection.fromListed(userId: "AAMk1", contact: .object(body), table: table).hash == p.hash)
    }

    @Test func aTemplateFillsATextFieldSuchAsFileAs() throws {
        let table = Self.table(["fileAs": ContactFieldRule(template: try NotesTemplate("{surname}, {givenName}"))])
        #expect(ContactProjection(user: Self.user, table: table).field("fileAs") == "Costa, Ana")
        #expect(table.userProperties.subtracting(DirectoryUser.selectedProperties).isEmpty, "surname and givenName are read anyway")
        #expect(table.mapping.contains("fileAs ← \"{surname}, {givenName}\""))
    }
}
