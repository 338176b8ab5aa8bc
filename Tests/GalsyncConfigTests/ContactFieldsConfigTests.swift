import Foundation
@testable import GalsyncConfig
import Testing

/// `[contact.fields]`: each mapping checked at load against Graph's contact and user
/// properties, each mistake one problem naming the field.
@Suite struct ContactFieldsConfigTests {
    func parse(_ fields: String, extra: String = "") throws -> Configuration {
        try ConfigurationLoader.parse(ConfigurationLoaderTests.minimal + "\n" + extra + "\n[contact.fields]\n" + fields + "\n", environment: [:])
    }

    func problems(_ fields: String, extra: String = "") -> [String] {
        do {
            _ = try parse(fields, extra: extra)
            return []
        } catch {
            return ((error as? ConfigurationError)?.problems ?? []).map { "\($0.key): \($0.message)" }
        }
    }

    @Test func photosAreOffAt240UnlessSaidAndFullSizeIsAnEmptySize() throws {
        let base = ConfigurationLoaderTests.minimal
        let none = try ConfigurationLoader.parse(base, environment: [:])
        #expect(!none.contact.photos && none.contact.photoSize == 240)
        let full = try ConfigurationLoader.parse(base + "\n[contact]\nphotos = true\nphoto_size = \"\"\n", environment: [:])
        #expect(full.contact.photos && full.contact.photoSize == nil)
        let small = try ConfigurationLoader.parse(base + "\n[contact]\nphotos = true\nphoto_size = \"96X96\"\n", environment: [:])
        #expect(small.contact.photoSize == 96)
        let kept = try parse("photo = { policy = \"keep_edits\" }", extra: "[contact]\nphotos = true\n")
        #expect(kept.contact.photoPolicy == .keepEdits && kept.contact.fields.isEmpty, "the photo is not a contact field of the table")
        #expect(problems("photo = { from = \"thumbnailPhoto\" }") == ["contact.fields.photo.from: the photo is the user's profile photo; it takes a policy only"])
        #expect(problems("photo = { policy = \"create_only\" }") == ["contact.fields.photo.policy: 'create_only' is not a photo policy; use overwrite or keep_edits"])
    }

    @Test func aMappingNamesItsSourceAndPolicyInGraphsSpelling() throws {
        let c = try parse("""
            mobilePhone = { policy = "keep_edits" }
            homePhones  = { from = "onpremisesextensionattributes/EXTENSIONATTRIBUTE3" }
            nickName    = { from = "mailNickname", policy = "create_only" }
            imAddresses = {}
            fileAs      = { from = "{surname}, {givenName}" }
            """)
        let f = c.contact.fields
        #expect(f["mobilePhone"] == ContactFieldRule(policy: .keepEdits), "a built-in field keeps its source")
        #expect(f["homePhones"]?.from == ["onPremisesExtensionAttributes", "extensionAttribute3"] && f["homePhones"]?.policy == .overwrite)
        #expect(f["nickName"]?.from == ["mailNickname"] && f["nickName"]?.policy == .createOnly)
        #expect(f["imAddresses"]?.from == ["imAddresses"], "a user property of the same name is the source")
        #expect(f["fileAs"]?.template?.parts == [.property(["surname"]), .text(", "), .property(["givenName"])] && f["fileAs"]?.from == nil)
    }

    @Test(arguments: [
        ("jobtitle = { }", "contact.fields.jobtitle: write it as Graph spells it: 'jobTitle'"),
        ("jobTitel = { }", "contact.fields.jobTitel: 'jobTitel' is not a property of a Graph contact (did you mean 'jobTitle'?)"),
        ("parentFolderId = { }", "contact.fields.parentFolderId: 'parentFolderId' cannot be a contact field: the folder is sync.folder (or the list's folder)"),
        ("nickName = { }", "contact.fields.nickName: needs from = \"…\": the user property it is filled from (e.g. \"onPremisesExtensionAttributes/extensionAttribute1\")"),
        ("nickName = { from = \"mailNickame\" }", "contact.fields.nickName.from: 'mailNickame' is not a property of a Graph user (did you mean 'mailNickname'?)"),
        ("jobTitle = { from = \"proxyAddresses\" }", "contact.fields.jobTitle.from: 'proxyAddresses' cannot fill jobTitle: a collection cannot fill a single value"),
        ("nickName = { from = \"showInAddressList\" }", "contact.fields.nickName.from: 'showInAddressList' cannot be read with the directory: Graph leaves it out of /users/delta; use [directory] honor_hidden, which reads it the way that works"),
        ("nickName = { from = \"employeeOrgData/region\" }", "contact.fields.nickName.from: 'region' is not part of 'employeeOrgData' (it has costCenter, division, …)"),
        ("homeAddress = { from = \"streetAddress\" }", "contact.fields.homeAddress.from: 'streetAddress' cannot fill homeAddress: an address is filled only from the user's streetAddress, city, state, postalCode and country (businessAddress's built-in source)"),
        ("fileAs = { from = \"{surname}, {givenNme}\" }", "contact.fields.fileAs.from: {givenNme}: 'givenNme' is not a property of a Graph user (did you mean 'givenName'?)"),
        ("homePhones = { from = \"{mobilePhone}\" }", "contact.fields.homePhones.from: a text with {property} parts fills a text field; homePhones is not one"),
        ("mobilePhone = { policy = \"keep\" }", "contact.fields.mobilePhone.policy: 'keep' is not a policy; use one of overwrite, keep_edits, create_only"),
        ("displayName = { policy = \"create_only\" }", "contact.fields.displayName.policy: displayName is how a contact is known and is written at every update; it takes no other policy than overwrite"),
        ("mobilePhone = { form = \"x\" }", "contact.fields.mobilePhone.form: unknown key (did you mean 'from'?); a field takes from and policy"),
        ("mobilePhone = \"mobilePhone\"", "contact.fields.mobilePhone: should be a table such as { from = \"mailNickname\", policy = \"keep_edits\" }"),
    ])
    func eachMistakeIsOneProblemNamingTheField(_ fields: String, _ expected: String) {
        #expect(problems(fields) == [expected])
    }

    @Test func aFieldBothExcludedAndMappedIsAProblem() {
        #expect(problems("mobilePhone = { }", extra: "[contact]\nexclude_fields = [\"mobilePhone\"]\n")
            == ["contact.fields.mobilePhone: 'mobilePhone' is also in contact.exclude_fields; keep it in one of the two"])
    }

    @Test func aMailboxListsFieldsTakeAPolicyAndNoSource() throws {
        let list = """
            [[list]]
            name = "vendors"
            folder = "Vendors"
            source = "mailbox"
            source_mailbox = "contacts@contoso.com"
            [list.contact.fields]
            personalNotes = { policy = "keep_edits" }
            """
        let c = try ConfigurationLoader.parse(ConfigurationLoaderTests.minimal + "\n" + list.replacingOccurrences(of: "[list.contact.fields]", with: "[list.contact]\nexclude_fields = [\"birthday\", \"spouseName\"]\n[list.contact.fields]"), environment: [:])
        #expect(c.lists[0].contact.fields["personalNotes"] == ContactFieldRule(policy: .keepEdits), "no from needed: the copy's own property")
        #expect(c.lists[0].contact.excludeFields == ["birthday", "spouseName"], "a copy may leave out any property it carries")
        do {
            _ = try ConfigurationLoader.parse(ConfigurationLoaderTests.minimal + "\n" + list + "\nnickName = { from = \"mailNickname\" }\n", environment: [:])
            Issue.record("a copy's field with from was accepted")
        } catch {
            #expect(error.problems.map { "\($0.key): \($0.message)" }
                == ["list.vendors.contact.fields.nickName.from: a list copied from a mailbox copies each property from the source contact; a field takes a policy, not from"])
        }
    }

    @Test func notesAndCategoriesAreCheckedAtLoad() throws {
        let c = try ConfigurationLoader.parse(ConfigurationLoaderTests.minimal + """

            [contact]
            categories = ["Company Directory"]
            notes = "Employee ID: {employeeid}\\nCost centre: {employeeOrgData/costCenter} {{not a placeholder}}"
            """, environment: [:])
        #expect(c.contact.categories == ["Company Directory"])
        #expect(c.contact.notes?.parts == [.text("Employee ID: "), .property(["employeeId"]), .text("\nCost centre: "),
                                           .property(["employeeOrgData", "costCenter"]), .text(" {not a placeholder}")])
        for (toml, expected) in [
            ("notes = \"ID: {employeId}\"", "contact.notes: {employeId}: 'employeId' is not a property of a Graph user (did you mean 'employeeId'?)"),
            ("notes = \"ID: {employeeId\"", "contact.notes: a '{' without its '}' (write '{{' for a brace)"),
            ("notes = \"{onPremisesExtensionAttributes}\"", "contact.notes: {onPremisesExtensionAttributes}: it is an object; name one of its parts with '/'"),
            ("categories = [\"A\", \"a\"]", "contact.categories: 'a' is named twice (Outlook ignores case)"),
            ("categories = [\" \"]", "contact.categories: an empty category name"),
            ("phone_format = \"E.164\"", "contact.phone_format: 'E.164' is not a phone format; use one of as_is, e164, international"),
            ("default_region = \"Germany\"", "contact.default_region: 'Germany' is not an ISO 3166 region code such as \"US\", \"GB\" or \"DE\""),
            ("photo_size = \"200x200\"", "contact.photo_size: '200x200' is not one of Graph's photo sizes; use one of \"48x48\", \"64x64\", \"96x96\", \"120x120\", \"240x240\", \"360x360\", \"432x432\", \"504x504\", \"648x648\", or \"\" for the full photo"),
            ("photos = 1", "contact.photos: should be true or false (no quotes), not a number"),
        ] {
            do {
                _ = try ConfigurationLoader.parse(ConfigurationLoaderTests.minimal + "\n[contact]\n" + toml + "\n", environment: [:])
                Issue.record("accepted: \(toml)")
            } catch {
                #expect(error.problems.map { "\($0.key): \($0.message)" } == [expected])
            }
        }
        #expect(problems("personalNotes = { from = \"employeeId\" }", extra: "[contact]\nnotes = \"x\"\n")
            == ["contact.fields.personalNotes: personalNotes is filled by [contact] notes, which keeps the owner's own part; map it in one place"])
    }
}
