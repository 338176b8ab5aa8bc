import GraphFilter
import Testing

/// A where rule is checked against Graph's user type once, at config load.
@Suite struct UserPropertyCatalogTests {
    func check(_ text: String) throws(ODataFilter.ParseError) -> ODataFilter {
        try UserPropertyCatalog.check(try ODataFilter.parse(text), in: text)
    }

    @Test func namesTakeGraphsSpelling() throws {
        let f = try check("DEPARTMENT eq 'Sales' and onpremisesextensionattributes/extensionAttribute3 eq 'x'")
        #expect(f.properties == ["department", "onPremisesExtensionAttributes"])
        #expect(try check("extension_0123456789abcdef0123456789abcdef_costCentre eq '42'").properties == ["extension_0123456789abcdef0123456789abcdef_costCentre"])
    }

    @Test(arguments: [
        ("deparment eq 'Sales'", 1, "did you mean 'department'"),
        ("mail ne null and showInAddressList eq false", 18, "honor_hidden"),
        ("mailboxSettings/userPurpose eq 'shared'", 1, "exclude_mailbox_types"),
        ("accountEnabled eq 'yes'", 1, "true or false"),
        ("startswith(accountEnabled,'t')", 12, "works on text"),
        ("businessPhones eq '123'", 1, "text"),
        ("onPremisesExtensionAttributes/extensionAttribute16 eq 'x'", 31, "is not part of"),
        ("assignedLicenses eq null or skills/any(s: s eq 'x')", 29, "one user at a time"),
        ("department/any(d: d eq 'x')", 1, "not a collection"),
        ("proxyAddresses/any(p: P eq 'x')", 20, "through its variable"),
        ("proxyAddresses/any(p: employeeType eq 'x')", 23, "through its variable"),
        ("proxyAddresses/any(p: nosuchthing eq 'x')", 23, "through its variable"),
        ("jobTitle eq 'city' or city eq true", 23, "text"),
    ])
    func mistakesAreRefusedWithAColumn(_ text: String, _ column: Int, _ says: String) {
        do { _ = try check(text); Issue.record("accepted \(text)") } catch {
            #expect(error.column == column, "\(text): \(error)")
            #expect(error.message.contains(says), "\(text): \(error)")
        }
    }

    @Test func collectionsOfTextTakeLambdasAndValues() throws {
        _ = try check("proxyAddresses/any(p: startswith(p,'smtp:'))")
        _ = try check("employeeHireDate ge '2024-01-01T00:00:00Z' and employeeOrgData/division eq 'R&D'")
    }
}
