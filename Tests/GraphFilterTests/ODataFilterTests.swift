import GalsyncJSON
import GraphFilter
import Testing

/// The OData `$filter` subset, on its own: what the simulator evaluates for Graph's queries,
/// and what galsync's `where` rules evaluate on the snapshot.
@Suite struct ODataFilterTests {
    let alice: JSONValue = [
        "id": "a1", "displayName": "Alice O'Brien", "accountEnabled": true, "department": "Sales", "employeeType": .null,
        "mail": "alice@contoso.com", "onPremisesExtensionAttributes": ["extensionAttribute1": "TEST"],
        "proxyAddresses": ["SMTP:alice@contoso.com", "smtp:ali@contoso.net"],
        "singleValueExtendedProperties": .array([["id": "String {00020329-0000-0000-C000-000000000046} Name galsyncSource", "value": "u1"]]),
    ]

    @Test func comparisonsQuotingAndLogic() throws {
        #expect(try ODataFilter.parse("displayName eq 'alice o''brien'").matches(alice), "string comparison ignores case; '' is a quote")
        #expect(try ODataFilter.parse("accountEnabled eq true and not (department eq 'Support')").matches(alice))
        #expect(try !ODataFilter.parse("department eq 'Support' or accountEnabled eq false").matches(alice))
        #expect(try ODataFilter.parse("startswith(displayName, 'ALI')").matches(alice))
        #expect(try ODataFilter.parse("department in ('Marketing', 'sales')").matches(alice))
        #expect(try ODataFilter.parse("employeeType eq null").matches(alice))
        #expect(try ODataFilter.parse("officeLocation eq null").matches(alice), "an absent property is null")
        #expect(try ODataFilter.parse("not department eq 'Support' and department eq 'Sales'").matches(alice), "not binds tighter than and")
        #expect(try ODataFilter.parse("department eq 'x' or department eq 'sales' and accountEnabled eq true").matches(alice), "and binds tighter than or")
    }

    @Test func textFunctionsIgnoreCase() throws {
        #expect(try ODataFilter.parse("endsWith(mail,'@CONTOSO.com')").matches(alice))
        #expect(try ODataFilter.parse("contains(displayName,'o''bri')").matches(alice))
        #expect(try !ODataFilter.parse("contains(jobTitle,'x')").matches(alice), "a text function on a missing property is false")
        #expect(try ODataFilter.parse("not contains(jobTitle,'x')").matches(alice))
        #expect(try ODataFilter.parse("onPremisesExtensionAttributes/extensionAttribute1 eq 'test'").matches(alice))
        #expect(try ODataFilter.parse("proxyAddresses/any(p: endswith(p, '.net'))").matches(alice))
        #expect(try ODataFilter.parse("contains(mail,'x') or endswith(mail,'y')").textFunctions == [.contains, .endsWith])
    }

    @Test func evaluatesThroughALookup() throws {
        let f = try ODataFilter.parse("department eq 'Sales' and startswith(displayName,'al')")
        var asked: [String] = []
        let result = f.matches { key in asked.append(key); return alice[key] }
        #expect(result && asked == ["department", "displayName"])
    }

    @Test func lambdasOverCollections() throws {
        let f = try ODataFilter.parse("singleValueExtendedProperties/any(ep: ep/id eq 'String {00020329-0000-0000-c000-000000000046} Name galsyncSource' and ep/value eq 'u1')")
        #expect(f.matches(alice), "the property set GUID compares without case")
        let otherName = try ODataFilter.parse("singleValueExtendedProperties/any(ep: ep/id eq 'String {00020329-0000-0000-C000-000000000046} Name GALSYNCSOURCE')")
        #expect(!otherName.matches(alice), "the Name part is case-sensitive, as Exchange compares it")
    }

    @Test func whatItReadsAndIdLists() throws {
        #expect(try ODataFilter.parse("department eq 'Sales' and startswith(displayName, 'A')").properties == ["department", "displayName"])
        #expect(try ODataFilter.parse("onPremisesExtensionAttributes/extensionAttribute3 ne 'x'").properties == ["onPremisesExtensionAttributes"])
        #expect(try ODataFilter.parse("id eq 'a' or id eq 'b'").idEqualityList == ["a", "b"])
        #expect(try ODataFilter.parse("id eq 'a' and id eq 'b'").idEqualityList == nil)
        #expect(try ODataFilter.parse("not (a eq 1)").negates && ODataFilter.parse("a ne 1").negates && !ODataFilter.parse("a eq 1").negates)
    }

    @Test(arguments: [
        ("displayName eq", 15), ("displayName eq 'open", 16), ("(department eq 'a'", 19), ("department eq 'a' extra", 19),
        ("eq 'a'", 4), ("department eq Sales", 15), ("startswith(mail, 3)", 18), ("department = 'x'", 12), ("mail/ eq 'x'", 10),
        ("proxyAddresses/all(p: p eq 'x')", 16),
    ])
    func malformedFiltersPointAtTheColumn(_ text: String, _ column: Int) {
        #expect(throws: ODataFilter.ParseError.self) { try ODataFilter.parse(text) }
        do { _ = try ODataFilter.parse(text) } catch { #expect(error.column == column, "\(text): \(error)") }
    }

    @Test func anErrorDrawsACaretUnderItsColumn() {
        let text = "department eq Sales"
        do { _ = try ODataFilter.parse(text); Issue.record("parsed") } catch {
            #expect(error.pointing(into: text) == "department eq Sales\n              ^")
            #expect(error.description.contains("quote text with single quotes ('Sales')"))
        }
    }
}
