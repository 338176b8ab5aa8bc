import Foundation
import GalsyncConfig
import GalsyncJSON
@testable import GalsyncPlan
import Testing

/// Fields that keep what the mailbox holds: a `keep_edits` field, galsync's part of the notes,
/// the categories. Pure: the PATCH from what galsync last wrote, the directory's value and the
/// mailbox's current one.
@Suite struct OwnerFieldsTests {
    static func user(mobile: String?, employeeId: String = "E1") -> DirectoryUser {
        DirectoryUser(id: "u1", properties: [
            "id": "u1", "displayName": "Ana Costa", "mail": "ana@contoso.com", "mobilePhone": mobile.json, "employeeId": .string(employeeId),
        ], extra: ["employeeId"])
    }

    static func table(notes: String? = nil, categories: [String] = [], keepMobile: Bool = false) throws -> ContactFieldTable {
        var c = Configuration.ContactSettings()
        if keepMobile { c.fields["mobilePhone"] = ContactFieldRule(policy: .keepEdits) }
        c.notes = try notes.map { try NotesTemplate($0) }
        c.categories = categories
        return .directory(c)
    }

    @Test func theNotesPartKeepsTheOwnersTextAroundIt() {
        let wrapped = PersonalNotes.wrapped("Employee ID: E1")
        #expect(PersonalNotes.part(of: wrapped) == "Employee ID: E1")
        let owned = "Met at the fair\n" + wrapped + "\nCall after 3"
        #expect(PersonalNotes.part(of: owned) == "Employee ID: E1")
        #expect(PersonalNotes.merged(current: owned, part: "Employee ID: E2") == "Met at the fair\n" + PersonalNotes.wrapped("Employee ID: E2") + "\nCall after 3")
        // Markers deleted by the owner: the part comes back after the owner's text.
        #expect(PersonalNotes.part(of: "Met at the fair") == nil)
        #expect(PersonalNotes.merged(current: "Met at the fair", part: "Employee ID: E2") == "Met at the fair\n\n" + PersonalNotes.wrapped("Employee ID: E2"))
        #expect(PersonalNotes.merged(current: nil, part: "x") == PersonalNotes.wrapped("x"))
        // Nothing left to say: galsync's part goes, the owner's text stays.
        #expect(PersonalNotes.merged(current: owned, part: nil) == "Met at the fair\n\nCall after 3")
        #expect(PersonalNotes.merged(current: wrapped, part: nil) == nil)
        // Only the end marker, or markers in the wrong order: not galsync's part.
        #expect(PersonalNotes.part(of: PersonalNotes.end + "\n" + PersonalNotes.start) == nil)
    }

    @Test func aKeepEditsFieldIsWrittenOnlyWhereTheMailboxHoldsWhatGalsyncWrote() throws {
        let table = try Self.table(keepMobile: true)
        let written = ContactProjection(user: Self.user(mobile: "+1 1"), table: table)
        let changed = ContactProjection(user: Self.user(mobile: "+1 2"), table: table)
        #expect(changed.fieldsToRead(from: written) == ["mobilePhone"])
        // The mailbox holds galsync's value: the directory's new one goes in.
        #expect(changed.patchBody(from: written, current: ["mobilePhone": "+1 1"]).objectValue?["mobilePhone"] == "+1 2")
        // The owner's value, or the owner cleared it: left alone.
        #expect(changed.patchBody(from: written, current: ["mobilePhone": "+44 7700 900000"]).objectValue?["mobilePhone"] == nil)
        #expect(changed.patchBody(from: written, current: ["mobilePhone": .null]).objectValue?["mobilePhone"] == nil)
        #expect(changed.patchBody(from: written, current: [:]).objectValue?["mobilePhone"] == nil)
        // The owner's value is the directory's now: nothing to write.
        #expect(changed.patchBody(from: written, current: ["mobilePhone": "+1 2"]).objectValue?["mobilePhone"] == nil)
        // Unknown last value (no state for this contact): never overwritten blind.
        #expect(changed.patchBody(from: nil, current: ["mobilePhone": "+1 9"]).objectValue?["mobilePhone"] == nil)
        // An update that does not change the field reads nothing: today's cost.
        var renamed = Self.user(mobile: "+1 1")
        renamed.properties["displayName"] = "Ana C."
        #expect(ContactProjection(user: renamed, table: table).fieldsToRead(from: written).isEmpty)
        // A listing compares the field as galsync wrote it: an owner's edit is no difference.
        var listed = try #require(written.createBody().objectValue)
        listed["mobilePhone"] = "+44 7700 900000"
        #expect(ContactProjection.fromListed(userId: "u1", contact: .object(listed), table: table, recorded: ["mobilePhone": written.field("mobilePhone")!]).hash == written.hash)
    }

    @Test func notesAndCategoriesMergeWithTheOwners() throws {
        let table = try Self.table(notes: "Employee ID: {employeeId}", categories: ["Company Directory"])
        let first = ContactProjection(user: Self.user(mobile: nil), table: table)
        let body = try #require(first.createBody().objectValue)
        #expect(body["personalNotes"] == .string(PersonalNotes.wrapped("Employee ID: E1")) && body["categories"] == ["Company Directory"])
        // The owner's text and category are no difference to a listing.
        var listed = body
        listed["personalNotes"] = .string("Mine\n" + PersonalNotes.wrapped("Employee ID: E1"))
        listed["categories"] = ["Family", "company directory"]
        #expect(ContactProjection.fromListed(userId: "u1", contact: .object(listed), table: table).hash == first.hash)
        // The employee id changes: the part is replaced, the owner's text kept.
        let next = ContactProjection(user: Self.user(mobile: nil, employeeId: "E2"), table: table)
        #expect(next.fieldsToRead(from: first) == ["personalNotes"])
        let patch = try #require(next.patchBody(from: first, current: listed).objectValue)
        #expect(patch["personalNotes"] == .string("Mine\n" + PersonalNotes.wrapped("Employee ID: E2")) && patch["categories"] == nil)
        // The configured categories change: the owner's stay, galsync's old one goes.
        let retitled = try Self.table(notes: "Employee ID: {employeeId}", categories: ["Staff"])
        let staff = ContactProjection(user: Self.user(mobile: nil), table: retitled)
        let old = ContactProjection(userId: "u1", fields: first.fields, table: retitled)
        #expect(staff.patchBody(from: old, current: ["categories": ["Family", "Company Directory"]]).objectValue?["categories"] == ["Family", "Staff"])
    }
}
