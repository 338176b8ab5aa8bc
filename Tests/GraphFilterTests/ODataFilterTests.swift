import GalsyncJSON
import GraphFilter
import Testing

/// The OData `$filter` subset, on its own: what the simulator evaluates for Graph's queries,
/// and what galsync's `where` filters are to share.
@Suite struct ODataFilterTests {
    let alice: JSONValue = [
        "id": "a1", "displayName": "Alice O'Brien", "accountEnabled": true, "department": "Sales", "employeeType": .null,
        "singleValueExtendedProperties": .array([["id": "String {00020329-0000-0000-C000-000000000046} Name galsyncSource", "value": "u1"]]),
    ]

    @Test func comparisonsQuotingAndLogic() throws {
        #expect(try ODataFilter.parse("displayName eq 'alice o''brien'").matches(alice), "string comparison ignores case; '' is a quote")
        #expect(try ODataFilter.parse("accountEnabled eq true and not (department eq 'Support')").matches(alice))
        #expect(try !ODataFilter.parse("department eq 'Support' or accountEnabled eq false").matches(alice))
        #expect(try ODataFilter.parse("startswith(displayName, 'ALI')").matches(alice))
        #expect(try ODataFilter.parse("department in ('Marketing', 'sales')").matches(alice))
        #expect(try ODataFilter.parse("employeeType eq null").matches(alice))
    }

    @Test func lambdasOverCollections() throws {
        let f = try ODataFilter.parse("singleValueExtendedProperties/any(ep: ep/id eq 'String {00020329-0000-0000-c000-000000000046} Name galsyncSource' and ep/value eq 'u1')")
        #expect(f.matches(alice), "the property set GUID compares without case")
        let otherName = try ODataFilter.parse("singleValueExtendedProperties/any(ep: ep/id eq 'String {00020329-0000-0000-C000-000000000046} Name GALSYNCSOURCE')")
        #expect(!otherName.matches(alice), "the Name part is case-sensitive, as Exchange compares it")
    }

    @Test func whatItReadsAndIdLists() throws {
        #expect(try ODataFilter.parse("department eq 'Sales' and startswith(displayName, 'A')").properties == ["department", "displayName"])
        #expect(try ODataFilter.parse("id eq 'a' or id eq 'b'").idEqualityList == ["a", "b"])
        #expect(try ODataFilter.parse("id eq 'a' and id eq 'b'").idEqualityList == nil)
    }

    @Test(arguments: ["displayName eq", "displayName eq 'open", "(department eq 'a'", "department eq 'a' extra", "eq 'a'"])
    func malformedFiltersAreRefused(_ text: String) {
        #expect(throws: ODataFilter.ParseError.self) { try ODataFilter.parse(text) }
    }
}
