import Foundation
import GraphClient
import Testing

/// Values from the directory or the configuration cannot add a path segment, a query option or
/// a clause: they are escaped where they enter a URL or an OData filter.
@Suite struct GraphPathTests {
    @Test(arguments: ["a/../b", "x?$top=1", "x#frag", "x&$filter=true", "x y%20", "../../groups", "é@contoso.com", "a\u{0}b"])
    func aPathSegmentStaysOneSegment(_ value: String) {
        let s = GraphPath.segment(value)
        for c in ["/", "?", "#", "&", " ", "\u{0}"] { #expect(!s.contains(c), "\(value) → \(s)") }
        #expect(s.unicodeScalars.allSatisfy { $0.isASCII })
        #expect(s.removingPercentEncoding == value, "escaping loses nothing")
    }

    @Test func plainIdsAndUPNsAreUnchanged() {
        #expect(GraphPath.segment("0f3c9e4a-1b2d-4e5f-8a9b-0c1d2e3f4a5b") == "0f3c9e4a-1b2d-4e5f-8a9b-0c1d2e3f4a5b")
        #expect(GraphPath.segment("adele.vance@contoso.com") == "adele.vance@contoso.com")
        #expect(GraphPath.segment("O'Brien#1/x") == "O%27Brien%231%2Fx")
    }

    @Test func anODataLiteralCannotBeClosedEarly() {
        #expect(GraphPath.odataString("O'Brien's contacts") == "'O''Brien''s contacts'")
        let crafted = GraphPath.odataString("x' or displayName ne 'y")
        // Between the outer quotes every quote is doubled: the filter still has one literal.
        let inner = crafted.dropFirst().dropLast()
        #expect(inner.replacingOccurrences(of: "''", with: "").contains("'") == false)
    }

    @Test func aQueryValueCannotStartAnotherOption() {
        let v = GraphPath.queryValue("displayName eq 'a&$top=999#x'")
        #expect(!v.contains("&") && !v.contains("#") && !v.contains(" ") && !v.contains("="))
        #expect(v.removingPercentEncoding == "displayName eq 'a&$top=999#x'")
    }
}
